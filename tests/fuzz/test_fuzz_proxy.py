"""Fuzz `ccrgen serve` (in-process, `--mock-upstream`): Anthropic requests with their types,
nesting, sizes and encodings mutated, raw bytes, and odd headers. For every request:

- an answer within a bounded time, never a dropped connection;
- a status below 500, and a body that is either a success (a message, or a stream that
  ends with `message_stop` or `error`) or an error in Anthropic's format;
- at most one log line, with no traceback in it;
and the proxy still answers a normal request afterwards.

Profiles (tests/fuzz/conftest.py): CCRGEN_FUZZ_PROFILE=ci (default, ~150 examples a
test) or long (`CCRGEN_FUZZ_PROFILE=long python -m pytest tests/fuzz`).
"""

from __future__ import annotations

import gzip
import http.client
import json
import time
import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccrgen.common import limits

from ccrgen.spec import loader
from ccrgen.proxy.server import Proxy

KEY = "fuzz-client-key"
ANSWER_SECONDS = 10

CONFIG = {"APIKEY": KEY, "LOG": False,
          "Providers": [{"name": "p", "api_base_url": "http://127.0.0.1:9/v1/chat/completions",
                         "api_key": "sk-fuzz-upstream-0123456789", "models": ["main", "fast", "deep", "long"]}],
          "Router": {"default": "p,main", "background": "p,fast", "think": "p,deep", "longContext": "p,long",
                     "webSearch": "p,fast"}}


@pytest.fixture(scope="module")
def proxy(tmp_path_factory):
    path = tmp_path_factory.mktemp("fuzz") / "config.json"
    path.write_text(json.dumps(CONFIG))
    lines: list[str] = []
    handle = Proxy.start_in_thread(loader.load(path), port=0, mock_upstream=True, log=lines.append)
    handle.lines = lines
    yield handle
    handle.stop()


# -- strategies ----------------------------------------------------------------------------

# any text, lone surrogates included (json.dumps sends them as \udxxx escapes)
text = st.text(st.characters(codec=None, categories=None), max_size=40)
scalars = st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=False) | text
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(text, inner, max_size=4), max_leaves=20)


def nested(depth: int, leaf="x"):
    value = leaf
    for level in range(depth):
        value = [value] if level % 2 else {"content": value}
    return value


deep = st.integers(1, 3 * limits.MAX_NESTING_DEPTH).map(nested)
models = st.sampled_from(["claude-sonnet-4-5", "claude-3-5-haiku-20241022", "p,main", "P,Main", "nope,x",
                          "p,main\r\nx: y", "a\x00b", "", "p,", ","]) | text
blocks = st.one_of(
    st.fixed_dictionaries({"type": st.just("text"), "text": text}),
    st.fixed_dictionaries({"type": st.just("image"), "source": st.fixed_dictionaries(
        {"type": st.sampled_from(["base64", "url", "other"]), "media_type": text, "data": text, "url": text})}),
    st.fixed_dictionaries({"type": st.just("tool_use"), "id": text, "name": text, "input": json_values}),
    st.fixed_dictionaries({"type": st.just("tool_result"), "tool_use_id": text,
                           "content": text | st.lists(st.fixed_dictionaries({"type": st.just("text"), "text": text}),
                                                      max_size=3) | json_values}),
    st.fixed_dictionaries({"type": st.just("thinking"), "thinking": text, "signature": text}),
)
messages = st.lists(st.fixed_dictionaries({"role": st.sampled_from(["user", "assistant", "system", "tool"]),
                                           "content": text | st.lists(blocks, max_size=4)}), max_size=4)
requests = st.fixed_dictionaries(
    {"model": models, "messages": messages, "max_tokens": st.integers(1, 4096)},
    optional={"system": text | st.lists(st.fixed_dictionaries({"type": st.just("text"), "text": text}), max_size=3),
              "tools": st.lists(st.fixed_dictionaries({"name": text}, optional={
                  "type": st.sampled_from(["web_search_20250305", "custom"]), "description": text,
                  "input_schema": st.dictionaries(text, json_values, max_size=3)}), max_size=3),
              "stop_sequences": st.lists(text, max_size=3),
              "metadata": st.fixed_dictionaries({"user_id": text.map(lambda t: f"user_a_account__session_{t}")}),
              "thinking": st.fixed_dictionaries({"type": st.sampled_from(["enabled", "disabled"]),
                                                 "budget_tokens": st.integers(0, 40000)}),
              "tool_choice": st.fixed_dictionaries({"type": st.sampled_from(["auto", "any", "tool", "none"])},
                                                   optional={"name": text}),
              "temperature": st.floats(0, 2), "stream": st.booleans()})
FIELDS = ["model", "messages", "system", "tools", "stop_sequences", "metadata", "thinking", "tool_choice",
          "stream", "max_tokens", "temperature", "top_p", "top_k"]


@st.composite
def mutated_requests(draw) -> dict:
    """A request with some fields replaced by any JSON value, deep nesting or a big string."""
    body = draw(requests)
    for field in draw(st.lists(st.sampled_from(FIELDS), max_size=3, unique=True)):
        body[field] = draw(json_values | deep | st.integers(0, 300_000).map(lambda n: "x" * n))
    if body.get("messages") and isinstance(body["messages"], list) and draw(st.booleans()):
        where = draw(st.integers(0, len(body["messages"]) - 1))
        body["messages"][where] = draw(json_values | deep)
    return body


@st.composite
def encoded_bodies(draw) -> tuple[bytes, dict]:
    """(body bytes, extra headers): a request (valid or mutated) in some encoding, possibly
    cut or with bytes flipped, possibly compressed (or only said to be)."""
    body = draw(requests | mutated_requests())
    data = json.dumps(body, ensure_ascii=draw(st.booleans())).encode("utf-8", "surrogatepass")
    how = draw(st.sampled_from(["as is", "utf-16", "latin-1", "cut", "flip", "gzip", "deflate", "says gzip"]))
    headers = {}
    if how == "utf-16":
        data = data.decode("utf-8", "surrogatepass").encode("utf-16", "surrogatepass")
    elif how == "latin-1":
        data = data.decode("utf-8", "replace").encode("latin-1", "replace")
    elif how == "cut" and data:
        data = data[:draw(st.integers(0, len(data) - 1))]
    elif how == "flip" and data:
        at = draw(st.integers(0, len(data) - 1))
        data = data[:at] + bytes([draw(st.integers(0, 255))]) + data[at + 1:]
    elif how in ("gzip", "deflate", "says gzip"):
        data = {"gzip": gzip.compress, "deflate": zlib.compress, "says gzip": lambda d: d}[how](data)
        headers["content-encoding"] = "deflate" if how == "deflate" else "gzip"
    return data, headers


header_values = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"),
                        max_size=60)
odd_headers = st.fixed_dictionaries({}, optional={
    "x-api-key": header_values | st.just(KEY), "authorization": header_values.map(lambda t: "Bearer " + t),
    "content-encoding": st.sampled_from(["gzip", "br", "zstd", "deflate", "identity", "x-nope", ""]),
    "content-type": header_values, "anthropic-version": header_values})


# -- the checks ----------------------------------------------------------------------------

def post(proxy, data: bytes, headers: dict, path: str = "/v1/messages"):
    conn = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=ANSWER_SECONDS)
    try:
        all_headers = {"content-type": "application/json", "x-api-key": KEY, **headers}
        started = time.monotonic()
        conn.request("POST", path, body=data, headers=all_headers)
        response = conn.getresponse()
        raw = response.read()
        assert time.monotonic() - started < ANSWER_SECONDS
        return response.status, response.getheader("content-type") or "", raw
    finally:
        conn.close()


def check_answer(status: int, content_type: str, raw: bytes) -> None:
    assert status < 500, raw[:500]
    if "text/event-stream" in content_type:
        assert status == 200
        last = raw.rstrip().rsplit(b"\n\n", 1)[-1]
        assert last.startswith((b"event: message_stop", b"event: error")), raw[-500:]
        return
    answer = json.loads(raw)
    if status == 200:
        assert answer.get("type") == "message" or "input_tokens" in answer, raw[:500]
    else:
        assert answer["type"] == "error" and isinstance(answer["error"]["type"], str), raw[:500]
        assert isinstance(answer["error"]["message"], str)


def check_log(proxy, before: int, path: str = "/v1/messages") -> None:
    """One line per /v1/messages request (none for count_tokens), no traceback. A stream's
    line is written just after its last byte, so it is waited for."""
    expected = 1 if path == "/v1/messages" else 0
    deadline = time.monotonic() + 2
    while len(proxy.lines) - before < expected and time.monotonic() < deadline:
        time.sleep(0.005)
    new = proxy.lines[before:]
    assert len(new) == expected, new
    assert not any("Traceback" in line or "internal error" in line for line in new), new


@given(body=mutated_requests(), path=st.sampled_from(["/v1/messages", "/v1/messages/count_tokens"]))
def test_mutated_requests(proxy, body, path):
    before = len(proxy.lines)
    data = json.dumps(body).encode()       # ensure_ascii: lone surrogates go out as \udxxx escapes
    check_answer(*post(proxy, data, {}, path))
    check_log(proxy, before, path)


@given(encoded=encoded_bodies())
def test_encodings_and_compression(proxy, encoded):
    before = len(proxy.lines)
    data, headers = encoded
    check_answer(*post(proxy, data, headers))
    check_log(proxy, before)


@given(data=st.binary(max_size=2000), headers=odd_headers)
def test_raw_bytes_and_odd_headers(proxy, data, headers):
    before = len(proxy.lines)
    latin1 = {k: v.encode("latin-1").decode("latin-1") for k, v in headers.items()}
    check_answer(*post(proxy, data, latin1))
    check_log(proxy, before)


def test_the_proxy_still_serves_after_the_fuzzing(proxy):
    status, _, raw = post(proxy, json.dumps({"model": "claude-sonnet-4-5", "max_tokens": 8, "messages": [
        {"role": "user", "content": "still there?"}]}).encode(), {})
    assert status == 200 and json.loads(raw)["content"][0]["text"] == "mock answer from main"
    assert not any("Traceback" in line or "internal error" in line for line in proxy.lines)
