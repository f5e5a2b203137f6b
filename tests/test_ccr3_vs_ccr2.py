"""Differential: the same spec through the real CCR 2.0.0 (ccrgen's 2.x build) and the real
CCR 3.1.1 (ccrgen's 3.x build), one request per scenario; the model that reaches the upstream
must be the same, except the documented differences (ccrgen.targets.ccr3.DIFFERENCES), each of
which must really show (so the documentation cannot go stale). Each CCR is started once."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from ccrgen.ccr.runner import CcrServer
from ccrgen.targets.ccr3 import DIFFERENCES
from tests.conftest import free_port

KEY = "hk-diff-0123456789abcdef"
THRESHOLD = 1000
ROUTES = {"default": "claude-sonnet-4.5", "background": "claude-haiku-4.5", "think": "claude-opus-4.5",
          "long_context": "gemini-3-pro-preview", "web_search": "gpt-5.2"}
SUB = "<CCR-SUBAGENT-MODEL>hicap,gemini-3-flash-preview</CCR-SUBAGENT-MODEL>"
WEB = {"type": "web_search_20250305", "name": "web_search", "max_uses": 5}
THINK = {"type": "enabled", "budget_tokens": 2048}


def words(n: int) -> str:
    """Exactly n tokens under cl100k_base, 2.0.0's counter."""
    return "hello" + " hello" * (n - 1)


def user(text) -> list:
    return [{"role": "user", "content": text}]


def subagent_system(tag: str = SUB) -> list:
    return [{"type": "text", "text": "You are Claude Code."}, {"type": "text", "text": tag + "Do the task."}]


M = "claude-sonnet-4-5-20250929"
CASES = {
    "default": {"model": M},
    "haiku-3-5": {"model": "claude-3-5-haiku-20241022"},
    "haiku-4-5": {"model": "claude-haiku-4-5-20251001"},
    "haiku-capital": {"model": "Claude-Haiku-4-5"},
    "thinking-enabled": {"model": M, "thinking": THINK},
    "thinking-disabled": {"model": M, "thinking": {"type": "disabled"}},
    "web-search": {"model": M, "tools": [WEB]},
    "web-search-and-thinking": {"model": M, "tools": [WEB], "thinking": THINK},
    "long-well-below": {"model": M, "messages": user(words(THRESHOLD // 2))},
    "long-just-over": {"model": M, "messages": user(words(THRESHOLD + 1))},
    "long-well-over": {"model": M, "messages": user(words(THRESHOLD * 2))},
    "long-at-threshold": {"model": M, "messages": user(words(THRESHOLD))},
    "long-beats-haiku": {"model": "claude-3-5-haiku-20241022", "messages": user(words(THRESHOLD * 2))},
    "long-beats-thinking": {"model": M, "thinking": THINK, "messages": user(words(THRESHOLD * 2))},
    "explicit": {"model": "hicap,gpt-5.1"},
    "explicit-beats-long": {"model": "hicap,gpt-5.1", "messages": user(words(THRESHOLD * 2))},
    "explicit-haiku-beats-background": {"model": "hicap,claude-haiku-4.5", "thinking": THINK},
    "explicit-unconfigured": {"model": "hicap,nope"},
    "explicit-model-case": {"model": "hicap,GPT-5.2"},
    "provider-slash-model": {"model": "hicap/gpt-5.1"},
    "subagent": {"model": M, "system": subagent_system()},
    "subagent-beats-haiku": {"model": "claude-3-5-haiku-20241022", "system": subagent_system()},
    "long-beats-subagent": {"model": M, "system": subagent_system(), "messages": user(words(THRESHOLD * 2))},
    "non-claude-haiku": {"model": "my-haiku-model"},
}
# case -> the DIFFERENCES entry that explains why CCR 3.x routes it differently
DOCUMENTED = {
    "long-at-threshold": "long_context",
    "explicit-unconfigured": "explicit",
    "explicit-model-case": "explicit",
    "non-claude-haiku": "background",
}


def spec_text(port: int, upstream: str) -> str:
    routes = "".join(f"  {r}: hicap,{m}\n" for r, m in ROUTES.items())
    return (f"extends: hicap\nserver: {{port: {port}, log: false}}\nproviders:\n  hicap:\n    base_url: {upstream}\n"
            f"routes:\n{routes}  long_context_threshold: {THRESHOLD}\n")


def send(port: int, body: dict) -> int:
    payload = {"max_tokens": 16, "messages": user("hi"), **body}
    request = urllib.request.Request(f"http://127.0.0.1:{port}/v1/messages", data=json.dumps(payload).encode(),
                                     method="POST", headers={"content-type": "application/json", "x-api-key": KEY,
                                                             "anthropic-version": "2023-06-01"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def models_reached(mock, port: int) -> dict[str, str | None]:
    out = {}
    for name, body in CASES.items():
        before = len(mock.requests)
        send(port, body)
        got = mock.requests[before:]
        out[name] = got[-1].model if got else None
    return out


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory, ccr_cmd, ccr3):
    from ccrgen.proxy.mock_upstream import MockUpstream
    from ccrgen.targets.ccr3_server import Ccr3Server
    from tests.conftest import run_cli

    mock = MockUpstream.start_in_thread(host="127.0.0.1", port=0)
    results = {}
    try:
        for target in ("ccr2", "ccr3"):
            home = tmp_path_factory.mktemp(f"home-{target}")
            port = free_port()
            spec = home / "spec.yaml"
            spec.write_text(spec_text(port, mock.chat_url))
            env = {"HOME": str(home), "HICAP_API_KEY": KEY}
            done = run_cli("build", spec, "--target", target, "--install", "--yes", env=env)
            assert done.returncode == 0, done.stderr
            server = (CcrServer(home, ccr_cmd, port=port, env=env) if target == "ccr2"
                      else Ccr3Server(home, ccr3.command, web_port=free_port(), env=env))
            with server:
                results[target] = models_reached(mock, port)
    finally:
        mock.stop()
    return results


@pytest.mark.parametrize("name", [c for c in CASES if c not in DOCUMENTED])
def test_ccr3_reaches_the_model_ccr2_reaches(outcomes, name):
    assert outcomes["ccr2"][name] is not None, f"CCR 2.0.0 sent nothing upstream for {name}"
    assert outcomes["ccr3"][name] == outcomes["ccr2"][name]


@pytest.mark.parametrize("name", list(DOCUMENTED))
def test_each_documented_difference_is_real(outcomes, name):
    assert DOCUMENTED[name] in DIFFERENCES
    assert outcomes["ccr3"][name] != outcomes["ccr2"][name]
