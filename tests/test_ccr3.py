"""CCR 3.1.1: safe detection, `ccrgen build --target ccr3`, install (RPC while running, SQLite
while stopped), import, migrate and doctor, with the real CCR 3.1.1 in temp HOMEs on free
ports and ccrgen's mock upstream as the provider. CCR is started three times in this file."""

from __future__ import annotations

import json
import os
import sqlite3
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import free_port

HICAP_KEY = "hk-test-0123456789abcdef"
ROUTES = {
    "default": "claude-sonnet-4.5",
    "background": "claude-haiku-4.5",
    "think": "claude-opus-4.5",
    "long_context": "gemini-3-pro-preview",
    "web_search": "gpt-5.2",
}
REQUESTS = {   # scenario -> (request body, the model it must reach)
    "default": ({"model": "claude-sonnet-4-5-20250929"}, ROUTES["default"]),
    "background": ({"model": "claude-3-5-haiku-20241022"}, ROUTES["background"]),
    "think": ({"model": "claude-sonnet-4-5-20250929", "thinking": {"type": "enabled", "budget_tokens": 2048}},
              ROUTES["think"]),
    "long_context": ({"model": "claude-sonnet-4-5-20250929",
                      "messages": [{"role": "user", "content": "word " * 90000}]}, ROUTES["long_context"]),
    "web_search": ({"model": "claude-sonnet-4-5-20250929",
                    "tools": [{"type": "web_search_20250305", "name": "web_search", "max_uses": 2}]},
                   ROUTES["web_search"]),
    "explicit": ({"model": "hicap,gpt-5.1"}, "gpt-5.1"),
}


def write_spec(path: Path, gateway_port: int, upstream_url: str, routes: dict = ROUTES) -> Path:
    lines = ["extends: hicap", f"server: {{port: {gateway_port}}}", "providers:", "  hicap:",
             f"    base_url: {upstream_url}", "routes:"]
    lines += [f"  {route}: hicap,{model}" for route, model in routes.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


def ask(port: int, body: dict, key: str = HICAP_KEY) -> int:
    """One /v1/messages request to CCR's gateway; the HTTP status."""
    payload = {"max_tokens": 16, "messages": [{"role": "user", "content": "hi"}], **body}
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/v1/messages", data=json.dumps(payload).encode(), method="POST",
        headers={"content-type": "application/json", "x-api-key": key, "anthropic-version": "2023-06-01"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def reached(mock, port: int, body: dict):
    """(status, the request the upstream received for `body`, or None)."""
    before = len(mock.requests)
    status = ask(port, body)
    got = mock.requests[before:]
    return status, (got[-1] if got else None)


def env_for(home: Path, **more) -> dict:
    return {"HOME": str(home), "HICAP_API_KEY": HICAP_KEY, "NO_COLOR": "1", **more}


@pytest.fixture
def server3(ccr3, tmp_home):
    from ccrgen.targets.ccr3_server import Ccr3Server

    server = Ccr3Server(tmp_home, ccr3.command, web_port=free_port(), env={"HICAP_API_KEY": HICAP_KEY})
    yield server
    server.stop()


# --- detection, without running anything -----------------------------------------------------

def _fake_install(root: Path, version: str, layout: str) -> Path:
    """An npm-global-like install whose cli.js, if ever run, leaves a marker file."""
    package = root / "lib" / "node_modules" / "@musistudio" / "claude-code-router"
    cli = package / layout
    cli.parent.mkdir(parents=True)
    cli.write_text(f"#!/usr/bin/env node\nrequire('fs').writeFileSync({json.dumps(str(root / 'RAN'))}, process.argv.join(' '))\n")
    cli.chmod(0o755)   # as npm leaves a bin target
    (package / "package.json").write_text(json.dumps({"name": "@musistudio/claude-code-router", "version": version}))
    (root / "bin").mkdir()
    (root / "bin" / "ccr").symlink_to(cli)
    return root / "bin" / "ccr"


@pytest.mark.parametrize("version,layout,generation", [("3.1.1", "dist/main/cli.js", 3), ("2.0.0", "dist/cli.js", 2)])
def test_find_install_reads_the_version_from_package_json(tmp_path, node_bin, version, layout, generation):
    from ccrgen.ccr.installed import find_install

    ccr = _fake_install(tmp_path, version, layout)
    found = find_install(str(ccr))
    assert (found.version, found.generation) == (version, generation)
    assert found.package_dir == tmp_path / "lib/node_modules/@musistudio/claude-code-router"
    assert found.command[-1].endswith(layout)
    assert not (tmp_path / "RAN").exists()


def test_doctor_never_runs_a_3x_ccr(tmp_path, tmp_home, cli, node_bin):
    """doctor finds CCR 3.x on PATH and names it, without running it (`ccr -v` on 3.x rewrites
    ~/.claude/settings.json)."""
    ccr = _fake_install(tmp_path, "3.1.1", "dist/main/cli.js")
    env = env_for(tmp_home, PATH=f"{ccr.parent}{os.pathsep}{os.environ['PATH']}", CCRGEN_NPM_DIR=str(tmp_path / "none"))
    done = cli("doctor", env=env)
    assert "CCR 3.1.1" in done.stdout and "config.sqlite" in done.stdout
    assert not (tmp_path / "RAN").exists()
    assert not (tmp_home / ".claude").exists()


def test_the_real_3x_install_is_found_as_3_1_1(ccr3):
    assert (ccr3.version, ccr3.generation) == ("3.1.1", 3)


# --- build --target ccr3 without CCR -------------------------------------------------------------

def test_out_keeps_references_and_renders_header_auth_and_rules(tmp_path, cli):
    spec = write_spec(tmp_path / "spec.yaml", 4567, "http://127.0.0.1:9/v1/chat/completions")
    done = cli("build", spec, "--target", "ccr3", "--out", tmp_path / "out", env={"HICAP_API_KEY": HICAP_KEY})
    assert done.returncode == 0, done.stderr
    text = (tmp_path / "out" / "ccr3-config.json").read_text()
    assert HICAP_KEY not in text
    config = json.loads(text)
    [hicap] = config["Providers"]
    assert hicap["api_key"] == "$HICAP_API_KEY"
    assert hicap["extraHeaders"] == {"api-key": "$HICAP_API_KEY", "Authorization": ""}
    assert config["gateway"]["port"] == 4567 and config["profile"] == {"enabled": False}
    names = [r["id"].split("-")[1] for r in config["Router"]["rules"]]
    assert names == sorted(names, key=["explicit", "long", "subagent", "background", "web", "think", "default"].index)
    assert config["Router"]["rules"][-1]["condition"] == {"left": "request.body.model", "operator": "not-contains",
                                                          "right": ","}
    # what 3.x cannot express is said, with the spec line
    assert "preset hicap:" in done.stderr and "server.log_level: CCR 3.x has no LOG_LEVEL" in done.stderr


def test_install_refuses_when_a_reference_is_unset(tmp_path, tmp_home, cli):
    spec = write_spec(tmp_path / "spec.yaml", 4567, "http://127.0.0.1:9/v1/chat/completions")
    env = env_for(tmp_home)
    env.pop("HICAP_API_KEY")
    done = cli("build", spec, "--target", "ccr3", "--install", "--yes", env={**env, "HICAP_API_KEY": ""})
    assert done.returncode == 1
    assert "$HICAP_API_KEY is not set" in done.stderr and "providers.hicap.api_key" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_home / ".claude-code-router" / "config.sqlite").exists()


def test_a_build_with_an_error_is_refused_for_ccr3_as_for_ccr2(tmp_path, tmp_home, cli):
    spec = tmp_path / "bad.yaml"
    spec.write_text("extends: hicap\nroutes:\n  think: nope,x\n")
    done = cli("build", spec, "--target", "ccr3", "--install", "--yes", env=env_for(tmp_home))
    assert done.returncode == 1, done.stderr
    assert "bad.yaml:3:10: routes.think (Router.think): unknown provider 'nope'" in done.stderr
    assert "internal error" not in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_home / ".claude-code-router" / "config.sqlite").exists()


def test_sqlite_install_while_stopped_backs_up_and_never_writes_config_json(tmp_path, tmp_home, cli):
    spec = write_spec(tmp_path / "spec.yaml", 4567, "http://127.0.0.1:9/v1/chat/completions")
    ccr_dir = tmp_home / ".claude-code-router"
    first = cli("build", spec, "--target", "ccr3", "--install", "--yes", env=env_for(tmp_home))
    assert first.returncode == 0, first.stderr
    assert "config.sqlite (CCR is stopped" in first.stdout
    write_spec(spec, 4567, "http://127.0.0.1:9/v1/chat/completions", {**ROUTES, "think": "gpt-5.1"})
    second = cli("build", spec, "--target", "ccr3", "--install", "--yes", env=env_for(tmp_home))
    assert second.returncode == 0, second.stderr
    assert not (ccr_dir / "config.json").exists()
    assert (ccr_dir / "config.sqlite").stat().st_mode & 0o777 == 0o600
    [backup] = list((ccr_dir / ".ccrgen" / "ccr3-backups").glob("*.bak"))
    db = sqlite3.connect(backup)
    old = json.loads(db.execute("SELECT value_json FROM app_config WHERE key='default'").fetchone()[0])
    assert [r["target"] for r in old["Router"]["rules"] if r["id"] == "ccrgen-think"] == ["hicap,claude-opus-4.5"]
    from ccrgen.targets.ccr3_install import read_installed

    now = read_installed(ccr_dir)
    assert [r["target"] for r in now["Router"]["rules"] if r["id"] == "ccrgen-think"] == ["hicap,gpt-5.1"]
    assert now["APIKEYS"][0]["key"] == HICAP_KEY and now["Providers"][0]["api_key"] == HICAP_KEY
    # `ccrgen import` reads the stopped 3.x install back as the spec's routes (config.sqlite, no config.json)
    imported = cli("import", env=env_for(tmp_home))
    assert imported.returncode == 0, imported.stderr
    import yaml

    data = yaml.safe_load(imported.stdout)
    assert {k: v for k, v in data["routes"].items() if k in ROUTES} == \
        {**{r: f"hicap,{m}" for r, m in ROUTES.items()}, "think": "hicap,gpt-5.1"}
    assert data["server"]["port"] == 4567 and data["providers"]["hicap"]["auth"] == {"header": "api-key"}
    listed = cli("history", env=env_for(tmp_home))
    assert listed.returncode == 0 and str(backup) in listed.stdout, listed.stdout + listed.stderr
    undo = cli("rollback", "--target", "ccr3", "--yes", env=env_for(tmp_home))
    assert undo.returncode == 0, undo.stderr
    assert "restored the CCR 3.x config" in undo.stdout and "config.sqlite" in undo.stdout
    back = read_installed(ccr_dir)
    assert [r["target"] for r in back["Router"]["rules"] if r["id"] == "ccrgen-think"] == ["hicap,claude-opus-4.5"]


def test_what_3x_cannot_express_is_warned_and_left_out(tmp_path, cli):
    spec = tmp_path / "spec.yaml"
    spec.write_text("""\
extends: hicap
server: {proxy_url: "http://127.0.0.1:8080", non_interactive: true}
providers:
  hicap:
    base_url: http://127.0.0.1:9/v1/chat/completions
    tokenizer: {type: tiktoken}
    transformer: {use: [maxtoken]}
transformers:
  - {path: /opt/own-transformer.js}
routes:
  image: hicap,gpt-5.2
fallback:
  default: ["hicap,gpt-5.1"]
  think: ["hicap,gpt-5.2"]
""")
    done = cli("build", spec, "--target", "ccr3", "--out", tmp_path / "out", env={"HICAP_API_KEY": HICAP_KEY})
    assert done.returncode == 0, done.stderr
    for line, key in ((2, "server.proxy_url"), (2, "server.non_interactive"), (6, "providers.hicap.tokenizer"),
                      (7, "providers.hicap.transformer"), (9, "transformers.0"), (11, "routes.image"), (13, "fallback")):
        assert f"spec.yaml:{line}:" in done.stderr and key in done.stderr, key
    config = json.loads((tmp_path / "out" / "ccr3-config.json").read_text())
    assert "transformers" not in config and "transformer" not in config["Providers"][0]
    assert "tokenizer" not in config["Providers"][0] and "PROXY_URL" not in config
    assert config["Router"]["fallback"] == {"mode": "model-chain", "models": ["hicap,gpt-5.1"], "retryCount": 1}


def test_lint_target_ccr3_warns_about_a_documented_difference(tmp_path, cli):
    spec = tmp_path / "spec.yaml"
    spec.write_text("extends: hicap\nproviders:\n  hicap:\n    models+: [my-haiku]\n"
                    "routes:\n  background: hicap,claude-haiku-4.5\n")
    plain = cli("lint", spec)
    assert "routes differently in CCR 3.x" not in plain.stdout + plain.stderr
    done = cli("lint", spec, "--target", "ccr3")
    assert "routes differently in CCR 3.x" in done.stdout + done.stderr
    assert "hicap,my-haiku" in done.stdout + done.stderr
    assert cli("lint", spec, "--target", "ccr3", "--strict").returncode == 1


# --- with the real CCR 3.1.1 ----------------------------------------------------------------------

def test_how_it_will_be_checked(tmp_path, tmp_home, cli, server3, mock_upstream, ccr3):
    """The issue's scenario: build --target ccr3 --install --yes in a fresh HOME, `ccr start`,
    every scenario reaches its model with Hicap's key in `api-key` and no Bearer key; a second
    install (no --target: it follows the installed 3.x) while CCR runs takes effect at once;
    ~/.claude/settings.json is never written."""
    port = free_port()
    spec = write_spec(tmp_path / "spec.yaml", port, mock_upstream.chat_url)
    done = cli("build", spec, "--target", "ccr3", "--install", "--yes", env=env_for(tmp_home))
    assert done.returncode == 0, done.stderr
    assert HICAP_KEY not in done.stdout + done.stderr
    server3.start()
    for scenario, (body, model) in REQUESTS.items():
        status, got = reached(mock_upstream, port, body)
        assert status == 200 and got is not None, scenario
        assert got.model == model, scenario
        assert got.headers.get("api-key") == HICAP_KEY, scenario
        assert "bearer" not in got.headers.get("authorization", "").lower(), scenario
    pid = server3.service_record()["pid"]

    write_spec(spec, port, mock_upstream.chat_url, {**ROUTES, "think": "gpt-5.1"})
    again = cli("build", spec, "--install", "--yes", env=env_for(tmp_home, CCRGEN_CCR=str(ccr3.cli)))
    assert again.returncode == 0, again.stderr
    assert "target: ccr3" in again.stderr and "management RPC" in again.stdout
    status, got = reached(mock_upstream, port, REQUESTS["think"][0])
    assert (status, got.model) == (200, "gpt-5.1")
    assert reached(mock_upstream, port, REQUESTS["default"][0])[1].model == ROUTES["default"]
    assert server3.service_record()["pid"] == pid          # no restart

    # rollback applies the backup made before the second install, also live
    from ccrgen.targets.ccr3_install import rollback

    _backup, applied = rollback(server3.ccr_dir)
    assert applied.how == "rpc"
    assert reached(mock_upstream, port, REQUESTS["think"][0])[1].model == ROUTES["think"]
    write_spec(spec, port, mock_upstream.chat_url, {**ROUTES, "think": "gpt-5.1"})
    assert cli("build", spec, "--target", "ccr3", "--install", "--yes", env=env_for(tmp_home)).returncode == 0
    assert not (tmp_home / ".claude" / "settings.json").exists()
    assert not (tmp_home / ".codex").exists()
    assert not (server3.ccr_dir / "config.json").exists()

    # doctor and import read the running install (RPC), and run no ccr command
    env = env_for(tmp_home, CCRGEN_CCR=str(ccr3.cli))
    doctor = cli("doctor", "--json", env=env)
    results = {(r["check"], r["status"]) for r in json.loads(doctor.stdout)}
    for check in ("routing", "client key", "provider auth", "server", "claude code"):
        assert (check, "ok") in results, (check, doctor.stdout)
    imported = cli("import", env=env)
    assert imported.returncode == 0, imported.stderr
    import yaml

    data = yaml.safe_load(imported.stdout)
    assert data["routes"]["think"] == "hicap,gpt-5.1"
    assert data["providers"]["hicap"]["auth"] == {"header": "api-key"}
    assert data["providers"]["hicap"]["api_key"] == "$HICAP_API_KEY"   # the value is in the environment
    assert not (tmp_home / ".claude" / "settings.json").exists()


def test_migrate_a_2x_config_json(tmp_path, tmp_home, cli, server3, mock_upstream, ccr3):
    """`ccrgen migrate`: the 2.x config.json ccrgen installs for CCR 2.0.0 becomes the 3.x
    config (CCR stopped: config.sqlite); CCR 3 then routes every scenario as the 2.x config said,
    and leaves the config.json alone (it never imports it)."""
    port = free_port()
    spec = write_spec(tmp_path / "spec.yaml", port, mock_upstream.chat_url)
    assert cli("build", spec, "--install", "--yes", "--target", "ccr2", env=env_for(tmp_home)).returncode == 0
    config_json = server3.ccr_dir / "config.json"
    assert config_json.exists()
    done = cli("migrate", "--yes", env=env_for(tmp_home))
    assert done.returncode == 0, done.stderr
    assert "Router.think" in done.stdout and "Router.rules 'think" in done.stdout
    assert "extraHeaders (header auth)" in done.stdout
    assert "not carried over:" in done.stdout and "LOG_LEVEL" in done.stdout
    server3.start()
    for scenario, (body, model) in REQUESTS.items():
        status, got = reached(mock_upstream, port, body)
        assert (status, got and got.model) == (200, model), scenario
        assert got.headers.get("api-key") == HICAP_KEY
    assert config_json.exists()
    assert not (tmp_home / ".claude" / "settings.json").exists()
    doctor = cli("doctor", env=env_for(tmp_home, CCRGEN_CCR=str(ccr3.cli)))
    assert "is not read by CCR 3.x" in doctor.stdout


def test_smoke_via_ccr_refuses_a_3x_ccr(cli, ccr3, tmp_home):
    """smoke --via ccr writes a 2.x config.json for the CCR it starts: 3.x would import it and
    drop its routes, so ccrgen says so instead of reporting a smoke result."""
    done = cli("smoke", "--preset", "hicap", "--mock-upstream", "--via", "ccr", "--ccr", ccr3.cli,
               env=env_for(tmp_home))
    assert done.returncode == 4
    assert "CCR 3.1.1" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_home / ".claude").exists()


def test_doctor_finds_what_breaks_a_stopped_3x_install(cli, ccr3, tmp_home):
    """A 3.x config as users end up with it (an upgrade, or typed into the UI): no default
    route, a rule whose target is not configured, a `$NAME` that 3.x sends as the key, an
    empty key, and a config.json waiting to be imported."""
    from ccrgen.targets import ccr3_store

    ccr_dir = tmp_home / ".claude-code-router"
    config = {
        "Providers": [{"name": "hicap", "api_base_url": "http://127.0.0.1:9/v1/chat/completions",
                       "api_key": "$HICAP_API_KEY", "models": ["gpt-5.2"]},
                      {"name": "other", "api_base_url": "http://127.0.0.1:9/v1/chat/completions",
                       "api_key": "", "models": ["m"]}],
        "Router": {"rules": [{"id": "r1", "name": "think", "enabled": True, "type": "condition",
                              "condition": {"left": "request.body.thinking", "operator": "!=", "right": "undefined"},
                              "target": "hicap,claude-opus-4.5"}]},
        "gateway": {"enabled": True, "host": "127.0.0.1", "port": free_port()},
    }
    ccr3_store.write(ccr3_store.db_path(ccr_dir), config, [])
    (ccr_dir / "config.json").write_text("{}")
    done = cli("doctor", "--json", env=env_for(tmp_home, CCRGEN_CCR=str(ccr3.cli)))
    assert done.returncode == 1
    found = {(r["check"], r["status"]): r["message"] for r in json.loads(done.stdout)}
    assert "hicap,claude-opus-4.5" in found[("routing", "error")]
    assert "environment reference" in found[("provider auth", "error")] or \
        "empty api_key" in found[("provider auth", "error")]
    messages = " ".join(r["message"] for r in json.loads(done.stdout))
    assert "'hicap' holds an environment reference" in messages and "'other' has an empty api_key" in messages
    assert ("client key", "warning") in found and ("config", "warning") in found
    assert "3.1.1" in found[("generation", "ok")]
    assert "takes over" in found[("claude code", "warning")]   # no `profile` stored: 3.x's default is on
    assert not (tmp_home / ".claude").exists()


def test_a_port_reference_is_read_for_ccr3_and_preset_lines_are_named_as_presets(cli, tmp_path):
    """gateway.port is a number in 3.x: a `$NAME` port (CCR 2.0.0 interpolates it) is read from
    the environment, with a note; warnings from a preset's lines say `preset NAME:LINE`."""
    spec = tmp_path / "ccrgen.yaml"
    spec.write_text("extends: deepseek\nserver:\n  port: $CCR3_TEST_PORT\n")
    done = cli("build", spec, "--target", "ccr3", "--out", tmp_path / "out", env={"CCR3_TEST_PORT": "3999"})
    assert done.returncode == 0, done.stderr
    config = json.loads((tmp_path / "out" / "ccr3-config.json").read_text())
    assert config["gateway"]["port"] == 3999
    assert "server.port $CCR3_TEST_PORT was read from this environment (3999)" in done.stderr
    assert "warning: preset deepseek:" in done.stderr and "/presets/deepseek.yaml" not in done.stderr
