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
    finally:
        proc.terminate()
        proc.wait(10)
