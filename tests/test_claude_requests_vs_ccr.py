"""The requests the real Claude Code CLI (2.1.x) sends, replayed through the real CCR 2.0.0 and
through `ccrgen serve` (in-process), on one config, to one recording mock upstream: for every
provider chain, the path, the headers and the JSON body that reach the provider must be
identical.

The requests in tests/data/claude_requests/ were captured from `claude -p` (2.1.197) pointed
at a recording upstream: a plain prompt, a Bash and a Read round trip (a tool_result holding an
image), `--model haiku` (thinking with a budget), an `ultrathink` prompt answered with a
thinking block and a tool call (the next request carries the signed thinking block back), an
Agent call (the Explore subagent's own haiku request, `thinking: disabled`; its answer comes
back as a tool_result list) and WebSearch's sub-request (the `web_search_20250305` tool).
What newer clients send and older ones did not is all there: `role: "system"` messages inside
`messages`, `context_management`, `output_config`, `metadata.user_id` as JSON, `thinking`
(`adaptive` or `enabled`), two dozen tools, cache_control on messages, tool results, system
blocks, `?beta=true` on the URL and Claude Code's own headers (anthropic-beta, x-stainless-*).
Long strings were trimmed to 240 characters, ids and the device id replaced; the structure is
as sent.

Each request is sent as Claude Code sent it (its path, its headers, the router key instead of
its token) once with `provider,model` naming each chain's provider, and once with the model
Claude Code named (routed: thinking is always set, so CCR's think route; see ROUTER).
"""

from __future__ import annotations

import copy
import json
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from ccrgen.ccr.runner import CcrServer
from ccrgen.proxy.mock_upstream import MockUpstream
from ccrgen.proxy.server import Proxy
from ccrgen.spec import loader
from conftest import free_port
from test_builtins_vs_ccr import GEMINI_ANSWERS, _whole, arrived, assert_same, scripted

pytestmark = [pytest.mark.node, pytest.mark.slow]

KEY = "router-key-claude-requests"
DATA = Path(__file__).parent / "data" / "claude_requests"
CAPTURED = {path.stem: json.loads(path.read_text()) for path in sorted(DATA.glob("*.json"))}
MODELS = ["claude-m", "gpt-m"]

# case name -> the provider's `transformer`
CHAINS = {
    "none": None,
    "tooluse": {"use": ["tooluse"]},
    "enhancetool": {"use": ["enhancetool"]},
    "reasoning": {"use": ["reasoning"]},
    "deepseek": {"use": ["deepseek"]},
    "openrouter": {"use": ["openrouter"]},
    "maxtoken": {"use": [["maxtoken", {"max_tokens": 100}]]},
    "cleancache": {"use": ["cleancache"]},
    "sampling": {"use": [["sampling", {"max_tokens": 50, "temperature": 0.3, "top_p": 0.9, "top_k": 5}]]},
    "chain": {"use": ["cleancache", "enhancetool", ["maxtoken", {"max_tokens": 300}], "reasoning"]},
    "anthropic": {"use": ["Anthropic"]},
    # the hicap preset's own transformer file (the key in `api-key`), alone and after built-ins
    "hicap": {"use": ["hicap"]},
    "hicap-chain": {"use": ["enhancetool", "hicap"], "claude-m": {"use": ["reasoning"]}},
}
GEMINI_MODELS = ["gemini-2.5-pro", "gemini-3-pro-preview"]
GEMINI_CHAINS = {"gemini": {"use": ["gemini"]}}
# Claude Code always sends `thinking`, so CCR routes its requests to `think`, but for haiku's
# (a subagent's: background) and WebSearch's sub-request (a web_search tool: webSearch)
ROUTER = {"default": "t-none,gpt-m", "think": "t-reasoning,claude-m", "background": "t-deepseek,gpt-m",
          "webSearch": "t-openrouter,claude-m"}


def case_provider(name: str) -> str:
    return f"t-{name}"


@pytest.fixture(scope="module")
def stack(tmp_path_factory, ccr_cmd):
    mock = MockUpstream.start_in_thread(host="127.0.0.1", port=0)
    gemini = MockUpstream.start_in_thread(host="127.0.0.1", port=0)
    providers = [dict({"name": case_provider(name), "api_base_url": mock.chat_url, "api_key": f"key-{name}",
                       "models": MODELS}, **({"transformer": chain} if chain else {}))
                 for name, chain in CHAINS.items()]
    providers[list(CHAINS).index("anthropic")]["api_base_url"] = mock.url + "/v1/messages"   # its own API
    providers += [{"name": case_provider(name), "api_base_url": gemini.url + "/v1beta/models/",
                   "api_key": f"key-{name}", "models": GEMINI_MODELS, "transformer": chain}
                  for name, chain in GEMINI_CHAINS.items()]
    home = tmp_path_factory.mktemp("home")
    folder = home / ".claude-code-router"
    folder.mkdir()
    hicap = folder / "hicap-transformer.js"
    hicap.write_text(loader.load(preset="hicap").files["hicap-transformer.js"])
    config = {"LOG": False, "PORT": free_port(), "APIKEY": KEY, "Providers": providers, "Router": ROUTER,
              "transformers": [{"path": str(hicap)}]}
    (folder / "config.json").write_text(json.dumps(config))
    proxy = Proxy.start_in_thread(loader.load(folder / "config.json"), port=0)
    try:
        with CcrServer(home, ccr_cmd, port=config["PORT"]) as server:
            yield server, proxy, mock, gemini
    finally:
        proxy.stop()
        mock.stop()
        gemini.stop()


def send(url: str, captured: dict, model: str | None) -> tuple[int, bytes]:
    """The captured request as Claude Code sent it: its path, its headers, its body (the
    router's key instead of Claude Code's token; `model` instead of Claude Code's, if given)."""
    body = copy.deepcopy(captured["body"])
    if model:
        body["model"] = model
    headers = dict(captured["headers"], authorization=f"Bearer {KEY}")
    request = urllib.request.Request(url + captured["path"], data=json.dumps(body).encode(), method="POST",
                                     headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def both(stack, upstream, captured: dict, model: str | None, step: dict | None = None):
    ccr, proxy = stack[0], stack[1]
    seen, statuses = [], []
    for url in (ccr.url, proxy.url):
        upstream.clear()
        if step:
            upstream.script(dict(step))
        statuses.append(send(url, captured, model)[0])
        seen.append(arrived(upstream))
    return seen[0], seen[1], statuses[0], statuses[1]


def test_the_captured_requests_are_claude_codes():
    """Guard: the stored requests hold what today's Claude Code sends and older clients did not."""
    assert len(CAPTURED) >= 7
    bodies = [c["body"] for c in CAPTURED.values()]
    assert all(c["path"] == "/v1/messages?beta=true" and c["client"].startswith("claude-cli/2.") for c in CAPTURED.values())
    assert all({"metadata", "thinking", "tools", "system", "stream"} <= set(b) for b in bodies)
    assert any("output_config" in b for b in bodies) and any("context_management" in b for b in bodies)
    assert any(m["role"] == "system" for b in bodies for m in b["messages"])
    blocks = [block for b in bodies for m in b["messages"] if isinstance(m["content"], list) for block in m["content"]]
    assert any(b["type"] == "tool_result" and isinstance(b["content"], list)
               and b["content"][0]["type"] == "image" for b in blocks)
    assert any(b["type"] == "thinking" and b.get("signature") for b in blocks)
    assert {b["thinking"]["type"] for b in bodies} == {"adaptive", "enabled", "disabled"}
    assert any(b["type"] == "tool_result" and isinstance(b["content"], list)
               and b["content"][0]["type"] == "text" for b in blocks)


@pytest.mark.parametrize("name", list(CAPTURED))
@pytest.mark.parametrize("case", list(CHAINS))
def test_claude_codes_request_reaches_the_provider_as_through_ccr(stack, case, name):
    for model in MODELS:
        through_ccr, *rest = both(stack, stack[2], CAPTURED[name], f"{case_provider(case)},{model}")
        assert_same(through_ccr, *rest)
        if case.startswith("hicap"):   # CCR really loaded the file
            assert through_ccr[0]["headers"].get("api-key") == f"key-{case}"
            assert "authorization" not in through_ccr[0]["headers"]


@pytest.mark.parametrize("name", list(CAPTURED))
@pytest.mark.parametrize("case", list(GEMINI_CHAINS))
def test_claude_codes_request_reaches_gemini_as_through_ccr(stack, case, name):
    text = GEMINI_ANSWERS["text"]
    for model in GEMINI_MODELS:
        assert_same(*both(stack, stack[3], CAPTURED[name], f"{case_provider(case)},{model}",
                          scripted(text, _whole(text))))


@pytest.mark.parametrize("name", list(CAPTURED))
def test_claude_codes_request_is_routed_as_by_ccr(stack, name):
    """The model as Claude Code named it: the route CCR picks, and what reaches that provider."""
    through_ccr, *rest = both(stack, stack[2], CAPTURED[name], None)
    assert_same(through_ccr, *rest)
    route = {"haiku": "background", "explore-subagent": "background", "web-search-subrequest": "webSearch"}.get(name, "think")
    assert through_ccr[0]["headers"]["authorization"] == "Bearer key-" + ROUTER[route].split(",")[0][2:]


# Claude Code 2.1 sends `thinking` without a budget: `adaptive` (with output_config.effort) to
# its main model, `disabled` to a subagent's haiku. CCR's effort is getThinkLevel(budget_tokens)
# with JavaScript's comparisons: an absent budget (undefined: every comparison false) is
# "high", null is 0 ("none"), a numeric string counts as its number; `{}` is truthy, so it too
# gets a reasoning. The captured bodies' other `thinking` shapes, and the edges.
THINKING = {
    "adaptive": {"type": "adaptive"}, "disabled": {"type": "disabled"}, "empty": {},
    "zero": {"type": "enabled", "budget_tokens": 0}, "1024": {"type": "enabled", "budget_tokens": 1024},
    "1025": {"type": "enabled", "budget_tokens": 1025}, "8192": {"type": "enabled", "budget_tokens": 8192},
    "8193": {"type": "enabled", "budget_tokens": 8193}, "null": {"type": "enabled", "budget_tokens": None},
    "string": {"type": "enabled", "budget_tokens": "5000"}, "spaced": {"type": "enabled", "budget_tokens": " 12 "},
    "word": {"type": "enabled", "budget_tokens": "abc"}, "blank": {"type": "enabled", "budget_tokens": ""},
    "float": {"type": "enabled", "budget_tokens": 1024.5}, "true": {"type": "enabled", "budget_tokens": True},
    "list": {"type": "enabled", "budget_tokens": [2000]}, "object": {"type": "enabled", "budget_tokens": {}},
    "negative": {"type": "enabled", "budget_tokens": -5}, "hex": {"type": "enabled", "budget_tokens": "0x10"},
}


@pytest.mark.parametrize("shape", list(THINKING))
def test_claude_codes_thinking_becomes_the_reasoning_ccr_sends(stack, shape):
    captured = copy.deepcopy(CAPTURED["hello"])
    captured["body"]["thinking"] = THINKING[shape]
    assert_same(*both(stack, stack[2], captured, f"{case_provider('none')},gpt-m"))
    text = GEMINI_ANSWERS["text"]
    assert_same(*both(stack, stack[3], captured, f"{case_provider('gemini')},gemini-3-pro-preview",
                      scripted(text, _whole(text))))


# -- count_tokens: Claude Code asks it with its own model name (no comma) ----------------------

def count(url: str, body: dict) -> tuple[int, object]:
    request = urllib.request.Request(url + "/v1/messages/count_tokens?beta=true", data=json.dumps(body).encode(),
                                     method="POST", headers={"content-type": "application/json",
                                                             "authorization": f"Bearer {KEY}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, None


COUNTED = {**{name: captured["body"] for name, captured in CAPTURED.items()},
           "provider-model": dict(CAPTURED["hello"]["body"], model="t-none,gpt-m"),
           "special-token": {"model": "claude-x", "messages": [{"role": "user", "content": "a <|endoftext|> b"}]},
           "special-token-provider-model": {"model": "t-none,gpt-m",
                                            "messages": [{"role": "user", "content": "<|endoftext|>"}]}}


@pytest.mark.parametrize("name", list(COUNTED))
def test_count_tokens_answers_what_ccr_answers(stack, name):
    """CCR names a tokenizer only for a `provider,model`, and answers 500 where tiktoken
    refuses the text (ccrgen answered {"input_tokens": 0, "tokenizer": "cl100k_base"})."""
    ccr, proxy = stack[0], stack[1]
    through_ccr, through_ccrgen = count(ccr.url, COUNTED[name]), count(proxy.url, COUNTED[name])
    assert through_ccrgen == through_ccr
    assert (through_ccr[0] == 500) == name.startswith("special-token")
