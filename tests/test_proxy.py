"""The built-in proxy (`ccrgen serve`), in-process on a free loopback port, in front of
ccrgen's mock upstream: what a client gets back, and what reaches the provider."""

from __future__ import annotations

import http.client
import json
import socket
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest

from ccrgen.spec import loader
from ccrgen.proxy.server import Proxy
from conftest import REPO, free_port

KEY = "client-key-123"
UPSTREAM_KEY = "sk-upstream-abcdef123456"


def base_config(chat_url: str, **extra) -> dict:
    config = {"APIKEY": KEY, "LOG": False,
              "Providers": [{"name": "p", "api_base_url": chat_url, "api_key": UPSTREAM_KEY,
                             "models": ["main", "fast", "deep"]}],
              "Router": {"default": "p,main", "background": "p,fast", "think": "p,deep"}}
    config.update(extra)
    return config


def user(text="hi", **extra) -> dict:
    return {"model": "claude-sonnet-4-5", "max_tokens": 64, "messages": [{"role": "user", "content": text}], **extra}


class Client:
    def __init__(self, url: str, key: str | None = KEY):
        parsed = urlparse(url)
        self.host, self.port, self.key = parsed.hostname, parsed.port, key

    def post(self, body, path="/v1/messages", headers=None, timeout=30):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        all_headers = {"content-type": "application/json", "anthropic-version": "2023-06-01", **(headers or {})}
        if self.key and "x-api-key" not in all_headers and "authorization" not in all_headers:
            all_headers["x-api-key"] = self.key
        conn.request("POST", path, body=data, headers=all_headers)
        response = conn.getresponse()
        raw = response.read()
        conn.close()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, raw

    def json(self, body, **kwargs):
        status, headers, raw = self.post(body, **kwargs)
        return status, headers, json.loads(raw)

    def events(self, body, **kwargs):
        status, headers, raw = self.post(dict(body, stream=True), **kwargs)
        return status, headers, parse_sse(raw)


def parse_sse(raw: bytes) -> list[tuple[str, dict]]:
    events = []
    for block in raw.decode().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if "event" in lines:
            events.append((lines["event"], json.loads(lines["data"])))
    return events


def streamed_text(events) -> str:
    return "".join(e["delta"].get("text", "") for name, e in events if name == "content_block_delta")


@pytest.fixture
def serve(tmp_path):
    """Start the proxy on a config dict (or a LoadedConfig); returns (client, handle, log lines)."""
    handles = []

    def start(config, *, key=KEY, **options):
        if isinstance(config, dict):
            path = tmp_path / f"config-{len(handles)}.json"
            path.write_text(json.dumps(config))
            config = loader.load(path)
        lines: list[str] = []
        handle = Proxy.start_in_thread(config, port=0, log=lines.append, **options)
        handles.append(handle)
        return Client(handle.url, key), handle, lines

    yield start
    for handle in handles:
        handle.stop()


# -- answers ------------------------------------------------------------------------------

def test_plain_answer_names_the_route_and_model(serve, mock_upstream):
    client, proxy, log = serve(base_config(mock_upstream.chat_url))
    status, headers, answer = client.json(user())
    assert status == 200
    assert answer["content"] == [{"type": "text", "text": "mock answer from main"}]
    assert answer["stop_reason"] == "end_turn" and answer["type"] == "message"
    assert answer["usage"]["input_tokens"] == 12 and answer["usage"]["output_tokens"] == 4
    assert headers["x-ccrgen-route"] == "default" and headers["x-ccrgen-model"] == "p,main"
    assert any("route=default model=p,main" in line and " 200 " in line for line in log)


def test_streamed_answer_is_a_well_formed_anthropic_stream(serve, mock_upstream):
    client, _, _ = serve(base_config(mock_upstream.chat_url))
    status, headers, events = client.events(user(thinking={"type": "enabled", "budget_tokens": 2000}))
    assert status == 200 and headers["x-ccrgen-route"] == "think"
    names = [name for name, _ in events]
    assert names[0] == "message_start" and names[-2:] == ["message_delta", "message_stop"]
    assert streamed_text(events) == "mock answer from deep"
    assert events[-2][1]["delta"]["stop_reason"] == "end_turn"
    assert events[-2][1]["usage"]["output_tokens"] == 4
    assert names.count("content_block_start") == names.count("content_block_stop") == 1


def test_reasoning_becomes_a_thinking_block(serve, mock_upstream):
    client, _, _ = serve(base_config(mock_upstream.chat_url))
    mock_upstream.script([{"reasoning": "let me think", "text": "42"}] * 2)
    _, _, answer = client.json(user())
    assert [b["type"] for b in answer["content"]] == ["thinking", "text"]
    assert answer["content"][0]["thinking"] == "let me think" and answer["content"][0]["signature"]
    _, _, events = client.events(user())
    starts = [e["content_block"]["type"] for n, e in events if n == "content_block_start"]
    thinking = "".join(e["delta"].get("thinking", "") for n, e in events if n == "content_block_delta")
    assert starts == ["thinking", "text"] and thinking == "let me think"
    assert any(e["delta"]["type"] == "signature_delta" for n, e in events if n == "content_block_delta")


@pytest.mark.parametrize("stream", [False, True])
def test_tool_calls_come_back_as_tool_use(serve, mock_upstream, stream):
    client, _, _ = serve(base_config(mock_upstream.chat_url))
    arguments = {"command": "ls -la", "description": "list ✓ files"}
    mock_upstream.script({"tool_call": {"id": "call_7", "name": "Bash", "arguments": arguments}})
    if stream:
        _, _, events = client.events(user())
        start = next(e["content_block"] for n, e in events if n == "content_block_start")
        pieces = [e["delta"]["partial_json"] for n, e in events
                  if n == "content_block_delta" and e["delta"]["type"] == "input_json_delta"]
        assert start["type"] == "tool_use" and start["id"] == "call_7" and start["name"] == "Bash"
        assert len(pieces) > 1 and json.loads("".join(pieces)) == arguments
        assert events[-2][1]["delta"]["stop_reason"] == "tool_use"
    else:
        _, _, answer = client.json(user())
        assert answer["content"] == [{"type": "tool_use", "id": "call_7", "name": "Bash", "input": arguments}]
        assert answer["stop_reason"] == "tool_use"


def test_request_reaches_the_provider_as_a_chat_completion(serve, mock_upstream):
    client, _, _ = serve(base_config(mock_upstream.chat_url))
    body = {
        "model": "claude-sonnet-4-5", "max_tokens": 300, "temperature": 0.2, "stop_sequences": ["STOP"],
        "system": [{"type": "text", "text": "You are terse."}, {"type": "text", "text": "Really."}],
        "tools": [{"name": "Bash", "description": "run", "input_schema": {"type": "object"}}],
        "tool_choice": {"type": "any"},
        "messages": [
            {"role": "user", "content": [{"type": "text", "text": "look"},
                                         {"type": "image", "source": {"type": "base64", "media_type": "image/png",
                                                                      "data": "iVBORw0KGgo="}}]},
            {"role": "assistant", "content": [{"type": "thinking", "thinking": "hmm", "signature": "s"},
                                              {"type": "text", "text": "running"},
                                              {"type": "tool_use", "id": "t1", "name": "Bash", "input": {"c": "ls"}}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1",
                                          "content": [{"type": "text", "text": "a.txt"}]},
                                         {"type": "text", "text": "and?"}]}],
    }
    assert client.json(body)[0] == 200
    sent = mock_upstream.requests[-1].body
    assert sent["model"] == "main" and sent["max_tokens"] == 300 and sent["temperature"] == 0.2
    # exactly CCR 2.0.0's shape (tests/test_builtins_vs_ccr.py): no `stop`, "any" kept
    assert "stop" not in sent and sent["tool_choice"] == "any" and sent["stream"] is False
    assert sent["tools"] == [{"type": "function", "function": {"name": "Bash", "description": "run",
                                                               "parameters": {"type": "object"}}}]
    roles = [m["role"] for m in sent["messages"]]
    assert roles == ["system", "user", "assistant", "tool", "user"]
    assert [p["text"] for p in sent["messages"][0]["content"]] == ["You are terse.", "Really."]
    assert sent["messages"][1]["content"][1] == {"type": "image_url", "media_type": "image/png",
                                                  "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}
    assert sent["messages"][2] == {"role": "assistant", "content": "running", "tool_calls": [
        {"id": "t1", "type": "function", "function": {"name": "Bash", "arguments": '{"c":"ls"}'}}],
        "thinking": {"content": "hmm", "signature": "s"}}
    assert sent["messages"][3] == {"role": "tool", "tool_call_id": "t1", "content": '[{"type":"text","text":"a.txt"}]'}
    assert sent["messages"][4]["content"] == [{"type": "text", "text": "and?"}]


def test_count_tokens_counts_like_ccr(serve, mock_upstream):
    from ccrgen.proxy.tokens import count_tokens

    client, _, _ = serve(base_config(mock_upstream.chat_url))
    body = user("hello " * 50, system="be brief")
    status, _, answer = client.json(body, path="/v1/messages/count_tokens")
    assert status == 200 and answer["input_tokens"] == count_tokens(body) > 50
    assert mock_upstream.requests == []


def test_a_providers_cookie_does_not_follow_later_requests(serve, mock_upstream):
    # by name, not by IP address: aiohttp's default jar keeps cookies only from names
    url = mock_upstream.chat_url.replace("127.0.0.1", "localhost")
    client, _, _ = serve(base_config(url))
    mock_upstream.script([{"set_cookie": "session=from-provider; Path=/"}])
    assert client.json(user("one"))[0] == 200
    assert client.json(user("two"))[0] == 200
    first, second = mock_upstream.requests
    assert "cookie" not in first.headers and "cookie" not in second.headers


# -- auth -----------------------------------------------------------------------------------

def test_client_auth_as_ccr(serve, mock_upstream):
    client, proxy, _ = serve(base_config(mock_upstream.chat_url))
    assert client.json(user(), headers={"authorization": f"Bearer {KEY}"})[0] == 200
    status, _, answer = Client(proxy.url, key=None).json(user())
    assert (status, answer["error"]["message"]) == (401, "APIKEY is missing")
    status, _, answer = client.json(user(), headers={"x-api-key": "nope"})
    assert (status, answer["error"]["type"], answer["error"]["message"]) == (401, "authentication_error",
                                                                          "Invalid API key")
    for path in ("/", "/health"):
        conn = http.client.HTTPConnection(client.host, client.port)
        conn.request("GET", path)
        assert conn.getresponse().status == 200
    assert len(mock_upstream.requests) == 1


def test_without_apikey_it_listens_on_loopback_only(serve, mock_upstream):
    config = base_config(mock_upstream.chat_url, HOST="0.0.0.0")
    del config["APIKEY"]
    client, proxy, _ = serve(config, key=None)
    assert proxy.host == "127.0.0.1"
    assert any("loopback" in note or "127.0.0.1 only" in note for note in proxy.notes)
    assert client.json(user())[0] == 200


def test_upstream_gets_bearer_by_default(serve, mock_upstream):
    client, _, _ = serve(base_config(mock_upstream.chat_url))
    client.json(user())
    headers = mock_upstream.requests[-1].headers
    assert headers["authorization"] == f"Bearer {UPSTREAM_KEY}" and "api-key" not in headers


def test_hicap_preset_sends_api_key_header_not_authorization(serve, tmp_path, monkeypatch, node_bin):
    monkeypatch.setenv("HICAP_API_KEY", "hicap-key-for-tests-0001")
    loaded = loader.load(preset="hicap")
    client, proxy, _ = serve(loaded, mock_upstream=True, key="hicap-key-for-tests-0001")
    status, headers, _ = client.json(user())
    assert status == 200 and headers["x-ccrgen-model"] == "hicap,claude-sonnet-4.5"
    arrived = proxy.mock.requests[-1]
    assert arrived.headers["api-key"] == "hicap-key-for-tests-0001"
    assert "authorization" not in arrived.headers and arrived.model == "claude-sonnet-4.5"


GUIDE_TRANSFORMER = """
module.exports = class HicapTransformer {
  static name = "hicap";
  name = "hicap";
  async transformRequestIn(request, provider, context) {
    return { body: request, config: { headers: { "api-key": provider.apiKey, Authorization: undefined,
                                                 authorization: undefined } } };
  }
};
"""


@pytest.mark.parametrize("where", ["absolute", "tilde"])
def test_hand_written_transformer_is_applied_only_where_ccr_would_load_it(serve, mock_upstream, tmp_path,
                                                                           node_bin, where):
    path = tmp_path / "hicap-transformer.js"
    path.write_text(GUIDE_TRANSFORMER)
    configured = str(path) if where == "absolute" else "~/.claude-code-router/no-such-dir/hicap-transformer.js"
    config = base_config(mock_upstream.chat_url, transformers=[{"path": configured}])
    config["Providers"][0]["transformer"] = {"use": ["hicap"]}
    client, proxy, _ = serve(config)
    assert client.json(user())[0] == 200
    headers = mock_upstream.requests[-1].headers
    if where == "absolute":
        assert headers["api-key"] == UPSTREAM_KEY and "authorization" not in headers
    else:  # CCR does not expand ~: the transformer never loads and Bearer goes out
        assert headers["authorization"] == f"Bearer {UPSTREAM_KEY}" and "api-key" not in headers
        assert any("does not load" in note for note in proxy.notes)


def test_unset_variables_stay_as_text_with_a_note(serve, mock_upstream, monkeypatch):
    monkeypatch.delenv("CCRGEN_TEST_UNSET_KEY", raising=False)
    config = base_config(mock_upstream.chat_url)
    config["Providers"][0]["api_key"] = "$CCRGEN_TEST_UNSET_KEY"
    client, proxy, _ = serve(config)
    assert client.json(user())[0] == 200
    assert mock_upstream.requests[-1].headers["authorization"] == "Bearer $CCRGEN_TEST_UNSET_KEY"
    assert any("$CCRGEN_TEST_UNSET_KEY is not set" in note for note in proxy.notes)


def test_set_variables_are_interpolated(serve, mock_upstream, monkeypatch):
    monkeypatch.setenv("CCRGEN_TEST_KEY", "sk-from-env-9876")
    config = base_config(mock_upstream.chat_url)
    config["Providers"][0]["api_key"] = "${CCRGEN_TEST_KEY}"
    client, _, _ = serve(config)
    client.json(user())
    assert mock_upstream.requests[-1].headers["authorization"] == "Bearer sk-from-env-9876"


def test_builtin_transformers_applied_or_reported_by_name(serve, mock_upstream):
    config = base_config(mock_upstream.chat_url)
    config["Providers"][0]["transformer"] = {"use": [["maxtoken", {"max_tokens": 50}], "vertex-gemini"],
                                             "deep": {"use": ["streamoptions"]}}
    client, proxy, _ = serve(config)
    client.json(user())
    assert mock_upstream.requests[-1].body["max_tokens"] == 50
    client.events(user(thinking={"type": "enabled", "budget_tokens": 10}))
    assert mock_upstream.requests[-1].body["stream_options"] == {"include_usage": True}
    unimplemented = [note for note in proxy.notes if "not implemented" in note]
    assert len(unimplemented) == 1 and "'vertex-gemini'" in unimplemented[0]


# -- upstream trouble -------------------------------------------------------------------------

def test_connection_refused_is_502(serve):
    client, _, _ = serve(base_config(f"http://127.0.0.1:{free_port()}/v1/chat/completions"))
    status, _, answer = client.json(user())
    assert status == 502 and "cannot connect to provider 'p'" in answer["error"]["message"]
    status, _, raw = client.post(dict(user(), stream=True))
    assert status == 502 and json.loads(raw)["type"] == "error"


@pytest.mark.parametrize("stream", [False, True])
def test_timeout_is_504(serve, mock_upstream, stream):
    client, _, _ = serve(base_config(mock_upstream.chat_url, API_TIMEOUT_MS="300"))
    mock_upstream.script({"delay_before": 2})
    started = time.monotonic()
    status, _, raw = client.post(dict(user(), stream=stream))
    assert status == 504 and time.monotonic() - started < 1.8
    assert "did not answer within 300 ms (API_TIMEOUT_MS)" in json.loads(raw)["error"]["message"]


@pytest.mark.parametrize("status", [400, 401, 429, 500, 503])
def test_provider_errors_keep_status_and_message(serve, mock_upstream, status):
    client, _, _ = serve(base_config(mock_upstream.chat_url))
    mock_upstream.script({"error": {"status": status, "message": f"provider says no ({status}) key {UPSTREAM_KEY}"}})
    got, headers, answer = client.json(user())
    assert got == status and headers["x-ccrgen-model"] == "p,main"
    assert f"provider says no ({status})" in answer["error"]["message"]
    assert UPSTREAM_KEY not in answer["error"]["message"]


def test_malformed_provider_json_is_502(serve, mock_upstream):
    client, _, _ = serve(base_config(mock_upstream.chat_url))
    mock_upstream.script({"malformed": True})
    status, _, answer = client.json(user())
    assert status == 502 and "invalid JSON" in answer["error"]["message"]


def test_a_stream_cut_midway_ends_with_an_error_event(serve, mock_upstream):
    client, _, _ = serve(base_config(mock_upstream.chat_url))
    mock_upstream.script({"cut_stream": {"first": "partial"}})
    status, _, events = client.events(user(), timeout=10)
    assert status == 200
    assert streamed_text(events) == "partial"
    assert events[-1][0] == "error" and "cut" in events[-1][1]["error"]["message"]


def test_request_body_size_is_limited(serve, mock_upstream):
    client, _, _ = serve(base_config(mock_upstream.chat_url), max_body=100_000)
    status, _, answer = client.json(user("x" * 200_000))
    assert status == 413 and answer["error"]["type"] == "request_too_large"
    assert mock_upstream.requests == []


def test_unknown_provider_is_an_anthropic_404(serve, mock_upstream):
    client, _, _ = serve(base_config(mock_upstream.chat_url))
    status, headers, answer = client.json(dict(user(), model="nope,main"))
    assert status == 404 and "provider 'nope' not found" in answer["error"]["message"]
    assert headers["x-ccrgen-route"] == "explicit"


def test_first_text_arrives_before_the_rest(serve, mock_upstream):
    client, _, _ = serve(base_config(mock_upstream.chat_url))
    mock_upstream.script({"pause_stream": {"first": "early ", "pause": 0.5, "rest": "late"}})
    conn = http.client.HTTPConnection(client.host, client.port, timeout=10)
    conn.request("POST", "/v1/messages", body=json.dumps(user(stream=True)),
                 headers={"x-api-key": KEY, "content-type": "application/json"})
    response = conn.getresponse()
    started, seen = time.monotonic(), {}
    buffer = b""
    while "late" not in seen:
        line = response.fp.readline()
        if not line:
            break
        buffer += line
        for word in ("early", "late"):
            if word not in seen and f'"text":"{word}'.encode() in line:
                seen[word] = time.monotonic() - started
    conn.close()
    assert set(seen) == {"early", "late"}
    assert seen["late"] - seen["early"] >= 0.4, seen


def test_client_disconnect_cancels_the_upstream_request(serve, mock_upstream):
    client, proxy, _ = serve(base_config(mock_upstream.chat_url))
    mock_upstream.script({"pause_stream": {"first": "a", "pause": 5, "rest": "b"}})
    sock = socket.create_connection((client.host, client.port))
    body = json.dumps(user(stream=True)).encode()
    sock.sendall(b"POST /v1/messages HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
                 + f"x-api-key: {KEY}\r\ncontent-length: {len(body)}\r\n\r\n".encode() + body)
    received = b""
    while b"message_start" not in received:
        chunk = sock.recv(65536)
        assert chunk, received
        received += chunk
    deadline = time.monotonic() + 5
    while proxy.call(lambda: proxy.server.in_flight) != 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    sock.close()
    deadline = time.monotonic() + 1
    while proxy.call(lambda: proxy.server.in_flight) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proxy.call(lambda: proxy.server.in_flight) == 0   # long before the mock's 5 s pause ends


# -- through the command line, as a user runs it --------------------------------------------

def test_serve_command_with_a_spec(tmp_path, cli):
    import subprocess
    import sys

    spec = tmp_path / "ccrgen.yaml"
    spec.write_text("extends: hicap\nserver:\n  api_key: $CCRGEN_T_KEY\n")
    ready = tmp_path / "ready"
    env = {**__import__("os").environ, "CCRGEN_T_KEY": "k-123456", "HICAP_API_KEY": "hk-123456"}
    process = subprocess.Popen([sys.executable, "-m", "ccrgen", "serve", str(spec), "--mock-upstream",
                                "--port", "0", "--ready-file", str(ready)], env=env,
                               stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while not ready.exists() and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.1)
        assert ready.exists(), process.stderr.read() if process.poll() is not None else "no ready file"
        status, headers, answer = Client(ready.read_text().strip(), "k-123456").json(
            user(model="claude-haiku-4-5"))
        assert status == 200 and headers["x-ccrgen-route"] == "background"
        assert answer["content"][0]["text"].startswith("mock answer from ")
    finally:
        process.terminate()
        err = process.communicate(timeout=10)[1]
    assert "route=background" in err and "k-123456" not in err and "hk-123456" not in err


def test_serve_port_in_use_is_a_clear_error(tmp_path, cli):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = cli("serve", "--preset", "hicap", "--mock-upstream", "--port", port,
                   env={"HICAP_API_KEY": "x-123456"}, timeout=60)
    assert done.returncode == 4
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr and "Traceback" not in done.stderr
