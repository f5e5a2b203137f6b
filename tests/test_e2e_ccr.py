"""The issue's main check, end to end with the real programs: a spec that extends `hicap` is
built and installed by ccrgen, the real CCR 2.0.0 loads it, and a request through CCR (by
hand, and from the real `claude -p`) reaches the upstream with `api-key: <key>` and without
`Authorization`, for the model the route names. The upstream is ccrgen's mock.

And the regression it exists for: the setup guide's config verbatim (transformer path with
`~`) makes CCR send `Authorization: Bearer <key>` and no `api-key`.
"""

from __future__ import annotations

import json
import re
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from ccrgen.ccr.runner import CcrServer
from conftest import claude_env, free_port

pytestmark = [pytest.mark.node, pytest.mark.slow]

KEY = "sk-hicap-e2e-0123456789"
DATA = Path(__file__).parent / "data"
GUIDE = DATA / "hicap-setup-guide.md"


def post_messages(server: CcrServer, body: dict, *, key: str | None = KEY, timeout: float = 60) -> tuple[int, dict]:
    headers = {"content-type": "application/json", "anthropic-version": "2023-06-01"}
    if key is not None:
        headers["x-api-key"] = key
    request = urllib.request.Request(server.url + "/v1/messages", data=json.dumps(body).encode(),
                                     headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:
            return resp.status, json.loads(resp.read().decode())
    except urllib.error.HTTPError as exc:
        text = exc.read().decode(errors="replace")
        try:
            return exc.code, json.loads(text)
        except ValueError:
            return exc.code, {"raw": text}


def message(**extra) -> dict:
    return {"model": "claude-sonnet-4-5", "max_tokens": 64,
            "messages": [{"role": "user", "content": "Say hello"}], **extra}


def only_request(mock) -> object:
    assert len(mock.requests) == 1, [r.path for r in mock.requests]
    return mock.requests[0]


def assert_hicap_auth(seen) -> None:
    """What Hicap needs: the key in `api-key`, and no Authorization header at all."""
    assert seen.headers.get("api-key") == KEY
    assert "authorization" not in seen.headers, seen.headers.get("authorization")


def install_spec(cli, home: Path, spec_text: str, tmp_path: Path) -> dict:
    spec = tmp_path / "ccrgen.yaml"
    spec.write_text(spec_text, encoding="utf-8")
    result = cli("build", spec, "--install", "--yes", env={"HOME": str(home)})
    assert result.returncode == 0, result.stderr
    assert "ccr restart" in result.stdout
    return json.loads((home / ".claude-code-router" / "config.json").read_text(encoding="utf-8"))


def hicap_spec(mock, port: int, routes: dict[str, str]) -> str:
    lines = ["extends: hicap", "server:", f"  port: {port}", "providers:", "  hicap:",
             f"    base_url: {mock.chat_url}", "routes:"]
    lines += [f"  {route}: {target}" for route, target in routes.items()]
    return "\n".join(lines) + "\n"


def assert_transformer_loaded(server: CcrServer) -> None:
    logs = server.wait_for_log(r"register transformer: hicap ")
    assert "load transformer" not in logs, logs[-3000:]
    assert "register transformer: hicap " in logs


@pytest.fixture
def ccr_with_spec(cli, ccr_cmd, tmp_home, tmp_path, mock_upstream):
    """Build+install a spec (routes given by the test), start CCR on a free port."""
    servers = []

    def start(routes: dict[str, str]) -> CcrServer:
        port = free_port()
        install_spec(cli, tmp_home, hicap_spec(mock_upstream, port, routes), tmp_path)
        server = CcrServer(tmp_home, ccr_cmd, env={"HICAP_API_KEY": KEY}, port=port)
        servers.append(server)
        return server.start()

    yield start
    for server in servers:
        server.stop()


def test_a_request_through_ccr_reaches_hicap_with_api_key_and_no_authorization(ccr_with_spec, mock_upstream):
    server = ccr_with_spec({"default": "hicap,gpt-5.2", "think": "hicap,claude-opus-4.5"})
    assert_transformer_loaded(server)

    status, answer = post_messages(server, message())
    assert status == 200, answer
    seen = only_request(mock_upstream)
    assert_hicap_auth(seen)
    assert seen.model == "gpt-5.2"           # Router.default, not the model the client named
    assert seen.path.endswith("/chat/completions")
    assert answer["type"] == "message" and answer["content"], answer

    mock_upstream.clear()
    status, answer = post_messages(server, message(thinking={"type": "enabled", "budget_tokens": 1024}))
    assert status == 200, answer
    seen = only_request(mock_upstream)
    assert_hicap_auth(seen)
    assert seen.model == "claude-opus-4.5"   # Router.think


def test_ccr_refuses_a_client_without_the_router_key(ccr_with_spec, mock_upstream):
    server = ccr_with_spec({"default": "hicap,gpt-5.2"})
    status, _answer = post_messages(server, message(), key=None)
    assert status == 401
    status, _answer = post_messages(server, message(), key="wrong-key")
    assert status == 401
    assert mock_upstream.requests == []


def test_claude_cli_through_ccr_reaches_hicap_with_api_key(ccr_with_spec, mock_upstream, claude_bin, tmp_path):
    # every route to one model the client never asks for: whatever route Claude Code's
    # request takes, the upstream seeing this model proves CCR routed it
    target = "gemini-3-pro-preview"
    server = ccr_with_spec({name: f"hicap,{target}" for name in
                            ("default", "background", "think", "long_context", "web_search")})
    claude_home = tmp_path / "claude-home"
    claude_home.mkdir()
    done = subprocess.run(
        [claude_bin, "-p", "Say hello"], env=claude_env(server.url, KEY, claude_home),
        cwd=claude_home, capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    chats = [r for r in mock_upstream.requests if r.path.endswith("/chat/completions")]
    assert chats, "claude's request never reached the upstream"
    for seen in chats:
        assert_hicap_auth(seen)
        assert seen.model == target
    assert done.stdout.strip(), "claude printed nothing"
    assert mock_answer_text(mock_upstream, target) in done.stdout


def mock_answer_text(mock, model: str) -> str:
    """What the mock answers for `model`, asked directly (non-streaming chat completion)."""
    body = {"model": model, "messages": [{"role": "user", "content": "Say hello"}]}
    request = urllib.request.Request(mock.chat_url, data=json.dumps(body).encode(),
                                     headers={"content-type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=10) as resp:
        text = json.loads(resp.read().decode())["choices"][0]["message"]["content"]
    assert text.strip()
    return text.strip()


def guide_config() -> dict:
    text = GUIDE.read_text(encoding="utf-8")
    block = re.search(r"```json\n(.*?)```", text[text.index("## Configuration"):], re.S).group(1)
    return json.loads(block)


def guide_transformer() -> str:
    text = GUIDE.read_text(encoding="utf-8")
    return re.search(r"```js\n(.*?)```", text[text.index("## Hicap Transformer"):], re.S).group(1)


def test_regression_the_guides_config_verbatim_sends_bearer_and_no_api_key(ccr_cmd, tmp_home, mock_upstream):
    """CCR 2.0.0 does not expand `~` in a transformer path: the guide's transformer never
    loads, and Hicap gets `Authorization: Bearer` instead of `api-key`. ccrgen's absolute
    path is the fix (the tests above)."""
    config = guide_config()
    assert config["transformers"] == [{"path": "~/.claude-code-router/hicap-transformer.js"}]
    port = free_port()
    # verbatim except where it must reach the mock and a free port
    config["Providers"][0]["api_base_url"] = mock_upstream.chat_url
    config["PORT"] = port
    ccr_dir = tmp_home / ".claude-code-router"
    ccr_dir.mkdir()
    (ccr_dir / "config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
    (ccr_dir / "hicap-transformer.js").write_text(guide_transformer(), encoding="utf-8")

    with CcrServer(tmp_home, ccr_cmd, env={"HICAP_API_KEY": KEY}, port=port) as server:
        status, answer = post_messages(server, message())
        logs = server.wait_for_log(r"load transformer \(~/")
    assert status == 200, answer
    seen = only_request(mock_upstream)
    assert seen.headers.get("authorization") == f"Bearer {KEY}"
    assert "api-key" not in seen.headers
    assert seen.model == "claude-sonnet-4.5"
    assert re.search(r"load transformer \(~/\.claude-code-router/hicap-transformer\.js\).*Cannot find module", logs), \
        logs[-3000:]
