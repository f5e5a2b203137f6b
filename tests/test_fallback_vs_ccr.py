"""Differential test of `fallback` lists: the real CCR 2.0.0 and `ccrgen serve` on one config,
in front of one mock upstream that fails on demand (scripted errors, matched by model). For
every failure pattern the sequence of models that reach the upstream must be the same, and
so must the outcome (answered or not, and with the first attempt's status when all fail).
What CCR does (routes.ts handleFallback) is summed up in ccrgen/proxy/fallback.py."""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.request

import pytest

from ccrgen.spec import loader
from ccrgen.ccr.runner import CcrServer
from ccrgen.proxy.fallback import FALLBACK_HEADER
from ccrgen.proxy.mock_upstream import MockUpstream
from ccrgen.proxy.server import Proxy
from conftest import free_port

pytestmark = [pytest.mark.node, pytest.mark.slow]

KEY = "router-key-fallback"
FALLBACK = {"default": ["nope,zz", "dead,x", "b,m3", "a,m2"], "think": ["a,m2"]}


def fail(model: str, status: int = 500) -> dict:
    return {"when": f'"model":"{model}"', "error": {"status": status, "message": f"{model} is down"}}


def message(**extra) -> dict:
    return {"model": "claude-sonnet-4-5", "max_tokens": 32, "messages": [{"role": "user", "content": "hi"}], **extra}


# name -> (request, scripted failures, models expected at the upstream, answered?)
PATTERNS = {
    "first-500": (message(), [fail("m1")], ["m1", "m3"], True),
    "first-429-then-400": (message(), [fail("m1", 429), fail("m3", 400)], ["m1", "m3", "m2"], True),
    "first-401-streamed": (message(stream=True), [fail("m1", 401)], ["m1", "m3"], True),
    "first-404": (message(), [fail("m1", 404)], ["m1", "m3"], True),
    "all-fail": (message(), [fail("m1", 503), fail("m3"), fail("m2")], ["m1", "m3", "m2"], False),
    "all-fail-streamed": (message(stream=True), [fail("m1", 502), fail("m3"), fail("m2")], ["m1", "m3", "m2"], False),
    "no-failure": (message(), [], ["m1"], True),
    "explicit-uses-default-list": (message(model="a,m1"), [fail("m1")], ["m1", "m3"], True),
    "think-list": (message(thinking={"type": "enabled", "budget_tokens": 2048}), [fail("m1")], ["m1", "m2"], True),
    "background-has-no-list": (message(model="claude-3-5-haiku-20241022"), [fail("m1")], ["m1"], False),
    "malformed-200-is-not-a-failure": (message(), [{"when": '"model":"m1"', "malformed": True}], ["m1"], False),
    "cut-stream-is-not-a-failure": (message(stream=True), [{"when": '"model":"m1"', "cut_stream": {"first": "a"}}],
                                    ["m1"], None),
    "network-error-first": (message(model="dead,x"), [], [], False),
    "fallback-fails-mid-list-then-ok": (message(), [fail("m1"), fail("m3", 500)], ["m1", "m3", "m2"], True),
}


@pytest.fixture(scope="module")
def stack(tmp_path_factory, ccr_cmd):
    mock = MockUpstream.start_in_thread(host="127.0.0.1", port=0)
    home = tmp_path_factory.mktemp("home")
    dead = f"http://127.0.0.1:{free_port()}/v1/chat/completions"   # nothing listens there
    config = {"LOG": False, "PORT": free_port(), "APIKEY": KEY,
              "Providers": [{"name": "a", "api_base_url": mock.chat_url, "api_key": "key-a", "models": ["m1", "m2"]},
                            {"name": "b", "api_base_url": mock.chat_url, "api_key": "key-b", "models": ["m3"]},
                            {"name": "dead", "api_base_url": dead, "api_key": "key-dead", "models": ["x"]}],
              "Router": {"default": "a,m1", "think": "a,m1", "background": "a,m1"},
              "fallback": FALLBACK}
    folder = home / ".claude-code-router"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps(config))
    proxy = Proxy.start_in_thread(loader.load(folder / "config.json"), port=0)
    try:
        with CcrServer(home, ccr_cmd, port=config["PORT"]) as server:
            yield server, proxy, mock
    finally:
        proxy.stop()
        mock.stop()


def send(url: str, body: dict) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url + "/v1/messages", data=json.dumps(body).encode(), method="POST",
                                     headers={"content-type": "application/json", "x-api-key": KEY,
                                              "anthropic-version": "2023-06-01"})
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            headers = {k.lower(): v for k, v in resp.headers.items()}
            try:
                return resp.status, headers, resp.read()
            except http.client.IncompleteRead as exc:   # CCR ends a cut stream without its last chunk
                return resp.status, headers, exc.partial + b'{"type":"error"}'
    except urllib.error.HTTPError as exc:
        return exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read()


def run(mock, url: str, body: dict, failures: list) -> tuple[list, int, dict, bytes]:
    mock.clear()
    mock.script([dict(step) for step in failures])
    status, headers, raw = send(url, body)
    return [r.model for r in mock.requests], status, headers, raw


def answered(status: int, raw: bytes) -> bool:
    """A 200 whose answer has content (a stream that was cut carries an error event instead)."""
    return status == 200 and b'"type":"error"' not in raw.replace(b" ", b"")


@pytest.mark.parametrize("name", list(PATTERNS))
def test_the_same_models_are_tried_in_the_same_order(stack, name):
    ccr, proxy, mock = stack
    body, failures, expected, ok = PATTERNS[name]
    ccr_models, ccr_status, _, ccr_raw = run(mock, ccr.url, body, failures)
    ccrgen_models, ccrgen_status, headers, ccrgen_raw = run(mock, proxy.url, body, failures)
    assert ccr_models == expected, (ccr_status, ccr_raw[:300])
    assert ccrgen_models == ccr_models, (ccrgen_status, ccrgen_raw[:300])
    if ok is not None:
        assert answered(ccr_status, ccr_raw) is ok, ccr_raw[:300]
        assert answered(ccrgen_status, ccrgen_raw) is ok, ccrgen_raw[:300]
    if not ok and failures and "error" in failures[0]:
        assert ccrgen_status == ccr_status   # the first attempt's HTTP error, as CCR answers it


@pytest.mark.parametrize("name,served,position", [("first-500", "b,m3", "1"), ("first-429-then-400", "a,m2", "2"),
                                                  ("first-401-streamed", "b,m3", "1"), ("no-failure", "a,m1", None)])
def test_the_answer_says_which_fallback_served_it(stack, name, served, position):
    """The list's positions count from 1, skipped entries included (nope,zz and dead,x are 1
    and 2 of FALLBACK's default list): here b,m3 is entry 3."""
    ccr, proxy, mock = stack
    body, failures, _, _ = PATTERNS[name]
    _, status, headers, _ = run(mock, proxy.url, body, failures)
    assert status == 200
    assert headers["x-ccrgen-model"] == served
    expected = {"b,m3": "3", "a,m2": "4"}.get(served) if position else None
    assert headers.get(FALLBACK_HEADER) == expected
