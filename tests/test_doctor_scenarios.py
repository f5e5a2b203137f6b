"""`ccrgen doctor` on machines broken the ways CCR users report (musistudio/claude-code-router
issues #1137, #1142, #464, #516, #742, #1131): each verdict checked against what the real CCR
2.0.0 and Claude Code do with that machine (see the facts in each test's docstring)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from ccrgen.ccr.runner import CcrServer
from conftest import REPO, free_port
from test_doctor import KEY, doctor, install, with_status

NPM_BIN = Path(os.environ.get("CCRGEN_NPM_DIR") or REPO / ".cache" / "npm") / "node_modules" / ".bin"


def on_path(**extra) -> dict:
    """An environment whose PATH has the npm installs' `ccr` and `claude`, as a user's would."""
    return {"PATH": f"{NPM_BIN}{os.pathsep}{os.environ['PATH']}", **extra}


def claude_code(results, status=None):
    return [r for r in results if r["check"] == "claude code" and (status is None or r["status"] == status)]


def add_transformer(ccr_dir: Path, name: str, source: str, **entry) -> Path:
    path = ccr_dir / name
    path.write_text(source)
    config = json.loads((ccr_dir / "config.json").read_text())
    config["transformers"].append({"path": str(path), **entry})
    (ccr_dir / "config.json").write_text(json.dumps(config, indent=2))
    return path


def test_transformer_constructed_without_options_as_ccr_does(cli, tmp_home, node_bin):
    """CCR 2.0.0 calls `new Module(entry.options)`: undefined for an entry without options.
    Verified: CCR logs "load transformer (...) error: Cannot read properties of undefined
    (reading 'suffix')" and skips the file; the same file with "options": {...} loads."""
    ccr_dir = install(cli, tmp_home, free_port())
    source = 'module.exports = class { constructor(options) { this.name = "opt" + options.suffix; } };\n'
    bare = add_transformer(ccr_dir, "bare.js", source)
    add_transformer(ccr_dir, "given.js", source, options={"suffix": "X"})
    code, results = doctor(cli, tmp_home, env={"HICAP_API_KEY": KEY})
    broken = [r for r in with_status(results, "error") if str(bare) in r["message"]]
    assert code == 1 and broken, results
    assert "reading 'suffix'" in broken[0]["message"] and '"options": {}' in broken[0]["hint"]
    assert any(r["status"] == "ok" and "loads as 'optX'" in r["message"] for r in results)


def test_transformer_of_the_wrong_shape_or_throwing_names_the_cause(cli, tmp_home, node_bin):
    """CCR: an object export fails with 't is not a constructor'; a throw at require is logged
    and the file skipped. Each gets its own fix, not 'a syntax error'."""
    ccr_dir = install(cli, tmp_home, free_port())
    obj = add_transformer(ccr_dir, "obj.js", 'module.exports = {name: "objt"};\n')
    throws = add_transformer(ccr_dir, "throws.js", 'throw new Error("boom at require");\n')
    syntax = add_transformer(ccr_dir, "syntax.js", 'module.exports = clas {};\n')
    _, results = doctor(cli, tmp_home, env={"HICAP_API_KEY": KEY})
    errors = {Path(r["message"].split()[0]).name: r for r in with_status(results, "error")
              if r["check"] == "transformers" and r["message"].startswith("/")}
    assert "export a class" in errors[obj.name]["hint"], errors
    assert "boom at require" in errors[throws.name]["message"] and "load time" in errors[throws.name]["hint"]
    assert "syntax error" in errors[syntax.name]["hint"]


def test_a_transformer_that_prints_while_loading_still_loads(cli, tmp_home, node_bin):
    """console.log in a transformer does not stop CCR loading it; doctor must not call it broken."""
    ccr_dir = install(cli, tmp_home, free_port())
    noisy = add_transformer(ccr_dir, "noisy.js", 'console.log("hello");\n'
                            'module.exports = class { constructor() { this.name = "noisy"; } };\n')
    _, results = doctor(cli, tmp_home, env={"HICAP_API_KEY": KEY})
    mine = [r for r in results if str(noisy) in r["message"]]
    assert mine and mine[0]["status"] == "ok" and "loads as 'noisy'" in mine[0]["message"], results


def test_ccr_code_from_a_shell_without_the_apikey_variable(cli, tmp_home, ccr_cmd):
    """APIKEY is "$HICAP_API_KEY" and CCR was started with it; `ccr code` interpolates APIKEY in
    the shell it runs in. Verified: from a shell without the variable, Claude Code sends the
    literal '$HICAP_API_KEY' and CCR answers 401 (claude -p prints nothing)."""
    port = free_port()
    install(cli, tmp_home, port)
    with CcrServer(tmp_home, ccr_cmd, env={"HICAP_API_KEY": KEY}, port=port):
        code, results = doctor(cli, tmp_home, env=on_path(HICAP_API_KEY=""))
        good_code, good = doctor(cli, tmp_home, env=on_path(HICAP_API_KEY=KEY))
    [error] = claude_code(results, "error")
    assert code == 1 and "$HICAP_API_KEY is not set in this shell" in error["message"]
    assert "401" in error["message"] and "export HICAP_API_KEY" in error["hint"]
    assert good_code == 0 and not claude_code(good, "error"), good


def test_plain_claude_settings_pointing_elsewhere_or_with_the_wrong_token(cli, tmp_home, node_bin):
    """Claude Code's ~/.claude/settings.json env overrides the shell's (verified with claude -p);
    it sends ANTHROPIC_AUTH_TOKEN as Bearer, which CCR reads before x-api-key."""
    port = free_port()
    install(cli, tmp_home, port)
    settings = tmp_home / ".claude" / "settings.json"
    settings.parent.mkdir()

    def verdicts(env_in_settings: dict, **shell):
        settings.write_text(json.dumps({"env": env_in_settings}))
        return claude_code(doctor(cli, tmp_home, env=on_path(HICAP_API_KEY=KEY, **shell))[1])

    url = f"http://127.0.0.1:{port}"
    wrong_token = verdicts({"ANTHROPIC_BASE_URL": url, "ANTHROPIC_AUTH_TOKEN": "not-the-key-at-all"})
    assert any(r["status"] == "error" and "401" in r["message"] and str(settings) in r["message"]
               for r in wrong_token), wrong_token
    wrong_port = verdicts({"ANTHROPIC_BASE_URL": "http://127.0.0.1:1", "ANTHROPIC_AUTH_TOKEN": KEY},
                          ANTHROPIC_BASE_URL=url)
    assert any(r["status"] == "warning" and "http://127.0.0.1:1" in r["message"] for r in wrong_port), wrong_port
    right = verdicts({"ANTHROPIC_BASE_URL": url, "ANTHROPIC_AUTH_TOKEN": KEY})
    assert all(r["status"] == "ok" for r in right), right
    bedrock = verdicts({"ANTHROPIC_BASE_URL": url, "ANTHROPIC_AUTH_TOKEN": KEY}, CLAUDE_CODE_USE_BEDROCK="1")
    assert any(r["status"] == "error" and "CLAUDE_CODE_USE_BEDROCK" in r["message"] for r in bedrock), bedrock


def test_claude_and_ccr_not_on_path(cli, tmp_home, node_bin):
    """`ccr code` runs `claude` through /bin/sh: without it on PATH it stops with
    'claude: not found' (verified), even though ccrgen itself can find a copy."""
    install(cli, tmp_home, free_port())
    node_dir = str(Path(node_bin).resolve().parent)
    _, results = doctor(cli, tmp_home, env={"HICAP_API_KEY": KEY, "PATH": f"{node_dir}{os.pathsep}/usr/bin:/bin"})
    assert any(r["status"] == "warning" and "cannot find" in r["message"] for r in claude_code(results)), results
    assert not any(r["status"] == "ok" and r["message"].startswith("`ccr code` from this shell points")
                   for r in claude_code(results))
    tools = [r for r in results if r["check"] == "tools" and r["status"] == "warning"]
    assert any("claude is not on PATH" in r["message"] for r in tools), tools
    assert any("ccr is not on PATH" in r["message"] for r in tools), tools


def test_ccr_running_on_another_port_than_config_json_says(cli, tmp_home, ccr_cmd):
    """PORT changed in config.json after `ccr start`: CCR still listens on the old port and
    `ccr code` (which sees the pid file and reads PORT from the file) gets no answer (verified
    with `ccr code -p`). Not 'CCR is not running': it runs, on the wrong port."""
    port, other = free_port(), free_port()
    ccr_dir = install(cli, tmp_home, port)
    with CcrServer(tmp_home, ccr_cmd, env={"HICAP_API_KEY": KEY}, port=port):
        config = ccr_dir / "config.json"
        config.write_text(config.read_text().replace(f'"PORT": {port}', f'"PORT": {other}'))
        code, results = doctor(cli, tmp_home, env=on_path(HICAP_API_KEY=KEY))
    wrong = [r for r in with_status(results, "error") if r["check"] == "server"]
    assert code == 1 and wrong and f"not on port {other}" in wrong[0]["message"], results
    assert "ccr restart" in wrong[0]["hint"]
