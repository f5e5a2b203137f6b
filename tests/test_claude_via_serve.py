"""The real `claude -p` through `ccrgen serve --mock-upstream`, started as a user starts it
(a subprocess, the hicap preset, a temp HOME): the answer Claude Code prints is the mock's,
and a tool-use round trip works (the mock asks for a Bash call, Claude Code runs it, the
tool's output comes back to the provider and the final answer is printed)."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
import urllib.request

import pytest

from conftest import claude_env

KEY = "hicap-key-for-claude-tests-1"


@contextlib.contextmanager
def serving(tmp_path, *args, env=None):
    """`ccrgen serve ARGS --mock-upstream` as a user starts it: (its URL, the mock's URL, its log)."""
    ready = tmp_path / "ready"
    log = open(tmp_path / "serve.log", "w")
    process = subprocess.Popen([sys.executable, "-m", "ccrgen", "serve", *args, "--mock-upstream",
                                "--port", "0", "--ready-file", str(ready)], env=env, stderr=log,
                               stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while not ready.exists() and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.1)
        assert ready.exists(), (tmp_path / "serve.log").read_text()
        url = ready.read_text().strip()
        with urllib.request.urlopen(url + "/") as response:
            mock_url = json.loads(response.read())["mock_upstream"]
        yield url, mock_url, tmp_path / "serve.log"
    finally:
        process.terminate()
        process.wait(10)
        log.close()


@pytest.fixture
def served(tmp_path):
    with serving(tmp_path, "--preset", "hicap", env={**os.environ, "HICAP_API_KEY": KEY}) as started:
        yield started


def mock_requests(mock_url: str) -> list[dict]:
    with urllib.request.urlopen(mock_url + "/_mock/requests") as response:
        return json.loads(response.read())


def script(mock_url: str, steps: list[dict]) -> None:
    request = urllib.request.Request(mock_url + "/_mock/script", data=json.dumps(steps).encode(), method="POST",
                                     headers={"content-type": "application/json"})
    urllib.request.urlopen(request).read()


def run_claude(claude_bin, url, home, *args, timeout=240):
    home.mkdir(exist_ok=True)
    return subprocess.run([claude_bin, "-p", *args], env=claude_env(url, KEY, home), cwd=home,
                          capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)


@pytest.mark.node
@pytest.mark.slow
def test_claude_prints_the_mock_answer(served, claude_bin, tmp_path):
    url, mock_url, log = served
    done = run_claude(claude_bin, url, tmp_path / "claude-home", "Say hello")
    assert done.returncode == 0, done.stderr[-2000:]
    chats = [r for r in mock_requests(mock_url) if r["path"].endswith("/chat/completions")]
    assert chats, "claude's request never reached the upstream"
    assert all(r["headers"]["api-key"] == KEY and "authorization" not in r["headers"] for r in chats)
    answered = {r["model"] for r in chats}
    assert any(f"mock answer from {model}" in done.stdout for model in answered), done.stdout
    lines = [line for line in log.read_text().splitlines() if line.startswith("POST /v1/messages")]
    assert lines and all(" 200 route=" in line and "model=hicap,claude-sonnet-4.5" in line for line in lines)


@pytest.mark.node
@pytest.mark.slow
def test_tool_use_round_trip(served, claude_bin, tmp_path):
    url, mock_url, _ = served
    # The prompt never contains "ccrgen-42": only the tool's output does.
    script(mock_url, [
        {"when": "ccrgen-42", "text": "FINAL: the tool printed ccrgen-42"},
        {"when": "ROUNDTRIP", "tool_call": {"name": "Bash", "arguments": {
            "command": "echo ccrgen-$((40 + 2))", "description": "print a marker"}}},
    ])
    done = run_claude(claude_bin, url, tmp_path / "claude-home",
                      "ROUNDTRIP: run the echo command with the Bash tool", "--allowedTools", "Bash")
    assert done.returncode == 0, done.stderr[-2000:]
    chats = [r["body"] for r in mock_requests(mock_url) if r["path"].endswith("/chat/completions")]
    tool_messages = [m for body in chats for m in body["messages"] if m["role"] == "tool"]
    assert any("ccrgen-42" in m["content"] for m in tool_messages), "the tool result never reached the provider"
    assert "FINAL: the tool printed ccrgen-42" in done.stdout


@pytest.mark.node
@pytest.mark.slow
def test_claude_through_an_anthropic_pass_through_provider(claude_bin, tmp_path):
    """`use: ["Anthropic"]` alone: the request Claude Code sends (system role messages
    included) goes to the Messages API as it came, with x-api-key, and the answer comes back
    in Anthropic's format untouched; Claude Code prints it."""
    config = tmp_path / "config.json"
    config.write_text(json.dumps({
        "Providers": [{"name": "anth", "api_base_url": "https://api.anthropic.com/v1/messages",
                       "api_key": "sk-ant-claude-test-123456", "models": ["claude-sonnet-4-5"],
                       "transformer": {"use": ["Anthropic"]}}],
        "Router": {"default": "anth,claude-sonnet-4-5", "background": "anth,claude-sonnet-4-5"}}))
    with serving(tmp_path, "--config", str(config)) as (url, mock_url, _):
        done = run_claude(claude_bin, url, tmp_path / "claude-home", "Say hello")
        sent = [r for r in mock_requests(mock_url) if r["path"].endswith("/v1/messages")]
    assert done.returncode == 0, done.stderr[-2000:]
    assert "mock answer from claude-sonnet-4-5" in done.stdout, done.stdout + done.stderr[-1000:]
    assert sent and all(r["status"] == 200 and r["headers"]["x-api-key"] == "sk-ant-claude-test-123456" for r in sent)
