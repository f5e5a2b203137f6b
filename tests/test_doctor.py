"""`ccrgen doctor` on situations built for real in a temp HOME, with real processes."""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path

from ccrgen.ccr.runner import CcrServer
from conftest import free_port

GUIDE = Path(__file__).parent / "data" / "hicap-setup-guide.md"  # a copy of shared/seed/hicap-setup-guide.md
KEY = "hk-test-7f3a9c2e5b1d8f4a6c0e"


def doctor(cli, home: Path, *args, env=None, cwd=None):
    result = cli("doctor", "--json", *args, env={"HOME": str(home), **(env or {})}, cwd=cwd or home)
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, json.loads(result.stdout)


def with_status(results, status):
    return [r for r in results if r["status"] == status]


def install(cli, home: Path, port: int, extra: str = "") -> Path:
    spec = home / "spec.yaml"
    spec.write_text(f"extends: hicap\nserver:\n  port: {port}\n{extra}")
    result = cli("build", spec, "--install", "--yes", env={"HOME": str(home)})
    assert result.returncode == 0, result.stderr
    spec.unlink()
    return home / ".claude-code-router"


def snapshot(folder: Path) -> dict:
    return {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in folder.rglob("*") if p.is_file()}


def test_guide_config_verbatim_and_an_unset_key_give_the_two_errors(cli, tmp_home, node_bin):
    text = GUIDE.read_text()
    blocks = re.findall(r"```(?:json|javascript|js)\n(.*?)```", text, re.S)
    ccr_dir = tmp_home / ".claude-code-router"
    ccr_dir.mkdir()
    (ccr_dir / "config.json").write_text(next(b for b in blocks if '"Providers"' in b))
    (ccr_dir / "hicap-transformer.js").write_text(next(b for b in blocks if "module.exports" in b))

    code, results = doctor(cli, tmp_home, env={"HICAP_API_KEY": ""})
    assert code == 1
    errors = with_status(results, "error")
    unset = [r for r in errors if r["check"] == "environment"]
    assert unset and "$HICAP_API_KEY is not set" in unset[0]["message"]
    assert "literal text '$HICAP_API_KEY'" in unset[0]["message"] and "export HICAP_API_KEY" in unset[0]["hint"]
    tilde = [r for r in errors if r["check"] == "transformers" and "'~'" in r["message"]]
    assert tilde and str(ccr_dir / "hicap-transformer.js") in tilde[0]["hint"]


def test_correct_setup_with_ccr_running_is_all_ok(cli, tmp_home, ccr_cmd):
    port = free_port()
    install(cli, tmp_home, port)
    from test_doctor_scenarios import on_path

    with CcrServer(tmp_home, ccr_cmd, env={"HICAP_API_KEY": KEY}, port=port):
        code, results = doctor(cli, tmp_home, env=on_path(HICAP_API_KEY=KEY))
    assert code == 0, results
    assert with_status(results, "error") == [] and with_status(results, "warning") == [], results
    assert any(r["check"] == "server" and "answers on" in r["message"] for r in results)
    assert any("loads as 'hicap'" in r["message"] for r in results)


def test_config_edited_after_ccr_started_needs_a_restart(cli, tmp_home, ccr_cmd):
    port = free_port()
    ccr_dir = install(cli, tmp_home, port)
    with CcrServer(tmp_home, ccr_cmd, env={"HICAP_API_KEY": KEY}, port=port):
        time.sleep(1.5)
        config = ccr_dir / "config.json"
        config.write_text(config.read_text().replace('"LOG_LEVEL": "debug"', '"LOG_LEVEL": "info"'))
        code, results = doctor(cli, tmp_home, env={"HICAP_API_KEY": KEY})
    restart = [r for r in results if "changed after CCR started" in r["message"]]
    assert restart and restart[0]["hint"] == "restart it: `ccr restart`"


def test_another_program_on_the_port_is_named(cli, tmp_home):
    import subprocess

    port = free_port()
    install(cli, tmp_home, port)
    listener = subprocess.Popen([sys.executable, "-c",
                                 "import socket,time;s=socket.socket();s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1);"
                                 f"s.bind(('127.0.0.1',{port}));s.listen();print('up',flush=True);time.sleep(60)"],
                                stdout=subprocess.PIPE, text=True)
    try:
        assert listener.stdout.readline().strip() == "up"
        code, results = doctor(cli, tmp_home, env={"HICAP_API_KEY": KEY})
    finally:
        listener.kill()
        listener.wait()
    taken = [r for r in with_status(results, "error") if r["check"] == "server"]
    assert code == 1 and taken
    assert "python" in taken[0]["message"] and f"pid {listener.pid}" in taken[0]["hint"]


def test_stale_pid_file(cli, tmp_home):
    ccr_dir = install(cli, tmp_home, free_port())
    (ccr_dir / ".claude-code-router.pid").write_text("999999\n")
    _, results = doctor(cli, tmp_home, env={"HICAP_API_KEY": KEY})
    stale = [r for r in results if "stale pid file" in r["message"]]
    assert stale and stale[0]["status"] == "warning" and "rm " in stale[0]["hint"]


def test_transformer_with_a_syntax_error(cli, tmp_home, node_bin):
    ccr_dir = install(cli, tmp_home, free_port())
    js = ccr_dir / "hicap-transformer.js"
    js.write_text(js.read_text().replace("module.exports = class", "module.exports = clas"))
    code, results = doctor(cli, tmp_home, env={"HICAP_API_KEY": KEY})
    broken = [r for r in with_status(results, "error") if r["check"] == "transformers"]
    assert code == 1
    assert any("does not load" in r["message"] for r in broken)
    assert any("uses 'hicap', which nothing loaded provides" in r["message"] for r in broken)


def test_online_reports_a_refused_key_without_printing_it(cli, tmp_home, mock_upstream):
    spec_extra = f"providers:\n  hicap:\n    base_url: {mock_upstream.chat_url}\n"
    install(cli, tmp_home, free_port(), spec_extra)
    mock_upstream.script({"error": {"status": 401, "message": f"bad key {KEY}"}})
    result = cli("doctor", "--online", env={"HOME": str(tmp_home), "HICAP_API_KEY": KEY}, cwd=tmp_home)
    assert KEY not in result.stdout + result.stderr
    assert re.search(r"^online\n(  .*\n)*  ✗ hicap \(.*\): HTTP 401", result.stdout, re.M)
    [request] = mock_upstream.requests
    assert request.headers.get("api-key") == KEY and "authorization" not in request.headers
    assert request.body["max_tokens"] == 1

    mock_upstream.clear()
    code, results = doctor(cli, tmp_home, "--online", env={"HICAP_API_KEY": KEY})
    assert any(r["check"] == "online" and r["status"] == "ok" for r in results)


def test_doctor_changes_nothing_and_text_output_is_plain_when_piped(cli, tmp_home, node_bin):
    ccr_dir = install(cli, tmp_home, free_port())
    (ccr_dir / ".claude-code-router.pid").write_text("999999\n")
    before = snapshot(tmp_home)
    result = cli("doctor", env={"HOME": str(tmp_home)}, cwd=tmp_home)
    assert snapshot(tmp_home) == before
    assert "\x1b[" not in result.stdout
    # grouped by check: a heading, then marked lines, each failing one with its fix below it
    assert re.search(r"^environment\n(  . .*\n(      fix: .*\n)?)*  ✗ \$HICAP_API_KEY is not set", result.stdout, re.M)
    assert re.search(r"^  ✗ .*\n      fix: ", result.stdout, re.M)


def test_environment_is_judged_in_the_running_ccr_process_not_the_shell(cli, tmp_home, ccr_cmd):
    """CCR started without the key: the shell having it now does not help CCR, and doctor says
    so; CCR started with it: a shell without it is not an error."""
    port = free_port()
    install(cli, tmp_home, port)
    with CcrServer(tmp_home, ccr_cmd, env={"HICAP_API_KEY": ""}, port=port):
        code, results = doctor(cli, tmp_home, env={"HICAP_API_KEY": KEY})
        pid = int((tmp_home / ".claude-code-router" / ".claude-code-router.pid").read_text())
    assert code == 1, results
    unset = [r for r in with_status(results, "error") if r["check"] == "environment"]
    assert unset and "not set in the environment of the running CCR" in unset[0]["message"], results
    assert "sends the literal text '$HICAP_API_KEY'" in unset[0]["message"]
    assert "ccr restart" in unset[0]["hint"]
    checked = [r for r in results if r["check"] == "environment" and r["message"].startswith("checked ")]
    assert checked and f"running CCR (pid {pid})" in checked[0]["message"]

    with CcrServer(tmp_home, ccr_cmd, env={"HICAP_API_KEY": KEY}, port=port):
        code, results = doctor(cli, tmp_home, env={"HICAP_API_KEY": ""})
    assert not [r for r in with_status(results, "error") if r["check"] == "environment"], results
    assert any(r["message"] == "$HICAP_API_KEY is set" for r in results)


def test_environment_without_a_running_ccr_is_the_shells(cli, tmp_home):
    install(cli, tmp_home, free_port())
    code, results = doctor(cli, tmp_home, env={"HICAP_API_KEY": ""})
    assert code == 1
    checked = [r for r in results if r["check"] == "environment" and r["message"].startswith("checked ")]
    assert checked and "this shell's environment" in checked[0]["message"]
    unset = [r for r in with_status(results, "error") if r["check"] == "environment"]
    assert unset and "would send the literal text" in unset[0]["message"]
