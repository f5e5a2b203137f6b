"""`ccrgen serve` against a hostile provider (tests/hostile_upstream.py) and hostile
clients: no key reaches another host, no key in any error, every malformed request is an
Anthropic 400 with one log line, every malformed stream ends with an `error` event, memory
and caches stay bounded, and the proxy keeps serving afterwards."""

from __future__ import annotations

import asyncio
import gzip
import json
import socket
import time
import tracemalloc

import aiohttp
import pytest

from ccrgen.common import limits
from hostile_upstream import HostileUpstream
from test_proxy import KEY, UPSTREAM_KEY, base_config, parse_sse, serve, streamed_text, user  # noqa: F401


@pytest.fixture
def hostile():
    handles = []

    def start(mode="record", **options):
        handle = HostileUpstream.start_in_thread(mode=mode, **options)
        handles.append(handle)
        return handle

    yield start
    for handle in handles:
        handle.stop()


def assert_anthropic_error(status: int, raw: bytes, expected_status: int, kind: str | None = None) -> dict:
    answer = json.loads(raw)
    assert status == expected_status, raw[:300]
    assert answer["type"] == "error" and isinstance(answer["error"]["message"], str)
    if kind:
        assert answer["error"]["type"] == kind
    return answer


def still_serves(client, upstream) -> None:
    upstream.server.mode = "record"
    status, _, answer = client.json(user())
    assert status == 200 and answer["content"][0]["text"] == "hostile answer"


def no_tracebacks(log: list[str], capfd) -> None:
    err = capfd.readouterr().err
    assert "Traceback" not in err and not any("Traceback" in line for line in log), err[-2000:]


# -- credentials --------------------------------------------------------------------------

@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("code", ["302", "307"])
def test_a_redirect_is_a_502_and_the_other_host_receives_nothing(serve, hostile, code, stream):
    target = hostile("record")
    upstream = hostile(f"redirect-{code}", redirect_to=f"http://user:pw@localhost:{target.port}/steal?key=x")
    client, _, log = serve(base_config(upstream.chat_url))
    status, _, raw = client.post(user(stream=stream))
    answer = assert_anthropic_error(status, raw, 502)
    message = answer["error"]["message"]
    assert f"HTTP {code}" in message and f"localhost:{target.port}" in message and "pw" not in message
    assert target.received == []                       # the key never reached the other host
    assert len(upstream.received) == 1                 # one POST to the provider, not followed
    assert UPSTREAM_KEY not in raw.decode()
    still_serves(client, upstream)


def test_an_error_body_echoing_the_key_is_masked(serve, hostile):
    upstream = hostile("echo-key-error")
    client, _, log = serve(base_config(upstream.chat_url))
    for stream in (False, True):
        status, _, raw = client.post(user(stream=stream))
        answer = assert_anthropic_error(status, raw, 401)
        assert UPSTREAM_KEY not in raw.decode() and "********" in answer["error"]["message"]
    assert not any(UPSTREAM_KEY in line for line in log)


def test_a_mid_stream_error_echoing_the_key_is_masked(serve, hostile):
    upstream = hostile("echo-key-midstream")
    client, _, log = serve(base_config(upstream.chat_url))
    status, _, raw = client.post(user(stream=True))
    assert status == 200 and UPSTREAM_KEY not in raw.decode()
    events = parse_sse(raw)
    assert streamed_text(events) == "partial "
    assert events[-1][0] == "error"
    assert "quota exceeded for key ********" in events[-1][1]["error"]["message"]
    assert not any(UPSTREAM_KEY in line for line in log)


def test_a_base_url_with_credentials_is_refused_at_load(tmp_path, hostile):
    from ccrgen.spec import loader
    from ccrgen.errors import SpecError
    from ccrgen.proxy.server import Proxy

    upstream = hostile()
    config = base_config(upstream.chat_url.replace("http://", "http://alice:s3cret-pw@"))
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config, indent=2))
    with pytest.raises(SpecError) as caught:
        Proxy(loader.load(path), port=0)
    text = caught.value.render()
    assert "provider 'p'" in text and "Providers.0.api_base_url" in text and str(path) in text
    assert "s3cret-pw" not in text and "alice" not in text
    assert upstream.received == []


def test_serve_refuses_a_base_url_with_credentials_with_exit_1(tmp_path, cli):
    config = base_config("https://alice:s3cret-pw@example.invalid/v1/chat/completions")
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    result = cli("serve", "--config", str(path), "--port", "0", timeout=60)
    assert result.returncode == 1, result.stderr
    assert "api_base_url" in result.stderr and "s3cret-pw" not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr


def test_a_cannot_connect_error_masks_the_url_credentials(serve):
    from conftest import free_port

    url = f"http://127.0.0.1:{free_port()}/v1/chat/completions?key=sk-query-secret-123456"
    client, _, log = serve(base_config(url))
    status, _, raw = client.post(user())
    answer = assert_anthropic_error(status, raw, 502)
    assert "cannot connect" in answer["error"]["message"] and "sk-query-secret" not in raw.decode()
    assert not any("sk-query-secret" in line for line in log)


# -- malformed answers from the provider --------------------------------------------------

@pytest.mark.parametrize("mode", ["bad-json-event", "function-not-object", "choices-not-list", "huge-line"])
def test_a_malformed_stream_ends_with_an_error_event(serve, hostile, mode, capfd):
    upstream = hostile(mode)
    client, _, log = serve(base_config(upstream.chat_url))
    status, _, raw = client.post(user(stream=True), timeout=30)
    events = parse_sse(raw)
    assert status == 200 and events[0][0] == "message_start"
    assert events[-1][0] == "error" and events[-1][1]["type"] == "error"
    assert "malformed" in events[-1][1]["error"]["message"] or "not valid JSON" in events[-1][1]["error"]["message"]
    starts = sum(1 for name, _ in events if name == "content_block_start")
    assert starts == sum(1 for name, _ in events if name == "content_block_stop")   # blocks closed before the error
    still_serves(client, upstream)
    no_tracebacks(log, capfd)


@pytest.mark.parametrize("mode", ["tool-calls-not-list", "deep-json"])
def test_a_malformed_completion_is_a_502(serve, hostile, capfd, mode):
    upstream = hostile(mode)
    client, _, log = serve(base_config(upstream.chat_url))
    status, _, raw = client.post(user())
    assert_anthropic_error(status, raw, 502)
    still_serves(client, upstream)
    no_tracebacks(log, capfd)


@pytest.mark.parametrize("stream", [False, True])
def test_a_gzip_bomb_is_refused_within_bounded_memory(serve, hostile, stream):
    upstream = hostile("gzip-bomb")
    from hostile_upstream import gzip_bomb

    assert len(gzip_bomb(b"a" if stream else b" ")) < 1024 * 1024   # built before measuring
    client, _, _ = serve(base_config(upstream.chat_url))
    tracemalloc.start()
    try:
        status, _, raw = client.post(user(stream=stream), timeout=60)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    if stream:
        events = parse_sse(raw)
        assert status == 200 and events[-1][0] == "error" and "larger than" in events[-1][1]["error"]["message"]
    else:
        answer = assert_anthropic_error(status, raw, 502)
        assert "upstream answer too large" in answer["error"]["message"]
    assert peak < 2 * limits.MAX_UPSTREAM_BODY_BYTES, f"peak {peak / 1e6:.0f} MB"   # the bomb is 200 MB
    still_serves(client, upstream)


def test_a_slow_provider_times_out_and_a_never_ending_stream_is_dropped_with_the_client(serve, hostile, tmp_path):
    upstream = hostile("slow", delay=2)
    client, proxy, _ = serve(base_config(upstream.chat_url, API_TIMEOUT_MS=300))
    started = time.monotonic()
    status, _, raw = client.post(user())
    assert_anthropic_error(status, raw, 504, "timeout_error")
    assert time.monotonic() - started < 4
    upstream.server.mode = "never-ending"
    with pytest.raises(socket.timeout):
        client.post(user(stream=True), timeout=1)
    deadline = time.monotonic() + 5
    while proxy.call(proxy.server.stats)["in_flight"] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proxy.call(proxy.server.stats)["in_flight"] == 0
    still_serves(client, upstream)


# -- malformed requests -------------------------------------------------------------------

def nested(depth: int):
    value: object = "deep"
    for _ in range(depth):
        value = [value]
    return value


MALFORMED = {
    "model is a number": dict(user(), model=42),
    "model is a list": dict(user(), model=["p", "main"]),
    "model has CR LF": dict(user(), model="p,main\r\nx-injected: 1"),
    "model has NUL": dict(user(), model="claude\x00haiku"),
    "stop_sequences is a string": dict(user(), stop_sequences="STOP"),
    "stop_sequences holds a number": dict(user(), stop_sequences=["a", 1]),
    "messages missing": {"model": "m"},
    "messages is an object": dict(user(), messages={"role": "user"}),
    "a message is a string": dict(user(), messages=["hi"]),
    "role is a number": dict(user(), messages=[{"role": 1, "content": "hi"}]),
    "content is a number": dict(user(), messages=[{"role": "user", "content": 7}]),
    "a block is a string": dict(user(), messages=[{"role": "user", "content": ["hi"]}]),
    "text is an object": dict(user(), messages=[{"role": "user", "content": [{"type": "text", "text": {}}]}]),
    "system is a number": dict(user(), system=3),
    "tools is an object": dict(user(), tools={"name": "x"}),
    "tool name is a list": dict(user(), tools=[{"name": ["x"]}]),
    "metadata.user_id is a number": dict(user(), metadata={"user_id": 5}),
    "thinking is true": dict(user(), thinking=True),
    "stream is a string": dict(user(), stream="yes"),
    "max_tokens is a string": dict(user(), max_tokens="64"),
    "deep content": dict(user(), messages=[{"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": "t", "content": nested(300)}]}]),
    "a list": [user()],
}
RAW = {
    "lone surrogate": json.dumps(user("\ud800 alone")).encode(),
    "lone surrogate in a key": b'{"messages": [], "\\udfff": 1}',
    "not UTF-8": b'{"messages": [{"role": "user", "content": "\xff\xfe"}]}',
    "a surrogate encoded in UTF-8": b'{"messages": [{"role": "user", "content": "\xed\xa0\x80"}]}',
    "UTF-16 with a lone surrogate": json.dumps(user("\ud800"), ensure_ascii=False).encode("utf-16", "surrogatepass"),
    "NaN": b'{"messages": [], "temperature": NaN}',
    "5,000-digit integer": b'{"messages": [], "max_tokens": ' + b"9" * 5000 + b"}",
    "very deep body": b"[" * 100_000 + b"]" * 100_000,
    "not JSON": b"{nope",
    "empty": b"",
}


@pytest.mark.parametrize("name", sorted(MALFORMED) + sorted(RAW))
def test_a_malformed_request_is_an_anthropic_400_with_one_log_line(serve, hostile, name, capfd):
    upstream = hostile()
    client, _, log = serve(base_config(upstream.chat_url))
    data = RAW[name] if name in RAW else json.dumps(MALFORMED[name]).encode()
    for stream_path in ("/v1/messages", "/v1/messages/count_tokens"):
        status, _, raw = client.post(data, path=stream_path)
        assert_anthropic_error(status, raw, 400, "invalid_request_error")
    assert upstream.received == []                     # refused before the provider was called
    assert len(log) == 1 and " 400 " in log[0]        # count_tokens does not log
    still_serves(client, upstream)
    no_tracebacks(log, capfd)


def test_a_body_marked_gzip_that_is_not_gzip_is_a_400(serve, hostile, capfd):
    upstream = hostile()
    client, _, log = serve(base_config(upstream.chat_url))
    status, _, raw = client.post(json.dumps(user()).encode(), headers={"content-encoding": "gzip"})
    answer = assert_anthropic_error(status, raw, 400)
    assert "Content-Encoding: gzip" in answer["error"]["message"]
    status, _, raw = client.post(gzip.compress(json.dumps(user()).encode()), headers={"content-encoding": "gzip"})
    assert status == 200, raw                          # real gzip is read
    still_serves(client, upstream)
    no_tracebacks(log, capfd)


def test_a_gzip_request_that_expands_past_the_limit_is_a_413(serve, hostile):
    upstream = hostile()
    client, _, _ = serve(base_config(upstream.chat_url), max_body=1_000_000)
    bomb = gzip.compress(json.dumps(user(" " * 20_000_000)).encode())
    status, _, raw = client.post(bomb, headers={"content-encoding": "gzip"})
    assert_anthropic_error(status, raw, 413, "request_too_large")
    assert upstream.received == []


def test_a_non_utf8_api_key_is_a_401(serve, hostile, capfd):
    upstream = hostile()
    client, _, log = serve(base_config(upstream.chat_url))
    status, _, raw = client.post(user(), headers={"x-api-key": "\xff\xfekey"})   # latin-1 bytes on the wire
    assert_anthropic_error(status, raw, 401, "authentication_error")
    still_serves(client, upstream)
    no_tracebacks(log, capfd)


def raw_http(port: int, data: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(data)
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    return answer


@pytest.mark.parametrize("request_bytes", [
    b"POST /v1/messages HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n",
    b"POST /v1/messages HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    b"POST /v1/messages HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n",
], ids=["oversized header", "CL+TE", "bad Content-Length"])
def test_malformed_http_is_a_400_with_one_log_line_and_no_traceback(serve, hostile, request_bytes, capfd):
    upstream = hostile()
    client, proxy, log = serve(base_config(upstream.chat_url))
    for _ in range(3):
        answer = raw_http(proxy.port, request_bytes)
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.split(b"\r\n")[0].endswith(b" 400 Bad Request"), answer[:200]
        assert_anthropic_error(400, body, 400, "invalid_request_error")
    time.sleep(0.2)
    assert len([line for line in log if line.startswith("http: ")]) == 3, log
    assert all("\n" not in line for line in log)
    still_serves(client, upstream)
    no_tracebacks(log, capfd)


def test_an_unknown_method_and_path_are_anthropic_errors(serve, hostile):
    upstream = hostile()
    client, proxy, _ = serve(base_config(upstream.chat_url))
    answer = raw_http(proxy.port, b"GET /v1/messages HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 404") and json.loads(body)["type"] == "error"


# -- bounded state ------------------------------------------------------------------------

async def many_sessions(url: str, count: int) -> list[int]:
    statuses: list[int] = []
    queue = iter(range(count))

    async def worker(session):
        for number in queue:
            body = dict(user(), model=f"p,model-{number}",
                        metadata={"user_id": f"user_x_account__session_{number:08d}"})
            async with session.post(url + "/v1/messages", json=body, headers={"x-api-key": KEY}) as resp:
                await resp.read()
                statuses.append(resp.status)

    async with aiohttp.ClientSession() as session:
        await asyncio.gather(*(worker(session) for _ in range(16)))
    return statuses


@pytest.mark.slow
def test_10000_sessions_and_models_keep_the_state_bounded(serve, hostile):
    upstream = hostile()
    client, proxy, _ = serve(base_config(upstream.chat_url))
    statuses = asyncio.run(many_sessions(proxy.url, 10_000))
    assert statuses.count(200) == 10_000
    sessions, routes = proxy.call(lambda: (len(proxy.server.usage), proxy.server.route_cache_size()))
    assert sessions == limits.MAX_SESSIONS_TRACKED and routes == limits.MAX_ROUTE_CACHE_ENTRIES
    last = proxy.call(proxy.server.usage.get, "00009999")
    assert last == {"input_tokens": 5}                 # the newest session is remembered
    assert proxy.call(proxy.server.usage.get, "00000000") is None   # the oldest is forgotten, as in CCR


@pytest.mark.parametrize("url", ["http://[::1/v1/chat", "not-a-url", "file:///etc/passwd", "ftp://127.0.0.1/x"])
def test_a_provider_url_that_is_not_http_is_a_502(serve, url, capfd):
    client, _, log = serve(base_config(url))
    status, _, raw = client.post(user())
    assert_anthropic_error(status, raw, 502)
    no_tracebacks(log, capfd)


def test_proxy_url_credentials_go_to_the_proxy_only(serve, hostile):
    """A PROXY_URL with user:pass@ works as in CCR (undici's ProxyAgent): Basic
    Proxy-Authorization to the proxy; the provider's key goes in the proxied request."""
    import base64

    network_proxy = hostile("record")
    config = base_config("http://provider.invalid/v1/chat/completions",
                         PROXY_URL=f"http://alice:pr0xy-pw@127.0.0.1:{network_proxy.port}")
    client, _, log = serve(config)
    status, _, answer = client.json(user())
    assert status == 200 and answer["content"][0]["text"] == "hostile answer"
    received = network_proxy.received[-1]
    assert received.headers["Proxy-Authorization"] == "Basic " + base64.b64encode(b"alice:pr0xy-pw").decode()
    assert received.headers["Host"] == "provider.invalid"
    assert not any("pr0xy-pw" in line for line in log)


def test_session_usage_forgets_like_ccrs_lru_of_100():
    """CCR 2.0.0 keeps session usage in an LRU of 100 (`new D6(100)`: a read refreshes)."""
    from ccrgen.proxy.routing import SessionUsage

    usage = SessionUsage()
    assert usage.limit == limits.MAX_SESSIONS_TRACKED == 100
    for number in range(100):
        usage.record(f"s{number}", {"input_tokens": number})
    assert usage.get("s0") == {"input_tokens": 0}      # read: now the most recent
    usage.record("s100", {"input_tokens": 100})         # pushes out s1, the least recent
    assert usage.get("s1") is None and usage.get("s0") is not None and len(usage) == 100


@pytest.mark.parametrize("encoding", ["deflate", "gzip", "br"])
def test_a_broken_compressed_body_sent_after_its_headers_is_a_400_not_a_hang(serve, hostile, encoding):
    """The body arrives in its own TCP segment, after the handler started reading it (a
    broken deflate body used to leave the request hanging until the client gave up)."""
    upstream = hostile()
    client, proxy, log = serve(base_config(upstream.chat_url))
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=5) as conn:
        conn.sendall(f"POST /v1/messages HTTP/1.1\r\nHost: x\r\nx-api-key: {KEY}\r\nContent-Encoding: {encoding}"
                     "\r\nContent-Length: 1\r\nConnection: close\r\n\r\n".encode())
        time.sleep(0.3)
        conn.sendall(b"\x05")
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    answer = assert_anthropic_error(int(head.split()[1]), body, 400, "invalid_request_error")
    assert "Content-Encoding" in answer["error"]["message"]
    still_serves(client, upstream)


@pytest.mark.parametrize("url, hidden, kept", [
    ("https://alice:s3cret@api.example.com/v1?api-version=2024-06-01", ["alice", "s3cret"],
     ["api.example.com/v1", "api-version=2024-06-01"]),
    ("https://generativelanguage.googleapis.com/v1beta/models/?key=AIzaSyA-1234567890abcdef", ["AIzaSyA"],
     ["generativelanguage.googleapis.com", "key=********"]),
    ("http://proxy.local:8080?token=t0k3n&access_token=xyz&user=bob", ["t0k3n", "xyz"], ["user=bob", ":8080"]),
    ("https://[::1/broken?key=abc", ["abc"], ["https://"]),
    ("not a url at all", [], ["not a url at all"]),
])
def test_mask_url_hides_the_credentials_a_url_carries(url, hidden, kept):
    from ccrgen.common.secrets import mask_url, mask_urls_in

    for text in (mask_url(url), mask_urls_in(f"cannot reach {url} (refused)")):
        assert not any(secret in text for secret in hidden), text
        assert all(part in text for part in kept), text
