"""Ctrl-C, SIGTERM and SIGHUP stop ccrgen cleanly: the real CCR that `smoke --via ccr`
started is stopped, node probes are killed, and no temp folder is left, whenever the
signal arrives (while CCR comes up, or with a request under way). Real signals to a real
ccrgen process; the temp folders are found through TMPDIR, the children through /proc."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

EXIT = {signal.SIGINT: 130, signal.SIGTERM: 143, signal.SIGHUP: 129}
KEY = "hk-signals-0123456789"


class Ccrgen:
    """A real `ccrgen` process with its own TMPDIR, output in files (no pipe to fill up)."""

    def __init__(self, tmp_path: Path, *args, env: dict | None = None):
        self.tmp = tmp_path / "tmp"
        self.tmp.mkdir()
        self.out, self.err = tmp_path / "stdout", tmp_path / "stderr"
        full_env = {**os.environ, "TMPDIR": str(self.tmp), "HICAP_API_KEY": KEY, **(env or {})}
        full_env.pop("CCRGEN_DEBUG", None)
        with open(self.out, "w") as out, open(self.err, "w") as err:
            self.process = subprocess.Popen([sys.executable, "-m", "ccrgen", *map(str, args)], env=full_env,
                                            stdout=out, stderr=err, stdin=subprocess.DEVNULL)

    def ours(self) -> list[str]:
        """ccrgen's temp folders (tiktoken's cache is not one)."""
        return sorted(p.name for p in self.tmp.iterdir() if p.name.startswith("ccrgen-"))

    def stderr(self) -> str:
        return self.err.read_text()

    def wait_for(self, condition, timeout: float = 60, what: str = "") -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if self.process.poll() is not None:
                pytest.fail(f"ccrgen ended ({self.process.returncode}) before {what}: {self.stderr()[-2000:]}")
            if time.monotonic() > deadline:
                pytest.fail(f"timed out waiting for {what}: {self.stderr()[-2000:]}")
            time.sleep(0.05)

    def interrupt(self, signum: int, timeout: float = 45) -> int:
        self.process.send_signal(signum)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            pytest.fail(f"ccrgen did not stop within {timeout} s of {signal.Signals(signum).name}")

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


def processes_under(folder: Path, marker: str | None = None) -> list[str]:
    """Processes (other than this test) working in `folder` or naming `marker` on their command line."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cwd = os.readlink(entry / "cwd")
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if cwd.startswith(str(folder)) or (marker and marker in cmdline):
            found.append(f"{entry.name}: {cmdline[:200]} (in {cwd})")
    return found


def gone(folder: Path, marker: str | None = None, timeout: float = 10) -> list[str]:
    """What is still running after `timeout` (a killed child may take a moment to go)."""
    deadline = time.monotonic() + timeout
    while (left := processes_under(folder, marker)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


@pytest.fixture
def run_ccrgen(tmp_path):
    started = []

    def start(*args, env=None) -> Ccrgen:
        process = Ccrgen(tmp_path, *args, env=env)
        started.append(process)
        return process

    yield start
    for process in started:
        process.kill()


def ccr_started(run: Ccrgen):
    """CCR is starting: its temp HOME exists and holds the output of `ccr start`."""
    return lambda: any((run.tmp / name / "ccr-start.out").exists() for name in run.ours())


# -- smoke --via ccr --------------------------------------------------------------------------

@pytest.mark.node
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=lambda s: s.name)
def test_smoke_via_ccr_interrupted_while_ccr_starts(run_ccrgen, ccr_cmd, signum):
    run = run_ccrgen("smoke", "--preset", "hicap", "--mock-upstream", "--via", "ccr", "--ccr", ccr_cmd[-1])
    run.wait_for(ccr_started(run), what="CCR to be started")
    assert run.interrupt(signum) == EXIT[signum]
    assert run.ours() == []                        # the temp HOME is removed...
    assert gone(run.tmp) == []                     # ...and no CCR is left running in it
    assert "Traceback" not in run.stderr()


@pytest.mark.node
@pytest.mark.parametrize("via, signum", [("ccr", signal.SIGTERM), ("ccr", signal.SIGINT),
                                         ("ccrgen", signal.SIGHUP)])
def test_smoke_interrupted_while_a_request_is_under_way(run_ccrgen, tmp_path, ccr_cmd, mock_upstream, via, signum):
    mock_upstream.script([{"delay_before": 60}] * 3)      # the provider takes its time
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"Providers": [{"name": "p", "api_base_url": mock_upstream.chat_url,
                                                 "api_key": "k-0123456789", "models": ["m"]}],
                                  "Router": {"default": "p,m"}}))
    run = run_ccrgen("smoke", "--config", config, "--via", via, "--ccr", ccr_cmd[-1])
    run.wait_for(lambda: len(mock_upstream.requests) > 0, what="the request to reach the provider")
    if via == "ccr":
        assert processes_under(run.tmp) != []      # CCR runs in its temp HOME until the signal
    started = time.monotonic()
    assert run.interrupt(signum) == EXIT[signum]
    assert time.monotonic() - started < 20
    assert run.ours() == []
    assert gone(run.tmp) == []
    assert "Traceback" not in run.stderr()


# -- serve ---------------------------------------------------------------------------------

@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=lambda s: s.name)
def test_serve_stopped_by_a_signal_removes_its_temp_folder(run_ccrgen, tmp_path, signum):
    ready = tmp_path / "ready"
    run = run_ccrgen("serve", "--preset", "hicap", "--mock-upstream", "--port", "0", "--ready-file", ready)
    run.wait_for(ready.exists, what="serve to listen")
    assert [name.startswith("ccrgen-serve-") for name in run.ours()] == [True]   # the rendered transformer
    assert run.interrupt(signum) == EXIT[signum]
    assert run.ours() == []
    assert run.stderr().splitlines()[-1] == "stopped"


def test_serve_stopped_with_a_request_in_flight_stops_at_once(run_ccrgen, tmp_path, mock_upstream):
    """aiohttp waits up to 60 s for requests in flight when it stops; serve waits
    limits.SERVE_STOP_SECONDS, then cancels them (the client sees the connection close)."""
    import threading
    import urllib.request

    from ccrgen.common.limits import SERVE_STOP_SECONDS

    mock_upstream.script([{"delay_before": 60}])
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"APIKEY": "k-serve-0123", "Providers": [
        {"name": "p", "api_base_url": mock_upstream.chat_url, "api_key": "k-0123456789", "models": ["m"]}],
        "Router": {"default": "p,m"}}))
    ready = tmp_path / "ready"
    run = run_ccrgen("serve", "--config", config, "--port", "0", "--ready-file", ready)
    run.wait_for(ready.exists, what="serve to listen")
    request = urllib.request.Request(ready.read_text().strip() + "/v1/messages", headers={
        "x-api-key": "k-serve-0123", "content-type": "application/json"}, data=json.dumps(
        {"model": "m", "max_tokens": 8, "messages": [{"role": "user", "content": "hi"}]}).encode())

    def send():
        try:
            urllib.request.urlopen(request, timeout=90)
        except OSError:
            pass   # the connection closes when serve stops: what a client sees

    threading.Thread(target=send, daemon=True).start()
    run.wait_for(lambda: len(mock_upstream.requests) > 0, what="the request to reach the provider")
    started = time.monotonic()
    assert run.interrupt(signal.SIGTERM) == EXIT[signal.SIGTERM]
    assert SERVE_STOP_SECONDS <= 2 and time.monotonic() - started < 8   # a user's Ctrl-C is answered promptly
    assert run.stderr().splitlines()[-1] == "stopped" and "Traceback" not in run.stderr()


@pytest.mark.node
def test_a_hanging_node_probe_is_killed_when_serve_is_stopped(run_ccrgen, tmp_path):
    hangs = tmp_path / "hangs-at-load.js"
    hangs.write_text("while (true) {}\n")
    config = tmp_path / "config.json"
    provider = {"name": "p", "api_base_url": "https://example.test/v1/chat/completions", "api_key": "k-0123456789",
                "models": ["m"], "transformer": {"use": ["hangs"]}}
    config.write_text(json.dumps({"transformers": [{"path": str(hangs)}], "Providers": [provider],
                                  "Router": {"default": "p,m"}}))
    run = run_ccrgen("serve", "--config", config, "--port", "0")
    run.wait_for(lambda: processes_under(tmp_path / "nowhere", str(hangs)), what="the node probe to start")
    started = time.monotonic()
    assert run.interrupt(signal.SIGTERM) == EXIT[signal.SIGTERM]
    assert time.monotonic() - started < 10                  # not the probe's own timeout
    assert gone(tmp_path / "nowhere", str(hangs)) == []     # the node child is gone too
    assert run.ours() == []


def test_an_ignored_sighup_stays_ignored_as_under_nohup(tmp_path):
    """`nohup ccrgen serve &`: closing the terminal (SIGHUP) must not stop it."""
    ready = tmp_path / "ready"
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = {**os.environ, "TMPDIR": str(tmp), "HICAP_API_KEY": KEY}
    process = subprocess.Popen([sys.executable, "-m", "ccrgen", "serve", "--preset", "hicap", "--mock-upstream",
                                "--port", "0", "--ready-file", str(ready)], env=env, stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               preexec_fn=lambda: signal.signal(signal.SIGHUP, signal.SIG_IGN))
    try:
        deadline = time.monotonic() + 60
        while not ready.exists() and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.05)
        assert ready.exists()
        process.send_signal(signal.SIGHUP)
        time.sleep(1)
        assert process.poll() is None                        # still serving
        assert process.send_signal(signal.SIGTERM) is None and process.wait(30) == 143
        assert [p.name for p in tmp.iterdir() if p.name.startswith("ccrgen-")] == []
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)


# -- the helpers themselves, in this process ---------------------------------------------------

def test_a_signal_inside_a_deferred_block_is_raised_when_the_block_ends():
    from ccrgen.common import signals

    finished = False
    with signals.handled():
        with pytest.raises(signals.Interrupted) as raised:
            with signals.deferred():
                os.kill(os.getpid(), signal.SIGTERM)
                time.sleep(0.2)            # the handler has run by now, and did not cut the block short
                finished = True
    assert finished and raised.value.exit_code == 143


def test_a_helper_that_outlives_its_timeout_is_killed(tmp_path):
    from ccrgen.common import signals

    marker = f"ccrgen-test-{os.getpid()}"
    started = time.monotonic()
    with pytest.raises(subprocess.TimeoutExpired):
        signals.run([sys.executable, "-c", "import time; time.sleep(30)", marker], timeout=0.5)
    assert time.monotonic() - started < 5
    assert gone(tmp_path / "nowhere", marker) == []
