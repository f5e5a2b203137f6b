"""The mock upstream is the one stand-in the tests use, so it must behave like an
OpenAI-compatible provider and record faithfully what arrived."""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest


def post(url: str, body: dict, headers: dict | None = None, timeout: float = 10):
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"content-type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def sse_data(text: str) -> list:
    events = []
    for line in text.splitlines():
        if line.startswith("data: "):
            data = line[len("data: "):]
            events.append(data if data == "[DONE]" else json.loads(data))
    return events


def chat(model="m1", stream=False, **extra) -> dict:
    return {"model": model, "stream": stream, "messages": [{"role": "user", "content": "hi"}], **extra}


def test_default_answer_names_the_model_and_records_headers(mock_upstream):
    status, text = post(mock_upstream.chat_url, chat("deepseek-chat"),
                        {"Authorization": "Bearer sk-test", "api-key": "k2"})
    assert status == 200
    answer = json.loads(text)
    assert answer["choices"][0]["message"]["content"] == "mock answer from deepseek-chat"
    assert answer["choices"][0]["finish_reason"] == "stop"
    seen = mock_upstream.requests[0]
    assert seen.model == "deepseek-chat"
    assert seen.headers["authorization"] == "Bearer sk-test"
    assert seen.headers["api-key"] == "k2"
    assert seen.path == "/v1/chat/completions"


def test_streaming_answer_is_sse_with_usage_and_done(mock_upstream):
    status, text = post(mock_upstream.chat_url, chat("m-stream", stream=True))
    assert status == 200
    events = sse_data(text)
    assert events[-1] == "[DONE]"
    content = "".join(e["choices"][0]["delta"].get("content") or "" for e in events[:-1] if e["choices"])
    assert content == "mock answer from m-stream"
    assert any(e.get("usage") for e in events[:-1])
    finishes = [e["choices"][0]["finish_reason"] for e in events[:-1] if e["choices"]]
    assert finishes[-1] == "stop"


def test_scripted_tool_call_streams_arguments_in_pieces(mock_upstream):
    mock_upstream.script([{"tool_call": {"name": "Bash", "arguments": {"command": "echo hi"}}}])
    _, text = post(mock_upstream.chat_url, chat(stream=True))
    events = [e for e in sse_data(text)[:-1] if e["choices"]]
    calls = [d for e in events for d in e["choices"][0]["delta"].get("tool_calls", [])]
    assert calls[0]["function"]["name"] == "Bash"
    assert json.loads("".join(c["function"]["arguments"] for c in calls)) == {"command": "echo hi"}
    assert events[-1]["choices"][0]["finish_reason"] == "tool_calls"
    # the script is used once; the next request gets the default answer
    _, text = post(mock_upstream.chat_url, chat("after"))
    assert json.loads(text)["choices"][0]["message"]["content"] == "mock answer from after"


def test_scripted_error_and_malformed(mock_upstream):
    mock_upstream.script([{"error": {"status": 429, "message": "slow down"}}, {"malformed": True}])
    status, text = post(mock_upstream.chat_url, chat())
    assert status == 429 and json.loads(text)["error"]["message"] == "slow down"
    status, text = post(mock_upstream.chat_url, chat())
    assert status == 200
    with pytest.raises(ValueError):
        json.loads(text)


def test_pause_stream_sends_first_chunk_before_the_pause(mock_upstream):
    mock_upstream.script([{"pause_stream": {"first": "Hel", "pause": 0.5, "rest": "lo"}}])
    host, port = mock_upstream.url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    conn.request("POST", "/v1/chat/completions", json.dumps(chat(stream=True)),
                 {"content-type": "application/json"})
    resp = conn.getresponse()
    start = time.monotonic()
    first = b""
    while b'"Hel"' not in first:
        first += resp.read1(65536)
    first_at = time.monotonic() - start
    rest = resp.read().decode()
    rest_at = time.monotonic() - start
    conn.close()
    assert b'"lo"' not in first
    assert '"lo"' in rest
    assert rest_at - first_at >= 0.4


def test_cut_stream_ends_without_done(mock_upstream):
    mock_upstream.script([{"cut_stream": {"first": "partial"}}])
    host, port = mock_upstream.url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    conn.request("POST", "/v1/chat/completions", json.dumps(chat(stream=True)),
                 {"content-type": "application/json"})
    resp = conn.getresponse()
    received = b""
    with pytest.raises((http.client.IncompleteRead, ConnectionError)):
        while True:
            chunk = resp.read1(65536)
            if not chunk:
                raise ConnectionError("closed")
            received += chunk
    conn.close()
    assert b"partial" in received
    assert b"[DONE]" not in received


def test_control_api_lists_scripts_and_clears(mock_upstream):
    post(mock_upstream.chat_url, chat("a"))
    with urllib.request.urlopen(mock_upstream.url + "/_mock/requests", timeout=5) as resp:
        listed = json.loads(resp.read())
    assert [r["model"] for r in listed] == ["a"]
    post(mock_upstream.url + "/_mock/script", [{"text": "scripted"}])
    _, text = post(mock_upstream.chat_url, chat("b"))
    assert json.loads(text)["choices"][0]["message"]["content"] == "scripted"
    request = urllib.request.Request(mock_upstream.url + "/_mock/requests", method="DELETE")
    urllib.request.urlopen(request, timeout=5).close()
    assert mock_upstream.requests == []


# -- auth as the real provider checks it -------------------------------------------------

HICAP_URL = "https://api.hicap.ai/v1/chat/completions"


@pytest.mark.parametrize("headers, reason", [
    ({"Authorization": "Bearer hk-0123456789"}, "no api-key header"),
    ({"api-key": ""}, "the api-key header is empty"),
    ({"api-key": "$HICAP_API_KEY"}, "the api-key header is the literal text `$HICAP_API_KEY`"),
    ({"api-key": "${HICAP_API_KEY}"}, "the api-key header is the literal text `${HICAP_API_KEY}`"),
])
def test_hicap_refuses_a_request_without_a_usable_api_key(mock_upstream, headers, reason):
    url = mock_upstream.provider_url("hicap", HICAP_URL)
    assert url == mock_upstream.url + "/p/hicap/v1/chat/completions"     # the endpoint's own path is kept
    status, text = post(url, chat("claude-sonnet-4.5"), headers)
    assert status == 401
    error = json.loads(text)["error"]                                      # OpenAI's error format
    assert error["code"] == "invalid_api_key" and error["type"] == "invalid_request_error"
    assert error["message"].startswith(f"Hicap: {reason}")
    [seen] = mock_upstream.requests                                        # still recorded, with why
    assert (seen.provider, seen.model, seen.status) == ("hicap", "claude-sonnet-4.5", 401)
    assert seen.rejected.startswith(reason)


def test_hicap_takes_api_key_with_or_without_a_bearer_token(mock_upstream):
    url = mock_upstream.provider_url("hicap", HICAP_URL)
    for headers in ({"api-key": "hk-0123456789"}, {"api-key": "hk-0123456789", "Authorization": "Bearer x"}):
        status, text = post(url, chat("gpt-5.2"), headers)
        assert status == 200 and "mock answer from gpt-5.2" in text
    assert [r.rejected for r in mock_upstream.requests] == [None, None]


@pytest.mark.parametrize("name, base_url", [("deepseek", "https://api.deepseek.com/chat/completions"),
                                            ("openrouter", "https://openrouter.ai/api/v1/chat/completions"),
                                            ("my-llm", "https://llm.example.test/v1/chat/completions")])
@pytest.mark.parametrize("headers, refused", [
    ({}, True), ({"Authorization": ""}, True), ({"Authorization": "Bearer "}, True),
    ({"Authorization": "Bearer $DEEPSEEK_API_KEY"}, True), ({"Authorization": "Token sk-0123456789"}, True),
    ({"api-key": "sk-0123456789"}, True), ({"Authorization": "Bearer sk-0123456789"}, False)])
def test_bearer_providers_and_unknown_ones_need_a_real_bearer_token(mock_upstream, name, base_url, headers, refused):
    status, _ = post(mock_upstream.provider_url(name, base_url), chat(), headers)
    assert status == (401 if refused else 200)
    assert mock_upstream.requests[-1].provider == name


def test_the_profile_follows_the_base_urls_host_not_the_name(mock_upstream):
    """A provider called `work` at api.hicap.ai is Hicap; one called `hicap` elsewhere is Hicap by name."""
    bearer = {"Authorization": "Bearer hk-0123456789"}
    assert post(mock_upstream.provider_url("work", HICAP_URL), chat(), bearer)[0] == 401
    assert post(mock_upstream.provider_url("hicap", "http://10.0.0.1/v1/chat/completions"), chat(), bearer)[0] == 401
    assert post(mock_upstream.provider_url("hicap", "https://openrouter.ai/api/v1/chat/completions"), chat(),
                bearer)[0] == 200
    assert mock_upstream.requests[-1].path == "/p/hicap/api/v1/chat/completions"


def test_a_local_ollama_takes_any_key_or_none(mock_upstream):
    url = mock_upstream.provider_url("ollama", "http://localhost:11434/v1/chat/completions")
    assert post(url, chat("qwen3:8b"), {})[0] == 200
    assert post(url, chat("qwen3:8b"), {"Authorization": "Bearer $UNSET"})[0] == 200


def test_a_refused_request_does_not_use_up_a_scripted_answer(mock_upstream):
    url = mock_upstream.provider_url("hicap", HICAP_URL)
    mock_upstream.script([{"text": "scripted"}])
    assert post(url, chat(), {})[0] == 401
    status, text = post(url, chat(), {"api-key": "hk-0123456789"})
    assert status == 200 and json.loads(text)["choices"][0]["message"]["content"] == "scripted"


def test_runs_as_a_program_and_writes_its_ready_file(tmp_path):
    ready = tmp_path / "ready"
    proc = subprocess.Popen([sys.executable, "-m", "ccrgen", "mock-upstream", "--port", "0",
                             "--ready-file", str(ready)], stdout=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        while not ready.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        url = ready.read_text().strip()
        status, text = post(url + "/v1/chat/completions", chat("cli-model"))
        assert status == 200 and "mock answer from cli-model" in text
        assert post(url + "/p/hicap/v1/chat/completions", chat(), {"Authorization": "Bearer k"})[0] == 401
        assert post(url + "/p/hicap/v1/chat/completions", chat(), {"api-key": "hk-0123"})[0] == 200
    finally:
        proc.terminate()
        proc.wait(10)


# -- other APIs: the answer in the format of the path's API, parsed as ccrgen serve parses it --

GEMINI_BASE = "https://generativelanguage.googleapis.com/v1beta/models/"
GEMINI_KEY = {"x-goog-api-key": "AIza-mock-0123456789"}
GEMINI_STEPS = [{}, {"reasoning": "let me think", "text": "forty-two"},
                {"tool_call": {"name": "Bash", "arguments": {"cmd": "ls"}}}]


def gemini_url(mock, model: str, stream: bool) -> str:
    action = "streamGenerateContent?alt=sse" if stream else "generateContent"
    return mock.provider_url("gemini", GEMINI_BASE, ["gemini"]) + f"{model}:{action}"


def gemini_as_chat(text: str, stream: bool) -> dict:
    """The mock's Gemini answer as ccrgen's gemini transformer makes it a chat completion
    (a stream's deltas put together)."""
    from ccrgen.proxy import gemini

    if not stream:
        return gemini.completion(json.loads(text))["choices"][0]
    convert, merged = gemini.GeminiStream(), {"message": {}, "finish_reason": None}
    for chunk in sse_data(text):
        choice = convert(chunk)["choices"][0]
        for key, value in choice["delta"].items():
            if key == "tool_calls":
                merged["message"].setdefault(key, []).extend(value)
            elif key != "role":
                merged["message"][key] = merged["message"].get(key, "") + value
        merged["finish_reason"] = choice["finish_reason"] or merged["finish_reason"]
    return merged


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "stream"])
@pytest.mark.parametrize("step", GEMINI_STEPS, ids=["default", "reasoning", "tool-call"])
def test_gemini_paths_are_answered_in_gemini_format(mock_upstream, step, stream):
    mock_upstream.script(dict(step))
    status, text = post(gemini_url(mock_upstream, "gemini-2.5-pro", stream),
                        {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}, GEMINI_KEY)
    assert status == 200, text
    choice = gemini_as_chat(text, stream)
    message = choice["message"]
    seen = mock_upstream.requests[-1]
    assert (seen.model, seen.stream, seen.api, seen.provider) == ("gemini-2.5-pro", stream, "gemini", "gemini")
    assert choice["finish_reason"] == "stop"
    if "tool_call" in step:
        assert [json.loads(c["function"]["arguments"]) for c in message["tool_calls"]] == [{"cmd": "ls"}]
    else:
        assert message["content"] == step.get("text", "mock answer from gemini-2.5-pro")
    if "reasoning" in step:   # signed thinking: ccrgen shows it as a thinking block
        assert message["reasoning_content"] == "let me think" and message["thinking_signature"]


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer AIza-mock-0123456789"},
                                     {"x-goog-api-key": "$GEMINI_API_KEY"}])
def test_gemini_native_api_refuses_without_a_usable_x_goog_api_key(mock_upstream, headers):
    status, text = post(gemini_url(mock_upstream, "gemini-2.5-flash", False), {"contents": []}, headers)
    assert status == 401
    assert json.loads(text)["error"]["status"] == "UNAUTHENTICATED"   # Google's error format
    assert "x-goog-api-key" in mock_upstream.requests[-1].rejected


def test_geminis_openai_compatible_endpoint_takes_a_bearer_token(mock_upstream):
    url = mock_upstream.provider_url("g", "https://generativelanguage.googleapis.com/v1beta/openai/chat/completions")
    assert post(url, chat("gemini-2.5-pro"), GEMINI_KEY)[0] == 401
    status, text = post(url, chat("gemini-2.5-pro"), {"Authorization": "Bearer AIza-mock-0123456789"})
    assert status == 200 and json.loads(text)["object"] == "chat.completion"


def responses_as_chat(text: str, stream: bool) -> dict:
    from ccrgen.proxy import openai_responses

    if not stream:
        return openai_responses.completion(json.loads(text))["choices"][0]
    convert, merged = openai_responses.ResponsesStream(), {"message": {}, "finish_reason": None}
    for event in sse_data(text):
        chunk = convert(event)
        if chunk is None:
            continue
        choice = chunk["choices"][0]
        for key, value in choice["delta"].items():
            if key == "tool_calls":
                calls = merged["message"].setdefault(key, [])
                if value[0].get("id"):
                    calls.append(dict(value[0]["function"], id=value[0]["id"]))
                else:
                    calls[-1]["arguments"] += value[0]["function"]["arguments"]
            elif key != "role" and value is not None:
                merged["message"][key] = merged["message"].get(key, "") + value
        merged["finish_reason"] = choice["finish_reason"] or merged["finish_reason"]
    return merged


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "stream"])
@pytest.mark.parametrize("step", GEMINI_STEPS, ids=["default", "reasoning", "tool-call"])
def test_responses_paths_are_answered_in_responses_format(mock_upstream, step, stream):
    mock_upstream.script(dict(step))
    url = mock_upstream.provider_url("openai", "https://api.openai.com/v1/responses")
    status, text = post(url, {"model": "gpt-5", "input": [{"role": "user", "content": "hi"}], "stream": stream},
                        {"Authorization": "Bearer sk-mock-0123456789"})
    assert status == 200, text
    if stream:   # typed events, each `event:` line naming its data's type
        lines = [line for line in text.splitlines() if line]
        assert [line[7:] for line in lines[0::2]] == [json.loads(line[6:])["type"] for line in lines[1::2]]
    choice = responses_as_chat(text, stream)
    message = choice["message"]
    assert mock_upstream.requests[-1].api == "openai-responses"
    if "tool_call" in step:
        assert choice["finish_reason"] == "tool_calls"
        assert [(c.get("name") or c["function"]["name"]) for c in message["tool_calls"]] == ["Bash"]
    else:
        assert choice["finish_reason"] == "stop"
        assert message["content"] == step.get("text", "mock answer from gpt-5")
    if "reasoning" in step and stream:
        assert message["reasoning_content"] == "let me think"


def test_a_raw_step_answers_exactly_the_given_answer_in_any_format(mock_upstream):
    events = [{"candidates": [{"content": {"parts": [{"text": "a"}]}}]}, {"candidates": []}]
    whole = {"candidates": [{"content": {"parts": [{"text": "ab"}]}, "finishReason": "STOP"}]}
    mock_upstream.script([{"raw": {"events": events, "whole": whole}}] * 2)
    assert sse_data(post(gemini_url(mock_upstream, "m", True), {}, GEMINI_KEY)[1]) == events
    assert json.loads(post(gemini_url(mock_upstream, "m", False), {}, GEMINI_KEY)[1]) == whole


@pytest.mark.parametrize("path, body, expected", [
    ("/", {"model": "m", "messages": []}, 404),
    ("/v1", {"model": "m", "messages": []}, 404),
    ("/v1beta/models/", {"contents": []}, 404),
    ("/api/paas/v4", {"model": "m", "messages": []}, 404),
    ("/v1/chat/completions", {"model": "m", "messages": [{"role": "system", "content": "s"}]}, None),
    ("/v1/chat/completions/", {"model": "m", "messages": []}, None),
    ("/v1/responses", {"model": "m", "input": "hi"}, None),
    ("/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse", {"contents": []}, None),
    ("/v1/messages", {"model": "m", "system": "s", "messages": [{"role": "user", "content": "hi"}]}, None),
    # Claude Code itself sends system role messages to Anthropic's API
    ("/v1/messages", {"model": "m", "messages": [{"role": "user", "content": "hi"},
                                                 {"role": "system", "content": "s"}]}, None),
    ("/anthropic/v1/messages", {"model": "m", "messages": [{"role": "tool", "content": "r"}]}, 400),
    ("/v1/messages", {"model": "m", "messages": [{"role": "user", "content": "hi"}],
                      "tools": [{"type": "function", "function": {"name": "Bash", "parameters": {}}}]}, 400),
    ("/v1/messages", {"model": "m", "messages": [{"role": "user", "content": [
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,AA"}}]}]}, 400),
    ("/v1/messages", {"model": "m", "messages": [{"role": "user", "content": "hi"}],
                      "tools": [{"name": "Bash", "input_schema": {"type": "object"}}]}, None),
])
def test_the_mock_refuses_what_no_real_endpoint_accepts(path, body, expected):
    from ccrgen.proxy.mock_upstream import no_api_at, wrong_format

    got = 404 if no_api_at(path) else 400 if wrong_format(path, body) else None
    assert got == expected


ANTHROPIC_KEY = {"x-api-key": "sk-ant-mock-0123456789"}


@pytest.mark.parametrize("stream", [False, True])
def test_anthropics_messages_api_answers_in_its_own_format(mock_upstream, stream):
    """What CCR's Anthropic pass-through hands back to Claude Code untouched."""
    url = mock_upstream.provider_url("anth", "https://api.anthropic.com/v1/messages", ["Anthropic"])
    body = {"model": "claude-sonnet-4-5", "max_tokens": 16, "stream": stream, "system": "s",
            "messages": [{"role": "user", "content": "hi"}]}
    mock_upstream.script([{"text": "hello there", "reasoning": "hmm"}])
    status, text = post(url, body, ANTHROPIC_KEY)
    assert status == 200
    if not stream:
        message = json.loads(text)
        assert message["type"] == "message" and message["model"] == "claude-sonnet-4-5"
        assert [b["type"] for b in message["content"]] == ["thinking", "text"]
        assert message["content"][1]["text"] == "hello there" and message["stop_reason"] == "end_turn"
        return
    events = sse_data(text)
    assert "event: message_start" in text and "[DONE]" not in text
    assert [e["type"] for e in events][0] == "message_start" and events[-1]["type"] == "message_stop"
    said = "".join(e["delta"].get("text", "") for e in events if e["type"] == "content_block_delta")
    assert said == "hello there"


def test_anthropics_messages_api_refuses_a_bearer_token_in_its_error_format(mock_upstream):
    url = mock_upstream.provider_url("anth", "https://api.anthropic.com/v1/messages")
    body = {"model": "claude-sonnet-4-5", "max_tokens": 16, "messages": [{"role": "user", "content": "hi"}]}
    status, text = post(url, body, {"Authorization": "Bearer sk-ant-mock-0123456789"})
    assert status == 401
    assert json.loads(text)["error"]["type"] == "authentication_error"
    assert "x-api-key" in mock_upstream.requests[-1].rejected
