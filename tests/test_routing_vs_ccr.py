"""Differential test: the same requests through the real CCR 2.0.0 and through `ccrgen
serve` (the proxy, in-process) on the same config and the same mock upstream. The model and
the auth headers that reach the mock must be identical for every case, and be what ccrgen's
`choose_route` predicts. One provider authenticates with a ccrgen-rendered header
transformer (Hicap's `api-key`), the other with CCR's default Bearer."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from ccrgen.spec import loader
from ccrgen.ccr.runner import CcrServer
from ccrgen.proxy.mock_upstream import MockUpstream
from ccrgen.proxy.routing import choose_route
from ccrgen.proxy.server import Proxy
from ccrgen.proxy.tokens import count_tokens
from conftest import free_port

THRESHOLD = 1000
KEY = "router-key-for-tests"


def words(n: int) -> str:
    """Text of exactly n tokens under cl100k_base ("hello" then " hello" each one token)."""
    return "hello" + " hello" * (n - 1)


def user(text) -> list:
    return [{"role": "user", "content": text}]


SUB = "<CCR-SUBAGENT-MODEL>p,sub</CCR-SUBAGENT-MODEL>"
WEB = {"type": "web_search_20250305", "name": "web_search", "max_uses": 5}
CASES = {
    "plain": {"model": "claude-sonnet-4-5", "messages": user("hi")},
    "haiku-3-5": {"model": "claude-3-5-haiku-20241022", "messages": user("hi")},
    "haiku-4-5": {"model": "claude-haiku-4-5", "messages": user("hi")},
    "haiku-capital": {"model": "Claude-Haiku-4-5", "messages": user("hi")},
    "thinking-enabled": {"model": "claude-sonnet-4-5", "messages": user("hi"),
                         "thinking": {"type": "enabled", "budget_tokens": 2048}},
    "thinking-disabled": {"model": "claude-sonnet-4-5", "messages": user("hi"), "thinking": {"type": "disabled"}},
    "thinking-empty-object": {"model": "claude-sonnet-4-5", "messages": user("hi"), "thinking": {}},
    "thinking-null": {"model": "claude-sonnet-4-5", "messages": user("hi"), "thinking": None},
    # no `content` in a tool_result: CCR's counter throws, so even provider,model goes to default
    "tool-result-without-content": {"model": "p,think", "messages": [
        {"role": "user", "content": "run it"},
        {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "Bash", "input": {"cmd": "ls"}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1"}]}]},
    "tool-result-null-content": {"model": "p,think", "messages": [
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": None}]}]},
    "web-search": {"model": "claude-sonnet-4-5", "messages": user("hi"), "tools": [WEB]},
    "web-search-and-thinking": {"model": "claude-sonnet-4-5", "messages": user("hi"), "tools": [WEB],
                                "thinking": {"type": "enabled", "budget_tokens": 2048}},
    "explicit": {"model": "p,bg", "messages": user("hi")},
    "explicit-model-case": {"model": "p,GPT-5.2", "messages": user("hi")},
    "explicit-lower": {"model": "p,gpt-5.2", "messages": user("hi")},
    "explicit-unknown-model": {"model": "p,nope", "messages": user("hi")},
    "explicit-beats-long": {"model": "p,think", "messages": user(words(THRESHOLD + 50))},
    "tokens-at-threshold": {"model": "claude-sonnet-4-5", "messages": user(words(THRESHOLD))},
    "tokens-over-threshold": {"model": "claude-sonnet-4-5", "messages": user(words(THRESHOLD + 1))},
    "long-in-tool-result": {"model": "claude-sonnet-4-5", "messages": [
        {"role": "user", "content": "run it"},
        {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "Bash", "input": {"cmd": "ls"}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": words(THRESHOLD)}]}]},
    "long-in-tool-schema": {"model": "claude-sonnet-4-5", "messages": user("hi"), "tools": [
        {"name": "Big", "description": "a tool", "input_schema": {"type": "object", "description": words(THRESHOLD)}}]},
    "long-system-string": {"model": "claude-sonnet-4-5", "messages": user("hi"), "system": words(THRESHOLD + 5)},
    "long-beats-haiku": {"model": "claude-3-5-haiku-20241022", "messages": user(words(THRESHOLD + 5))},
    "subagent-system-1": {"model": "claude-sonnet-4-5", "messages": user("hi"), "system": [
        {"type": "text", "text": "You are Claude Code."}, {"type": "text", "text": SUB + "Do the task."}]},
    "subagent-system-0": {"model": "claude-sonnet-4-5", "messages": user("hi"), "system": [
        {"type": "text", "text": SUB + "Do the task."}, {"type": "text", "text": "more"}]},
    "endoftext-with-thinking": {"model": "claude-sonnet-4-5", "messages": user("a <|endoftext|> b"),
                                "thinking": {"type": "enabled", "budget_tokens": 2048}},
    "image-counts-zero": {"model": "claude-sonnet-4-5", "messages": [{"role": "user", "content": [
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo" * 2000}},
        {"type": "text", "text": "what is this?"}]}]},
    "unicode-tool-input": {"model": "claude-sonnet-4-5", "messages": [
        {"role": "assistant", "content": [{"type": "tool_use", "id": "t", "name": "Write",
                                           "input": {"text": "héllo wörld ✓ " * 200, "n": 1.0}}]}]},
}
STREAMED = {"stream-default": "plain", "stream-thinking": "thinking-enabled", "stream-long": "tokens-over-threshold"}


@pytest.fixture(scope="module")
def stack(tmp_path_factory, ccr_cmd):
    mock = MockUpstream.start_in_thread(host="127.0.0.1", port=0)
    home = tmp_path_factory.mktemp("home")
    port = free_port()
    config = {
        "LOG": False, "PORT": port, "APIKEY": KEY,
        "transformers": [{"path": str(home / ".claude-code-router" / "hicap-transformer.js")}],
        "Providers": [{"name": "p", "api_base_url": mock.chat_url, "api_key": "upstream-key",
                       "models": ["dflt", "bg", "think", "lc", "ws", "sub", "gpt-5.2"]},
                      {"name": "h", "api_base_url": mock.chat_url, "api_key": "hicap-upstream-key",
                       "models": ["think", "ws"], "transformer": {"use": ["hicap"]}}],
        "Router": {"default": "p,dflt", "background": "p,bg", "think": "h,think", "longContext": "p,lc",
                   "longContextThreshold": THRESHOLD, "webSearch": "h,ws"},
    }
    (home / ".claude-code-router").mkdir()
    (home / ".claude-code-router" / "hicap-transformer.js").write_text(
        loader.load(preset="hicap").files["hicap-transformer.js"])
    (home / ".claude-code-router" / "config.json").write_text(json.dumps(config))
    proxy = Proxy.start_in_thread(loader.load(home / ".claude-code-router" / "config.json"), port=0)
    try:
        with CcrServer(home, ccr_cmd, port=port) as server:
            yield server, proxy, mock, config
    finally:
        proxy.stop()
        mock.stop()


AUTH_HEADERS = ("authorization", "api-key", "x-api-key")


def arrivals(mock) -> list[tuple]:
    """(model, auth headers) of each request the mock received."""
    return [(r.model, {h: r.headers[h] for h in AUTH_HEADERS if h in r.headers}) for r in mock.requests]


def send(url: str, body: dict) -> int:
    request = urllib.request.Request(url + "/v1/messages", data=json.dumps(body).encode(), method="POST",
                                     headers={"content-type": "application/json", "x-api-key": KEY,
                                              "anthropic-version": "2023-06-01"})
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            resp.read()
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.mark.parametrize("name", list(CASES) + list(STREAMED))
def test_ccrgen_routes_like_ccr(stack, name):
    ccr, proxy, mock, config = stack
    body = dict(CASES[STREAMED.get(name, name)], max_tokens=64)
    if name in STREAMED:
        body["stream"] = True
    mock.clear()
    ccr_status = send(ccr.url, body)
    through_ccr = arrivals(mock)
    mock.clear()
    ccrgen_status = send(proxy.url, body)
    through_ccrgen = arrivals(mock)
    predicted = choose_route(body, config)
    assert through_ccrgen == through_ccr, (ccr_status, ccrgen_status, predicted)
    if predicted.provider in {p["name"] for p in config["Providers"]}:
        assert [model for model, _ in through_ccr] == [predicted.model]
        assert ccr_status == ccrgen_status == 200
    else:
        assert through_ccr == [] and ccr_status >= 400 and ccrgen_status >= 400


def test_the_header_transformer_really_is_in_play(stack):
    """Guard for the test above: the two providers are told apart by their auth headers."""
    ccr, proxy, mock, config = stack
    mock.clear()
    send(ccr.url, dict(CASES["thinking-enabled"], max_tokens=8))
    send(ccr.url, dict(CASES["plain"], max_tokens=8))
    (_, hicap), (_, default) = arrivals(mock)
    assert hicap == {"api-key": "hicap-upstream-key"} and default == {"authorization": "Bearer upstream-key"}


def test_the_threshold_cases_sit_where_they_claim():
    assert count_tokens(CASES["tokens-at-threshold"]) == THRESHOLD
    assert count_tokens(CASES["tokens-over-threshold"]) == THRESHOLD + 1
