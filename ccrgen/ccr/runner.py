"""Find and run the real programs: CCR 2.0.0 (`ccr`) and Claude Code (`claude`).

Used by `smoke --via ccr`, `doctor`, the tests and the benchmarks. CCR is started with its
own CLI (`ccr start`, which stays in the foreground) in a HOME of the caller's choosing,
so a test or a smoke run never touches the user's real ~/.claude-code-router.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

from ccrgen.common import signals
from ccrgen.ccr import facts
from ccrgen.errors import ExternalError

# Where .ci/run (and a developer) install the npm packages: <repo>/.cache/npm
_REPO_NPM = Path(__file__).resolve().parents[2] / ".cache" / "npm" / "node_modules"
CCR_CLI_REL = Path("@musistudio/claude-code-router/dist/cli.js")
CLAUDE_BIN_REL = Path("@anthropic-ai/claude-code/bin/claude.exe")


def _npm_dirs() -> list[Path]:
    dirs = []
    if os.environ.get("CCRGEN_NPM_DIR"):
        dirs.append(Path(os.environ["CCRGEN_NPM_DIR"]) / "node_modules")
    dirs.append(_REPO_NPM)
    return dirs


def find_node() -> str | None:
    return shutil.which("node")


def find_ccr(explicit: str | None = None) -> list[str] | None:
    """The command that runs CCR: ["node", ".../cli.js"], or None when there is none.

    Looks at `explicit` (a cli.js or a `ccr` executable), $CCRGEN_CCR, `ccr` on PATH,
    then the npm cache folder the tests use.
    """
    candidates = [explicit, os.environ.get("CCRGEN_CCR")]
    on_path = shutil.which("ccr")
    if on_path:
        candidates.append(on_path)
    candidates += [str(d / CCR_CLI_REL) for d in _npm_dirs()]
    for cand in candidates:
        if not cand:
            continue
        path = Path(cand).expanduser()
        if not path.exists():
            if cand is explicit:
                raise ExternalError(f"no CCR at {cand}", hint="give the path of ccr or of its dist/cli.js")
            continue
        real = path.resolve()
        node = find_node()
        if real.suffix in (".js", ".cjs", ".mjs"):
            if node is None:
                raise ExternalError("node is not installed; CCR needs Node.js 20 or later")
            return [node, str(real)]
        return [str(path)]
    return None


def find_claude(explicit: str | None = None) -> str | None:
    candidates = [explicit, os.environ.get("CCRGEN_CLAUDE"), shutil.which("claude")]
    candidates += [str(d / CLAUDE_BIN_REL) for d in _npm_dirs()]
    for cand in candidates:
        if cand and Path(cand).exists():
            return str(cand)
    return None


def program_version(command: list[str], timeout: float = 20) -> str | None:
    try:
        out = signals.run(command + ["--version"], timeout=timeout)   # killed on timeout or signal
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = (out.stdout or out.stderr).strip()
    return text.splitlines()[-1] if text else None


def get_json(url: str, timeout: float = 1.0) -> dict | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return json.loads(resp.read().decode("utf-8", "replace"))
    except Exception:
        return None


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on right now (for a server started next)."""
    import socket

    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class CcrServer:
    """A real CCR started with `ccr start` in `home`; stopped with `ccr stop`, then by signal."""

    def __init__(self, home: Path, command: list[str], *, env: dict | None = None,
                 host: str = "127.0.0.1", port: int = facts.DEFAULT_PORT) -> None:
        self.home = Path(home)
        self.command = command
        self.host, self.port = host, port
        self.env = {**os.environ, **(env or {}), "HOME": str(self.home)}
        self.env.pop("CLAUDE_CODE_ROUTER_CONFIG", None)
        self.process: subprocess.Popen | None = None
        self.output_path = self.home / "ccr-start.out"

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def ccr_dir(self) -> Path:
        return self.home / facts.CONFIG_DIR_NAME

    def start(self, timeout: float = 30) -> "CcrServer":
        """Start CCR and wait until it answers. On any failure or interruption (Ctrl-C,
        SIGTERM: ccrgen.common.signals) while it comes up, it is stopped again before raising."""
        self.home.mkdir(parents=True, exist_ok=True)
        with signals.deferred(), open(self.output_path, "wb") as out:  # no child without its handle
            self.process = subprocess.Popen(
                self.command + ["start"], env=self.env, stdout=out, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True, cwd=str(self.home),
            )
        try:
            if self._wait_until_up(timeout):
                return self
        except BaseException:
            self.stop()
            raise
        output = self.output_path.read_text(errors="replace")[-2000:]
        self.stop()
        raise ExternalError(f"CCR did not come up on {self.url}", hint=f"its output:\n{output}")

    def _wait_until_up(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            answer = get_json(self.url + "/", timeout=0.5)
            if answer and answer.get("message") == "LLMs API":
                return True
            if self.process.poll() is not None:
                return False
            time.sleep(0.1)
        return False

    def stop(self) -> None:
        """`ccr stop`, then SIGTERM and SIGKILL to CCR's process group until it is gone. A
        signal that arrives meanwhile does not cut this short (it is raised afterwards)."""
        if self.process is None:
            return
        with signals.deferred():
            try:
                signals.run(self.command + ["stop"], env=self.env, timeout=15)
            except (OSError, subprocess.TimeoutExpired):
                pass
            self._end_process_group()
            self.process = None

    def _end_process_group(self) -> None:
        for sig, wait in ((signal.SIGTERM, 5), (signal.SIGKILL, 5)):
            if self.process.poll() is not None:
                break
            try:
                os.killpg(self.process.pid, sig)
                self.process.wait(timeout=wait)
            except (ProcessLookupError, PermissionError, subprocess.TimeoutExpired):
                pass
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)  # anything CCR left in its group

    def logs(self) -> str:
        """CCR's own log lines (pino JSON), all files concatenated."""
        folder = self.ccr_dir / "logs"
        if not folder.is_dir():
            return ""
        return "".join(p.read_text(errors="replace") for p in sorted(folder.glob("*.log")))

    def wait_for_log(self, pattern: str, timeout: float = 10) -> str:
        """CCR's logs once `pattern` (a regex) appears in them, or after `timeout` anyway.

        pino writes asynchronously: CCR can answer a request before the lines about it
        (or about start-up) reach the file.
        """
        deadline = time.monotonic() + timeout
        logs = self.logs()
        while not re.search(pattern, logs) and time.monotonic() < deadline:
            time.sleep(0.05)
            logs = self.logs()
        return logs

    def __enter__(self) -> "CcrServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
