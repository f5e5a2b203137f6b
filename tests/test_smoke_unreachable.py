"""`ccrgen smoke` calls a provider unreachable (exit 4) by what happened to the connection,
through ccrgen's proxy and through the real CCR 2.0.0: nothing listening, no such host, no
answer in time. A provider that answers an error whose text merely says "unreachable" or
"ECONNREFUSED" was reached: that route is a plain FAIL (exit 1)."""

from __future__ import annotations

import http.client
import json
import socket
from urllib.parse import urlparse

import pytest

from conftest import free_port
from test_smoke import VIAS, routes_of, via_args, write_json  # noqa: F401  (via_args: a fixture)

from ccrgen.proxy.smoke_verdict import Attempt, Exchange, connection_failure, unreachable_reason


def provider(name: str, url: str, models=("m",)) -> dict:
    return {"name": name, "api_base_url": url, "api_key": "k-0123456789", "models": list(models)}


@pytest.fixture
def silent_port():
    """A port that accepts connections and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield listener.getsockname()[1]


@pytest.mark.parametrize("via_args", VIAS, indirect=True)
@pytest.mark.parametrize("status, message", [
    (500, "connect ECONNREFUSED 10.0.0.1:443: the model backend is unreachable"),
    (503, "fetch failed"),   # the very words CCR uses for its own failed fetch
])
def test_an_error_that_mentions_unreachable_is_a_failure(cli, tmp_path, mock_upstream, via_args, status, message):
    mock_upstream.script([{"error": {"status": status, "message": message}}])
    config = {"Providers": [provider("p", mock_upstream.chat_url)], "Router": {"default": "p,m"}}
    done = cli("smoke", "--config", write_json(tmp_path / "config.json", config), "--json", *via_args)
    assert [r.model for r in mock_upstream.requests] == ["m"]          # the provider was reached
    assert done.returncode == 1, done.stdout + done.stderr
    default = routes_of(done)["default"]
    assert default["verdict"] == "FAIL" and default["unreachable"] is False
    assert default["problem"].startswith(f"HTTP {status}: ") and message in default["problem"]
    assert "could not be reached" not in default["problem"]


@pytest.mark.parametrize("via_args", VIAS, indirect=True)
def test_nothing_listening_is_unreachable_and_an_error_body_beside_it_is_not(cli, tmp_path, mock_upstream,
                                                                              via_args):
    mock_upstream.script([{"error": {"status": 500, "message": "upstream unreachable: ECONNREFUSED"}}])
    config = {"Providers": [provider("p", f"http://127.0.0.1:{free_port()}/v1/chat/completions"),
                            provider("q", mock_upstream.chat_url)],
              "Router": {"default": "p,m", "think": "q,m"}}
    done = cli("smoke", "--config", write_json(tmp_path / "config.json", config), "--json", *via_args)
    routes = routes_of(done)
    assert (routes["default"]["verdict"], routes["default"]["unreachable"]) == ("FAIL", True)
    assert routes["default"]["problem"].startswith("p could not be reached: ")
    assert (routes["think"]["verdict"], routes["think"]["unreachable"]) == ("FAIL", False)
    assert done.returncode == 1, done.stdout + done.stderr   # a real failure outweighs the unreachable one
    assert json.loads(done.stdout)["exit_code"] == 1


@pytest.mark.parametrize("via_args", VIAS, indirect=True)
def test_no_such_host_is_unreachable(cli, tmp_path, via_args):
    config = {"Providers": [provider("p", "http://no-such-host.invalid/v1/chat/completions")],
              "Router": {"default": "p,m"}}
    done = cli("smoke", "--config", write_json(tmp_path / "config.json", config), *via_args)
    assert done.returncode == 4, done.stdout + done.stderr
    assert "FAIL default: p could not be reached: " in done.stdout


def test_a_provider_that_does_not_answer_in_time_is_unreachable(cli, tmp_path, silent_port):
    config = {"API_TIMEOUT_MS": "500", "Providers": [provider("p", f"http://127.0.0.1:{silent_port}/v1")],
              "Router": {"default": "p,m"}}
    done = cli("smoke", "--config", write_json(tmp_path / "config.json", config))
    assert done.returncode == 4, done.stdout + done.stderr
    assert "FAIL default: p could not be reached: provider 'p' did not answer within 500 ms" in done.stdout


@pytest.mark.node
def test_a_provider_that_does_not_answer_in_time_through_ccr_is_unreachable(cli, tmp_path, silent_port, ccr_cmd):
    """CCR 2.0.0 ignores API_TIMEOUT_MS for its own fetch; a transformer's `config.TIMEOUT`
    sets it, and the abort comes back as CCR's error with code 23 (a DOMException)."""
    short = tmp_path / "short.js"
    short.write_text('module.exports = class { constructor() { this.name = "short"; }\n'
                     '  async transformRequestIn(request) { return {body: request, config: {TIMEOUT: 500}}; } };\n')
    config = {"transformers": [{"path": str(short)}],
              "Providers": [dict(provider("p", f"http://127.0.0.1:{silent_port}/v1"), transformer={"use": ["short"]})],
              "Router": {"default": "p,m"}}
    done = cli("smoke", "--config", write_json(tmp_path / "config.json", config), "--via", "ccr",
               "--ccr", ccr_cmd[-1])
    assert done.returncode == 4, done.stdout + done.stderr
    assert "FAIL default: p could not be reached: The operation was aborted due to timeout" in done.stdout


@pytest.mark.parametrize("where, why", [("closed", "refused"), ("no-such-host", "dns"), ("silent", "timeout")])
def test_ccrgen_serve_says_why_a_provider_could_not_be_reached(tmp_path, silent_port, where, why):
    from ccrgen.proxy.server import Proxy
    from ccrgen.spec import loader

    host = {"closed": f"127.0.0.1:{free_port()}", "no-such-host": "no-such-host.invalid",
            "silent": f"127.0.0.1:{silent_port}"}[where]
    config = {"API_TIMEOUT_MS": "500", "Providers": [provider("p", f"http://{host}/v1/chat/completions")],
              "Router": {"default": "p,m"}}
    handle = Proxy.start_in_thread(loader.load(write_json(tmp_path / "config.json", config)), port=0)
    try:
        conn = http.client.HTTPConnection("127.0.0.1", urlparse(handle.url).port, timeout=30)
        conn.request("POST", "/v1/messages", body=json.dumps({"model": "x", "max_tokens": 8, "messages": [
            {"role": "user", "content": "hi"}]}), headers={"content-type": "application/json"})
        response = conn.getresponse()
        response.read()
        conn.close()
    finally:
        handle.stop()
    assert response.status in (502, 504)
    assert response.getheader("x-ccrgen-unreachable") == why


# -- the rule itself, on answers shaped as CCR 2.0.0 gives them (checked against it above) --

STACK = "\n    at node:internal/deps/undici/undici:14976:13\n    at async fD (cli.js:582:11089)"


def ccr_answer(message: str, code) -> Exchange:
    error = {"message": message, "type": "api_error", "code": code}
    return Exchange(status=500, answer={"error": error}, error=message)


@pytest.mark.parametrize("seen, attempts, why", [
    (ccr_answer("fetch failedTypeError: fetch failed" + STACK, "internal_error"), [], "fetch failed"),
    (ccr_answer("The operation was aborted due to timeoutTimeoutError: The operation was aborted due to timeout"
                + STACK, 23), [], "timeout"),
    # the provider answered, and its body says "fetch failed": CCR passes it on as the provider's
    (ccr_answer('Error from provider(p,m: 500): {"error": "fetch failed"}Error: Error from provider(p,m: 500): '
                '{"error": "fetch failed"}' + STACK, "provider_response_error"), [], None),
    # CCR's own error, but not a failed fetch
    (ccr_answer("Cannot read properties of undefined (reading 'default')TypeError: Cannot read properties of "
                "undefined (reading 'default')" + STACK, "internal_error"), [], None),
    # the mock upstream received the request: whatever the answer says, the provider was reached
    (ccr_answer("fetch failedTypeError: fetch failed" + STACK, "internal_error"),
     [Attempt("p", "m", 500)], None),
    (Exchange(status=None, error="cannot reach CCR", no_answer="refused"), [], "refused"),
])
def test_unreachable_through_ccr_is_judged_by_what_ccr_caught(seen, attempts, why):
    assert unreachable_reason(seen, attempts, "ccr") == why


def test_unreachable_through_ccrgen_is_what_serve_says_not_the_message():
    says = Exchange(status=502, answer={}, error="anything at all", unreachable="refused")
    words = Exchange(status=502, answer={}, error="cannot connect to provider 'p': ECONNREFUSED, unreachable")
    assert unreachable_reason(says, [], "ccrgen") == "refused"
    assert unreachable_reason(words, [], "ccrgen") is None


@pytest.mark.parametrize("exc, why", [(ConnectionRefusedError(111, "refused"), "refused"),
                                      (socket.gaierror(-2, "Name or service not known"), "dns"),
                                      (TimeoutError("timed out"), "timeout"),
                                      (ConnectionResetError(104, "reset"), "ECONNRESET")])
def test_a_failed_connection_is_named_by_its_exception(exc, why):
    assert connection_failure(exc) == why
