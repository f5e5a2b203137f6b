"""Differential test of CCR 2.0.0's built-in transformers: the same requests through the real
CCR 2.0.0 and through `ccrgen serve` (in-process), on one config, to one recording mock
upstream. For every transformer (alone, and in the bundled presets' real chains) and every
request shape, the path, the headers and the JSON body that reach the provider must be
identical.

One CCR serves every case: each case is a provider of its own (explicit `provider,model`
requests pick it), so adding a transformer case is one line in CHAINS.

Headers that may differ, because they belong to the HTTP client and not to CCR's request:
user-agent (node's fetch vs aiohttp), content-length (same JSON, but JavaScript and Python
escape some characters differently), host, connection, accept, accept-encoding,
accept-language, sec-fetch-mode (added by node's fetch).
"""

from __future__ import annotations

import copy
import json
import urllib.error
import urllib.request

import pytest

from ccrgen.spec import loader
from ccrgen.ccr.runner import CcrServer
from ccrgen.spec.presets import all_presets
from ccrgen.proxy.mock_upstream import MockUpstream
from ccrgen.proxy.server import Proxy
from conftest import free_port

pytestmark = [pytest.mark.node, pytest.mark.slow]

KEY = "router-key-builtins"
CLIENT_HEADERS = {"user-agent", "content-length", "host", "connection", "accept", "accept-encoding",
                  "accept-language", "sec-fetch-mode"}
MODELS = ["claude-m", "gpt-m"]

# case name -> the provider's `transformer` (each transformer alone, options where it takes them)
CHAINS = {
    "none": None,
    "maxtoken": {"use": [["maxtoken", {"max_tokens": 100}]]},
    "sampling": {"use": [["sampling", {"max_tokens": 50, "temperature": 0.3, "top_p": 0.9, "top_k": 5}]]},
    "maxcompletiontokens": {"use": ["maxcompletiontokens"]},
    "streamoptions": {"use": ["streamoptions"]},
    "cleancache": {"use": ["cleancache"]},
    "customparams": {"use": [["customparams", {"temperature": 0.1, "seed": 7,
                                               "reasoning": {"effort": "low", "summary": "auto"}}]]},
    "deepseek": {"use": ["deepseek"]},
    "tooluse": {"use": ["tooluse"]},
    "openrouter": {"use": ["openrouter"]},
    "openrouter-options": {"use": [["openrouter", {"provider": {"only": ["anthropic"]}, "transforms": []}]]},
    "openai": {"use": ["OpenAI"]},
    "model-level": {"use": ["deepseek"], "gpt-m": {"use": ["tooluse", ["maxtoken", {"max_tokens": 9}]]}},
    "chain": {"use": ["cleancache", ["maxtoken", {"max_tokens": 300}], "streamoptions", "maxcompletiontokens"]},
    "reasoning": {"use": ["reasoning"]},
    "reasoning-off": {"use": [["reasoning", {"enable": False}]]},
    "reasoning-budget": {"use": [["customparams", {"reasoning": {"max_tokens": 512}}], "reasoning"]},
    "forcereasoning": {"use": ["forcereasoning"]},
    "enhancetool": {"use": ["enhancetool"]},
    "groq": {"use": ["groq"]},
    "cerebras": {"use": ["cerebras"]},
    # after cerebras' JSON copy the unset keys are gone, so customparams may set them
    "cerebras-chain": {"use": ["cerebras", ["customparams", {"temperature": 0.2, "max_tokens": 77}], "reasoning"]},
    "cerebras-headers": {"use": [["customparams", {"seed": 1}], "cerebras"], "gpt-m": {"use": ["enhancetool"]}},
    # at model level CCR sends cerebras' `{body, config}` answer itself as the body
    "cerebras-model-level": {"use": ["groq"], "gpt-m": {"use": ["cerebras", ["maxtoken", {"max_tokens": 5}]]}},
    "vercel": {"use": ["vercel"]},
    "vercel-options": {"use": [["vercel", {"providerOptions": {"gateway": {"order": ["bedrock"]}}}]]},
    "model-level-new": {"use": ["enhancetool"], "gpt-m": {"use": ["groq", "forcereasoning", "reasoning"]}},
    # CCR's pass-through: the client's request and headers go on as they came, x-api-key set
    "anthropic": {"use": ["Anthropic"]},
    "anthropic-and-unknown": {"use": ["Anthropic", "no-such-transformer"], "gpt-m": {"use": ["Anthropic"]}},
}

# providers CCR 2.0.0 does not register: options given to a built-in it holds as an instance
UNREGISTERED = {"options-for-tooluse": {"use": [["tooluse", {}]]},
                "options-for-deepseek-at-model": {"use": [], "gpt-m": {"use": [["deepseek", {"x": 1}]]}},
                "options-for-groq": {"use": [["groq", {}]]},
                "options-for-cerebras": {"use": [["cerebras", {"x": 1}]]}}

IMAGE = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
TOOLS = [{"name": "Bash", "description": "run a command",
          "input_schema": {"$schema": "http://json-schema.org/draft-07/schema#", "type": "object",
                           "properties": {"cmd": {"type": "string"}}, "required": ["cmd"]}},
         {"name": "Read", "input_schema": {"type": "object", "properties": {}}}]
SHAPES = {
    "plain": {"max_tokens": 10000, "messages": [{"role": "user", "content": "hi"}]},
    "system-blocks": {
        "max_tokens": 64, "temperature": 0.7, "top_p": 0.5, "stop_sequences": ["END"],
        "metadata": {"user_id": "u_session_s1"},
        "system": [{"type": "text", "text": "You are Claude Code.", "cache_control": {"type": "ephemeral"}},
                   {"type": "text", "text": "Be brief."}],
        "messages": [{"role": "user", "content": [
            {"type": "text", "text": "hello", "cache_control": {"type": "ephemeral"}}, {"type": "text", "text": "x"}]}]},
    "system-string": {"max_tokens": 64, "system": "Be brief.", "messages": [{"role": "user", "content": "hi"}]},
    "tools": {
        "max_tokens": 20000, "tools": TOOLS, "tool_choice": {"type": "auto"},
        "messages": [
            {"role": "user", "content": "list files"},
            {"role": "assistant", "content": [{"type": "text", "text": "Running it."},
                                              {"type": "tool_use", "id": "toolu_1", "name": "Bash",
                                               "input": {"cmd": "ls"}}]},
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "toolu_1", "content": "a.txt\nb.txt"},
                {"type": "text", "text": "and now?"}]},
            {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_2", "name": "Read", "input": {}}]},
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "toolu_2", "is_error": True,
                 "content": [{"type": "text", "text": "no such file"}], "cache_control": {"type": "ephemeral"}}]}]},
    "tool-choice": {"max_tokens": 64, "tools": TOOLS[:1], "tool_choice": {"type": "any", "disable_parallel_tool_use": True},
                    "messages": [{"role": "user", "content": "go"}]},
    "named-tool": {"max_tokens": 64, "tools": TOOLS[:1], "tool_choice": {"type": "tool", "name": "Bash"},
                   "messages": [{"role": "user", "content": "go"}]},
    "thinking": {
        "max_tokens": 16000, "thinking": {"type": "enabled", "budget_tokens": 2048},
        "messages": [{"role": "user", "content": "think"},
                     {"role": "assistant", "content": [{"type": "thinking", "thinking": "hmm", "signature": "sig"},
                                                       {"type": "text", "text": "ok"}]},
                     {"role": "user", "content": "more"}]},
    "image": {"max_tokens": 64, "messages": [{"role": "user", "content": [
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": IMAGE}},
        {"type": "image", "source": {"type": "url", "url": "https://example.com/a.png"}},
        {"type": "text", "text": "what is this?"}]}]},
    "unicode": {"max_tokens": 64, "messages": [{"role": "user", "content": "héllo ✓ \u2028 \U0001f600 </script>"}]},
}
STREAMED = {"stream-plain": "plain", "stream-tools": "tools"}


def case_provider(name: str) -> str:
    return f"t-{name}"


def preset_providers(mock_url: str) -> list[dict]:
    """The providers of every bundled preset whose config needs no transformer file, as built."""
    providers = []
    for ref in all_presets():
        if ref.origin != "bundled":
            continue
        built = loader.load(preset=ref.name)
        if built.files:   # hicap: its own file, covered by test_routing_vs_ccr and test_e2e_ccr
            continue
        for provider in copy.deepcopy(built.config.get("Providers") or []):
            provider.update(api_base_url=mock_url, api_key=f"key-{provider['name']}")
            providers.append(provider)
    return providers


@pytest.fixture(scope="module")
def gemini():
    """A mock upstream of its own for the providers that speak another API (Gemini's, the
    Responses API): its `raw` steps answer the exact chunks a case scripts."""
    stand_in = MockUpstream.start_in_thread(host="127.0.0.1", port=0)
    yield stand_in
    stand_in.stop()


@pytest.fixture(scope="module")
def stack(tmp_path_factory, ccr_cmd, gemini):
    mock = MockUpstream.start_in_thread(host="127.0.0.1", port=0)
    home = tmp_path_factory.mktemp("home")
    providers = [dict({"name": case_provider(name), "api_base_url": mock.chat_url, "api_key": f"key-{name}",
                       "models": MODELS}, **({"transformer": chain} if chain else {}))
                 for name, chain in {**CHAINS, **UNREGISTERED}.items()]
    providers += [{"name": case_provider(name), "api_base_url": gemini.url + path, "api_key": f"key-{name}",
                   "models": GEMINI_MODELS, "transformer": chain} for name, (path, chain) in GEMINI_CHAINS.items()]
    providers += [{"name": case_provider(name), "api_base_url": gemini.url + "/v1/responses", "api_key": f"key-{name}",
                   "models": MODELS, "transformer": chain} for name, chain in RESPONSES_CHAINS.items()]
    presets = preset_providers(mock.chat_url)
    config = {"LOG": False, "PORT": free_port(), "APIKEY": KEY, "Providers": providers + presets,
              "Router": {"default": f"{case_provider('none')},gpt-m"}}
    folder = home / ".claude-code-router"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps(config))
    proxy = Proxy.start_in_thread(loader.load(folder / "config.json"), port=0)
    try:
        with CcrServer(home, ccr_cmd, port=config["PORT"]) as server:
            yield server, proxy, mock, presets
    finally:
        proxy.stop()
        mock.stop()


def send(url: str, body: dict) -> tuple[int, bytes]:
    request = urllib.request.Request(url + "/v1/messages", data=json.dumps(body).encode(), method="POST",
                                     headers={"content-type": "application/json", "x-api-key": KEY,
                                              "anthropic-version": "2023-06-01"})
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def arrived(mock) -> list[dict]:
    return [{"path": r.path, "headers": {k: v for k, v in r.headers.items() if k not in CLIENT_HEADERS},
             "body": r.body} for r in mock.requests]


def both(stack, body: dict) -> tuple[list, list, int, int]:
    ccr, proxy, mock, _ = stack
    mock.clear()
    ccr_status, _ = send(ccr.url, body)
    through_ccr = arrived(mock)
    mock.clear()
    ccrgen_status, _ = send(proxy.url, body)
    return through_ccr, arrived(mock), ccr_status, ccrgen_status


def request(shape: str, target: str) -> dict:
    body = copy.deepcopy(SHAPES[STREAMED.get(shape, shape)])
    body["model"] = target
    if shape in STREAMED:
        body["stream"] = True
    return body


def assert_same(through_ccr, through_ccrgen, ccr_status, ccrgen_status, answered=True) -> None:
    """The same request reached the provider; both answered 200 (or, with answered=False,
    both failed on the provider's answer)."""
    assert len(through_ccr) == 1, (ccr_status, through_ccr)
    if answered:
        assert ccr_status == ccrgen_status == 200
    else:
        assert ccr_status >= 500 and ccrgen_status >= 500
    (want,), (got,) = through_ccr, through_ccrgen
    assert got["path"] == want["path"]
    assert got["headers"] == want["headers"]
    assert got["body"] == want["body"], json.dumps({"ccr": want["body"], "ccrgen": got["body"]}, indent=1)


@pytest.mark.parametrize("shape", list(SHAPES) + list(STREAMED))
@pytest.mark.parametrize("case", list(CHAINS))
def test_each_transformer_sends_what_ccr_sends(stack, case, shape):
    for model in MODELS:
        assert_same(*both(stack, request(shape, f"{case_provider(case)},{model}")))


@pytest.mark.parametrize("case", list(UNREGISTERED))
def test_a_provider_ccr_does_not_register_is_not_served(stack, case):
    through_ccr, through_ccrgen, ccr_status, ccrgen_status = both(stack, request("plain", f"{case_provider(case)},gpt-m"))
    assert through_ccr == through_ccrgen == []
    assert ccr_status == ccrgen_status == 404
    assert any(f"provider {case_provider(case)!r} is not registered" in note for note in stack[1].server.notes)


def preset_targets() -> list[str]:
    targets = []
    for ref in all_presets():
        built = loader.load(preset=ref.name) if ref.origin == "bundled" else None
        if built is None or built.files:
            continue
        targets += [f"{p['name']},{m}" for p in built.config.get("Providers") or [] for m in p.get("models") or []]
    return targets


@pytest.mark.parametrize("shape", list(SHAPES) + list(STREAMED))
@pytest.mark.parametrize("target", preset_targets())
def test_the_presets_chains_send_what_ccr_sends(stack, target, shape):
    assert_same(*both(stack, request(shape, target)))


def test_the_presets_really_use_the_transformers_under_test():
    """Guard: the bundled presets' chains are the ones this file claims to cover."""
    used = {entry if isinstance(entry, str) else entry[0]
            for target in preset_targets() for entry in _uses(target)}
    assert {"deepseek", "tooluse", "openrouter"} <= used


def _uses(target: str) -> list:
    provider_name, model = target.split(",", 1)
    for ref in all_presets():
        if ref.origin != "bundled":
            continue
        for provider in loader.load(preset=ref.name).config.get("Providers") or []:
            if provider["name"] == provider_name:
                spec = provider.get("transformer") or {}
                return list(spec.get("use") or []) + list((spec.get(model) or {}).get("use") or [])
    return []


# -- what the client gets back where a transformer changes the answer ------------------------

EXIT = {"tool_call": {"name": "ExitTool", "arguments": {"response": "nothing to run"}}}


def content_of(raw: bytes, stream: bool) -> list[tuple]:
    """The answer's blocks as (type, text), (type, thinking) or (type, tool name, input), from a
    whole message or an SSE stream."""
    if not stream:
        return [_block_view(b) for b in json.loads(raw)["content"]]
    blocks = {}
    for block in raw.decode().split("\n\n"):
        data = next((line[6:] for line in block.splitlines() if line.startswith("data: ")), None)
        event = json.loads(data) if data else {}
        if event.get("type") == "content_block_start":
            blocks[event["index"]] = dict(event["content_block"], partial="")
        elif event.get("type") == "content_block_delta":
            held, delta = blocks[event["index"]], event["delta"]
            for key, into in (("text", "text"), ("thinking", "thinking"), ("partial_json", "partial")):
                if key in delta:
                    held[into] = held.get(into, "") + delta[key]
    for held in blocks.values():
        if held["type"] == "tool_use":
            held["input"] = json.loads(held["partial"] or "{}")
    return [_block_view(blocks[i]) for i in sorted(blocks)]


def _block_view(block: dict) -> tuple:
    if block["type"] == "tool_use":
        return block["type"], block.get("name"), json.dumps(block.get("input"), sort_keys=True)
    return block["type"], block.get("text", block.get("thinking"))


BASH = {"tool_call": {"name": "Bash", "arguments": {"cmd": "ls -la", "note": "a \"quoted\" path"}}}
THOUGHT = {"reasoning": "let me think", "text": "42"}
JSON5_CALL = {"tool_call": {"name": "Bash", "arguments": "{cmd: 'ls', flags: ['-l',], n: +1,}"}}
TAGGED = {"text": "<reasoning_content>step one, step two</reasoning_content>\nThe answer is 42"}
# (case, what the mock answers, whether a whole answer is compared too). A whole answer's
# reasoning_content is not compared: CCR 2.0.0's client never sees it, ccrgen shows it as thinking.
ANSWERS = [("tooluse", EXIT, True), ("none", EXIT, True), ("openrouter", BASH, True),
           ("reasoning", THOUGHT, False), ("reasoning", BASH, True), ("forcereasoning", TAGGED, True),
           ("model-level-new", TAGGED, True), ("enhancetool", BASH, True), ("enhancetool", JSON5_CALL, True), ("groq", BASH, True),
           ("vercel", BASH, True), ("cerebras", BASH, True)]


ANSWER_CASES = [pytest.param(case, step, stream, id=f"{case}-{number}-{'stream' if stream else 'whole'}")
                for number, (case, step, whole) in enumerate(ANSWERS) for stream in (False, True) if stream or whole]


@pytest.mark.parametrize("case,step,stream", ANSWER_CASES)
def test_the_client_gets_what_ccr_gives(stack, case, step, stream):
    ccr, proxy, mock, _ = stack
    body = dict(request("tools", f"{case_provider(case)},gpt-m"), stream=stream)
    answers = []
    for url in (ccr.url, proxy.url):
        mock.clear()
        mock.script(dict(step))
        status, raw = send(url, body)
        assert status == 200, raw[:500]
        answers.append(content_of(raw, stream))
    assert answers[1] == answers[0]
    if case == "tooluse":
        assert answers[0] == [("text", "nothing to run")]
    if step is TAGGED and stream:
        assert answers[0] == [("thinking", "step one, step two"), ("text", "\nThe answer is 42")]
    if step is JSON5_CALL:
        assert answers[0] == [("tool_use", "Bash", json.dumps({"cmd": "ls", "flags": ["-l"], "n": 1}))]
    if step is THOUGHT:
        assert answers[0] == [("thinking", "let me think"), ("text", "42")]


# -- requests a transformer cannot take: CCR answers an error, so must ccrgen -----------------

SCHEMALESS = {"max_tokens": 64, "tools": [{"name": "Ping", "description": "no schema"}],
              "messages": [{"role": "user", "content": "go"}]}
NO_MESSAGES = {"max_tokens": 64, "messages": []}


@pytest.mark.parametrize("case,shape", [("groq", SCHEMALESS), ("forcereasoning", NO_MESSAGES)])
def test_a_request_the_transformer_cannot_take_fails_as_in_ccr(stack, case, shape):
    ccr, proxy, mock, _ = stack
    body = dict(copy.deepcopy(shape), model=f"{case_provider(case)},gpt-m")
    answers = []
    for url in (ccr.url, proxy.url):
        mock.clear()
        status, raw = send(url, body)
        answers.append((status, mock.requests[:], raw))
    assert answers[0][0] == 500 and answers[0][1] == []
    assert answers[1][0] == 500 and answers[1][1] == []
    assert f"transformer '{case}' fails on this request" in json.loads(answers[1][2])["error"]["message"]


# -- gemini: another URL, another request and answer format ------------------------------------
# The mock upstream answers Gemini's generateContent on `:generateContent` paths; here each
# request gets the scripted Gemini chunks (`raw`), as SSE for a stream.

GEMINI_MODELS = ["gemini-2.5-pro", "gemini-2.5-flash", "gemini-3-pro-preview"]
# case -> (path under the stand-in's URL, the provider's `transformer`)
GEMINI_CHAINS = {
    "gemini": ("/v1beta/models/", {"use": ["gemini"]}),
    "gemini-no-slash": ("/v1beta/models", {"use": ["gemini"]}),
    "gemini-budget": ("/v1beta/models/", {"use": [["customparams", {"reasoning": {"max_tokens": 100000}}], "gemini"]}),
    "gemini-then-cerebras": ("/v1beta/models/", {"use": ["gemini", "cerebras"]}),
    "gemini-model-level": ("/v1beta/models/", {"use": ["enhancetool"], "gemini-2.5-flash": {"use": ["gemini"]}}),
}


def _whole(chunks: list[dict]) -> dict:
    """The chunks as one generateContent answer: their parts together, the last finishReason."""
    parts = [p for c in chunks for p in c["candidates"][0]["content"]["parts"]]
    last = chunks[-1]
    return dict(last, candidates=[dict(last["candidates"][0], content={"role": "model", "parts": parts})])


def scripted(events: list[dict], whole: dict) -> dict:
    """A mock upstream step answering exactly these chunks (a stream) or this whole answer."""
    return {"raw": {"events": events, "whole": whole}}


def both_to_stand_in(stack, stand_in, body: dict, events: list[dict], whole: dict) -> tuple[list, list, int, int]:
    ccr, proxy, _, _ = stack
    seen, statuses = [], []
    for url in (ccr.url, proxy.url):
        stand_in.clear()
        stand_in.script(scripted(events, whole))
        statuses.append(send(url, body)[0])
        seen.append(arrived(stand_in))
    return seen[0], seen[1], statuses[0], statuses[1]


@pytest.mark.parametrize("shape", list(SHAPES) + list(STREAMED))
@pytest.mark.parametrize("case", list(GEMINI_CHAINS))
def test_gemini_sends_what_ccr_sends(stack, gemini, case, shape):
    chain = GEMINI_CHAINS[case][1]
    at_model_level = [m for m in GEMINI_MODELS if m in chain]   # only they speak Gemini there
    for model in at_model_level or GEMINI_MODELS:
        # at model level CCR sends gemini's `{body, config}` as the body, to the provider's own
        # URL, and does not convert the answer (the body it sent names no model): it fails
        text = GEMINI_ANSWERS["text"]
        assert_same(*both_to_stand_in(stack, gemini, request(shape, f"{case_provider(case)},{model}"), text,
                                      _whole(text)), answered=not at_model_level)


def _part(text=None, **extra) -> dict:
    return dict({"text": text} if text is not None else {}, **extra)


def _chunk(*parts, finish=None, model="gemini-2.5-pro") -> dict:
    candidate = {"content": {"role": "model", "parts": list(parts)}}
    if finish:
        candidate["finishReason"] = finish
    return {"candidates": [candidate], "modelVersion": model, "responseId": "r1",
            "usageMetadata": {"promptTokenCount": 9, "candidatesTokenCount": 3, "totalTokenCount": 12}}


GEMINI_ANSWERS = {
    "text": [_chunk(_part("Hello")), _chunk(_part(" world"), finish="STOP")],
    "signed-thought": [_chunk(_part("pondering", thought=True)), _chunk(_part("Hello", thoughtSignature="SIG-1")),
                       _chunk(_part(" world"), finish="STOP")],
    "unsigned-thought": [_chunk(_part("hmm", thought=True)), _chunk(_part("Answer"), finish="STOP")],
    "gemini-3-held": [_chunk(_part("hmm", thought=True), model="gemini-3-pro"),
                      _chunk(_part("held text"), model="gemini-3-pro"),
                      _chunk(_part("", thoughtSignature="SIG-3"), model="gemini-3-pro"),
                      _chunk(_part("after"), finish="STOP", model="gemini-3-pro")],
    "tool-call": [_chunk(_part("Running"), _part(functionCall={"name": "Bash", "args": {"cmd": "ls"}},
                                                 thoughtSignature="SIG-T"), finish="STOP")],
    "two-calls": [_chunk(_part(functionCall={"id": "c1", "name": "Bash", "args": {"cmd": "ls"}})),
                  _chunk(_part(functionCall={"id": "c2", "name": "Read", "args": {}}), finish="STOP")],
}


def _signatures(raw: bytes, stream: bool) -> list[str]:
    if not stream:
        return [b["signature"] for b in json.loads(raw)["content"] if b["type"] == "thinking"]
    found = []
    for block in raw.decode().split("\n\n"):
        data = next((line[6:] for line in block.splitlines() if line.startswith("data: ")), None)
        event = json.loads(data) if data else {}
        if event.get("type") == "content_block_delta" and event["delta"].get("type") == "signature_delta":
            found.append(event["delta"]["signature"])
    return found


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "stream"])
@pytest.mark.parametrize("answer", list(GEMINI_ANSWERS))
def test_a_gemini_answer_reaches_the_client_as_through_ccr(stack, gemini, answer, stream):
    ccr, proxy, _, _ = stack
    body = dict(request("tools", f"{case_provider('gemini')},gemini-2.5-pro"), stream=stream)
    answers, signatures = [], []
    for url in (ccr.url, proxy.url):
        gemini.clear()
        gemini.script(scripted(GEMINI_ANSWERS[answer], _whole(GEMINI_ANSWERS[answer])))
        status, raw = send(url, body)
        assert status == 200, raw[:500]
        answers.append(content_of(raw, stream))
        signatures.append([s for s in _signatures(raw, stream) if not s.startswith(("ccr_", "ccrgen-"))])
    expected = answers[0]
    if not stream:   # CCR puts a whole answer's thinking block last, ccrgen first (as Anthropic does)
        expected = [b for b in expected if b[0] == "thinking"] + [b for b in expected if b[0] != "thinking"]
    assert answers[1] == expected
    assert signatures[1] == signatures[0]   # Gemini's thought signature goes to the client, to come back
    if answer == "gemini-3-held" and stream:
        assert answers[0] == [("thinking", "hmm"), ("text", "held textafter")] and signatures[0] == ["SIG-3"]
    if answer == "tool-call":
        assert ("thinking", "(no content)") in answers[0] and signatures[0] == ["SIG-T"]


# -- openai-responses: the Responses API's request and answer, at the provider's own URL -------

RESPONSES_CHAINS = {
    "responses": {"use": ["openai-responses"]},
    # temperature and max_tokens are deleted, so customparams may set them again
    "responses-then-params": {"use": ["openai-responses", ["customparams", {"temperature": 0.3, "max_tokens": 9}]]},
    "responses-model-level": {"use": ["cleancache"], "gpt-m": {"use": ["openai-responses"]}},
}
CLAUDE_CODE_TOOLS = {"max_tokens": 64, "tool_choice": {"type": "auto"}, "messages": [{"role": "user", "content": "go"}],
                     "tools": [{"name": "Edit", "input_schema": {"type": "object", "required": ["file_path"],
                                                                 "properties": {"file_path": {"type": "string"}}}},
                               {"name": "WebSearch", "input_schema": {"type": "object", "properties": {
                                   "query": {"type": "string"}, "allowed_domains": {"type": "array"}}}},
                               {"name": "web_search", "input_schema": {"type": "object"}}]}


def _event(kind: str, **fields) -> dict:
    return {"type": kind, **fields}


def _response(*output, usage=True) -> dict:
    return {"object": "response", "id": "resp_1", "model": "gpt-5", "output": list(output),
            **({"usage": {"input_tokens": 11, "output_tokens": 4, "total_tokens": 15}} if usage else {})}


MESSAGE = {"type": "message", "id": "msg_1", "content": [{"type": "output_text", "text": "Hello there"}]}
CALL = {"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": "Bash", "arguments": '{"cmd": "ls"}'}
RESPONSES_ANSWERS = {
    "text": ([_event("response.created", response={}),
              _event("response.output_item.added", item={"type": "message", "id": "msg_1", "content": []}),
              _event("response.output_text.delta", item_id="msg_1", delta="Hello"),
              _event("response.output_text.delta", item_id="msg_1", delta=" there"),
              _event("response.completed", response=_response(MESSAGE))], _response(MESSAGE)),
    "reasoning-then-call": ([
        _event("response.reasoning_summary_text.delta", item_id="rs_1", delta="thinking it over"),
        _event("response.reasoning_summary_part.done", item_id="rs_1", part={"type": "summary_text"}),
        _event("response.output_item.added", item={"type": "function_call", "id": "fc_1", "call_id": "call_1",
                                                   "name": "Bash"}),
        _event("response.function_call_arguments.delta", item_id="fc_1", delta='{"cmd":'),
        _event("response.function_call_arguments.delta", item_id="fc_1", delta=' "ls"}'),
        _event("response.completed", response=_response(CALL))], _response(MESSAGE, CALL)),
}
RESPONSES_SHAPES = list(SHAPES) + list(STREAMED) + ["claude-code-tools"]


def responses_request(shape: str, target: str) -> dict:
    if shape != "claude-code-tools":
        return request(shape, target)
    return dict(copy.deepcopy(CLAUDE_CODE_TOOLS), model=target)


@pytest.mark.parametrize("shape", RESPONSES_SHAPES)
@pytest.mark.parametrize("case", list(RESPONSES_CHAINS))
def test_openai_responses_sends_what_ccr_sends(stack, gemini, case, shape):
    events, whole = RESPONSES_ANSWERS["text"]
    for model in [m for m in MODELS if m in RESPONSES_CHAINS[case]] or MODELS:
        assert_same(*both_to_stand_in(stack, gemini, responses_request(shape, f"{case_provider(case)},{model}"),
                                      events, whole))


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "stream"])
@pytest.mark.parametrize("answer", list(RESPONSES_ANSWERS))
def test_a_responses_answer_reaches_the_client_as_through_ccr(stack, gemini, answer, stream):
    ccr, proxy, _, _ = stack
    body = dict(request("tools", f"{case_provider('responses')},gpt-m"), stream=stream)
    answers, signatures = [], []
    for url in (ccr.url, proxy.url):
        gemini.clear()
        gemini.script(scripted(*RESPONSES_ANSWERS[answer]))
        status, raw = send(url, body)
        assert status == 200, raw[:500]
        answers.append(content_of(raw, stream))
        signatures.append([s for s in _signatures(raw, stream) if not s.startswith("ccrgen-")])
    assert answers[1] == answers[0]
    assert signatures[1] == signatures[0]
    if answer == "reasoning-then-call" and stream:
        assert answers[0] == [("thinking", "thinking it over"), ("tool_use", "Bash", json.dumps({"cmd": "ls"}))]
        assert signatures[0] == ["rs_1"]
