"""One set of CLI conventions across every command, as the README's "CLI conventions" says:
`--format text|json` (with `--json` as its alias), `-` for stdin and for stdout, colour that
follows NO_COLOR / FORCE_COLOR, one error style, and the README's exit codes, each with a
real case per command."""

from __future__ import annotations

import json
import os
import pty
import re
import signal
import socket
import subprocess
import sys
import time

import pytest

from conftest import REPO, free_port, run_cli

# Every key the presets reference is set, so a build or a lint is clean where it should be.
KEYS = {"HICAP_API_KEY": "hk-conventions-0123456789", "DEEPSEEK_API_KEY": "sk-conventions-0123456789",
        "CCR_APIKEY": "router-key-0123456789", "OPENROUTER_API_KEY": "or-conventions-0123456789"}
ESC = "\x1b["
REQUEST = {"model": "claude-sonnet-4-5", "max_tokens": 16, "messages": [{"role": "user", "content": "hi"}]}
SPEC = "extends: hicap\nroutes:\n  think: hicap,claude-opus-4.5\n"
BAD_SPEC = "extends: hicap\nroutes:\n  default: hicap,no-such-model\n"


def cli(*args, env=None, **kwargs):
    return run_cli(*args, env={**KEYS, "NO_COLOR": "", "FORCE_COLOR": "", **(env or {})}, **kwargs)


def write(path, text: str):
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def home(tmp_path):
    return tmp_path / "home"


@pytest.fixture
def installed(tmp_path):
    """A CCR folder with two recorded installs (hicap, then the spec that overrides `think`)."""
    ccr = tmp_path / "ccr"
    spec = write(tmp_path / "ccrgen.yaml", SPEC)
    for source in (["--preset", "hicap"], [spec]):
        done = cli("build", *source, "--install", "--ccr-dir", ccr, "--yes")
        assert done.returncode == 0, done.stderr
    return ccr


# --- --format json: one JSON document on stdout ---------------------------------------------

def _json_cases(tmp_path, ccr):
    config = tmp_path / "ccr" / "config.json"
    request = write(tmp_path / "request.json", json.dumps(REQUEST))
    return {
        "build": (["build", "--preset", "deepseek", "--out", tmp_path / "out"], "files"),
        "build --dry-run": (["build", "--preset", "hicap", "--dry-run", "--out", tmp_path / "dry"], "files"),
        "build --install": (["build", "--preset", "deepseek", "--install", "--ccr-dir", tmp_path / "c2", "--yes"],
                            "history_entry"),
        "init": (["init", "-o", tmp_path / "new" / "ccrgen.yaml"], "files"),
        "import": (["import", config], "spec"),
        "import -o": (["import", config, "-o", tmp_path / "imported.yaml"], "file"),
        "preset list": (["preset", "list"], None),
        "preset show": (["preset", "show", "hicap"], "data"),
        "preset export": (["preset", "export", "hicap", "-o", tmp_path / "exported"], "files"),
        "lint": (["lint", config], None),
        "diff": (["diff", "--preset", "deepseek", "--ccr-dir", ccr], None),
        "doctor": (["doctor", "--ccr-dir", ccr], None),
        "route": (["route", request, "--config", config], "route"),
        "history": (["history", "--ccr-dir", ccr], None),
        "rules": (["rules"], None),
        "rules CODE": (["rules", "CCR011"], None),
        "resolve": (["resolve", "--preset", "hicap"], None),
        "rollback": (["rollback", "--ccr-dir", ccr, "--yes"], "history_entry"),
        "uninstall": (["uninstall", "--ccr-dir", ccr, "--yes"], "history_entry"),
        "smoke": (["smoke", "--config", config, "--mock-upstream"], None),
    }


JSON_COMMANDS = ["build", "build --dry-run", "build --install", "init", "import", "import -o", "preset list",
                 "preset show", "preset export", "lint", "diff", "doctor", "route", "history", "rules", "rules CODE", "resolve",
                 "rollback", "uninstall", "smoke"]


@pytest.mark.parametrize("name", JSON_COMMANDS)
def test_format_json_prints_one_json_document(name, tmp_path, installed):
    args, key = _json_cases(tmp_path, installed)[name]
    done = cli(*args, "--format", "json", cwd=tmp_path)
    assert done.returncode in (0, 1), done.stderr
    document = json.loads(done.stdout)  # the whole of stdout: nothing else is printed there
    if key:
        assert key in document
    assert not done.stdout.lstrip().startswith(("built", "wrote", "created"))


@pytest.mark.parametrize("name", ["build --dry-run", "preset list", "lint", "diff", "doctor", "route", "history", "rules"])
def test_json_is_an_alias_of_format_json(name, tmp_path, installed):
    args, _key = _json_cases(tmp_path, installed)[name]
    as_format = cli(*args, "--format", "json", cwd=tmp_path)
    as_alias = cli(*args, "--json", cwd=tmp_path)
    assert as_alias.returncode == as_format.returncode
    assert json.loads(as_alias.stdout) == json.loads(as_format.stdout)


def test_lint_keeps_its_github_and_sarif_formats(tmp_path):
    spec = write(tmp_path / "bad.yaml", BAD_SPEC)
    github = cli("lint", spec, "--format", "github")
    assert re.search(r"^::error file=.*bad\.yaml,line=3,", github.stdout, re.M)
    sarif = json.loads(cli("lint", spec, "--format", "sarif").stdout)
    driver = sarif["runs"][0]["tool"]["driver"]
    assert driver["name"] == "ccrgen"
    assert "claude-code-router" not in json.dumps(driver)       # ccrgen's own documentation, not CCR's
    assert "informationUri" not in driver or re.match(r"^[a-z]+://", driver["informationUri"])  # absolute, per SARIF


def test_build_json_names_the_files_it_wrote(tmp_path):
    done = cli("build", "--preset", "hicap", "--out", tmp_path / "out", "--format", "json")
    files = {os.path.basename(f["path"]): f for f in json.loads(done.stdout)["files"]}
    assert set(files) == {"config.json", "hicap-transformer.js"}
    assert all(os.path.exists(f["path"]) and f["status"] == "created" for f in files.values())


# --- `-`: stdin for what is read, stdout for the one file written ---------------------------

def test_build_reads_the_spec_from_stdin(tmp_path):
    from_file = cli("build", write(tmp_path / "spec.yaml", SPEC), "--out", tmp_path / "a")
    from_stdin = cli("build", "-", "--out", tmp_path / "b", input=SPEC)
    assert from_stdin.returncode == 0 == from_file.returncode, from_stdin.stderr
    assert (tmp_path / "b" / "config.json").read_text().replace(str(tmp_path / "b"), "X") == \
        (tmp_path / "a" / "config.json").read_text().replace(str(tmp_path / "a"), "X")


def test_diff_reads_the_spec_from_stdin(tmp_path, installed):
    same = cli("diff", "-", "--ccr-dir", installed, input=SPEC)
    assert (same.returncode, same.stdout) == (0, "no changes\n"), same.stderr
    other = cli("diff", "-", "--ccr-dir", installed, input="extends: hicap\n")
    assert other.returncode == 1 and "Router.think" in other.stdout


def test_route_reads_the_request_or_the_config_from_stdin(tmp_path, installed):
    config = installed / "config.json"
    request = write(tmp_path / "request.json", json.dumps(REQUEST))
    thinking = json.dumps({**REQUEST, "thinking": {"type": "enabled", "budget_tokens": 1024}})
    by_request = json.loads(cli("route", "-", "--config", config, "--json", input=thinking).stdout)
    assert (by_request["route"], by_request["model"]) == ("think", "claude-opus-4.5")
    by_config = json.loads(cli("route", request, "--config", "-", "--json", input=config.read_text()).stdout)
    assert by_config["route"] == "default"
    both = cli("route", "-", "--config", "-", input="{}")
    assert both.returncode == 2 and both.stderr.startswith("error: only one input can be `-`")


def test_import_reads_stdin_and_writes_stdout(tmp_path, installed):
    config = (installed / "config.json").read_text()
    piped = cli("import", "-", "-o", "-", input=config)
    assert piped.returncode == 0, piped.stderr
    assert "think: hicap,claude-opus-4.5" in piped.stdout
    to_file = cli("import", "-", "-o", tmp_path / "spec.yaml", input=config)
    assert to_file.returncode == 0, to_file.stderr
    assert (tmp_path / "spec.yaml").read_text() == piped.stdout
    rebuilt = cli("diff", "-", "--against", installed / "config.json", "--ccr-dir", installed, input=piped.stdout)
    assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr


def test_lint_reads_stdin(tmp_path):
    done = cli("lint", "-", "--stdin-filename", "ccrgen.yaml", input=BAD_SPEC)
    assert done.returncode == 1
    assert re.search(r"^ccrgen\.yaml:3:\d+: error: .*no-such-model", done.stdout, re.M)


def test_import_next_step_compares_with_the_imported_file(tmp_path, installed):
    other = tmp_path / "other" / "config.json"
    other.parent.mkdir()
    other.write_text((installed / "config.json").read_text())
    done = cli("import", other, "-o", tmp_path / "spec.yaml", env={"HOME": str(tmp_path / "home")})
    assert f"ccrgen diff spec.yaml --against {other}" in done.stdout
    hinted = cli("diff", tmp_path / "spec.yaml", "--against", other, "--ccr-dir", installed)  # its transformer
    assert (hinted.returncode, hinted.stdout) == (0, "no changes\n"), hinted.stderr


def test_build_out_dash_prints_config_json_or_says_why_not(tmp_path):
    printed = cli("build", "--preset", "deepseek", "--out", "-")
    built = cli("build", "--preset", "deepseek", "--out", tmp_path / "b")
    assert json.loads(printed.stdout) == json.loads((tmp_path / "b" / "config.json").read_text())
    assert built.returncode == 0 == printed.returncode
    refused = cli("build", "--preset", "hicap", "--out", "-")
    assert refused.returncode == 2 and refused.stdout == ""
    assert refused.stderr.startswith("error: preset hicap builds 2 files") and "\n  hint: " in refused.stderr


def test_build_dry_run_is_pipeable(tmp_path):
    done = cli("build", "--preset", "deepseek", "--dry-run", "--out", tmp_path / "b")
    assert json.loads(done.stdout)["Providers"][0]["name"] == "deepseek"   # the file alone on stdout
    assert "would write" in done.stderr and not (tmp_path / "b").exists()


def test_init_out_dash_prints_the_starter_and_writes_nothing(tmp_path):
    done = cli("init", "-o", "-", cwd=tmp_path)
    assert done.returncode == 0 and done.stdout.startswith("# yaml-language-server: $schema=")
    assert "extends: hicap" in done.stdout and list(tmp_path.iterdir()) == []


# --- colour ------------------------------------------------------------------------------------

@pytest.fixture
def coloured_cases(tmp_path, installed):
    spec = write(tmp_path / "bad.yaml", BAD_SPEC)
    return {"lint": ["lint", spec], "diff": ["diff", "--preset", "deepseek", "--ccr-dir", installed],
            "doctor": ["doctor", "--ccr-dir", installed]}


@pytest.mark.parametrize("name", ["lint", "diff", "doctor"])
def test_force_color_colours_a_pipe_and_no_color_does_not(name, coloured_cases):
    args = coloured_cases[name]
    assert ESC not in cli(*args).stdout                                  # a pipe: plain
    assert ESC in cli(*args, env={"FORCE_COLOR": "1"}).stdout           # unless forced
    assert ESC not in cli(*args, env={"FORCE_COLOR": "1", "NO_COLOR": "1"}).stdout
    assert ESC in cli("--color", "always", *args).stdout
    assert ESC not in cli("--color", "never", *args, env={"FORCE_COLOR": "1"}).stdout


def _on_a_terminal(args, env) -> str:
    """stdout of ccrgen run on a pseudo-terminal."""
    leader, follower = pty.openpty()
    full_env = {**os.environ, **KEYS, "TERM": "xterm", "NO_COLOR": "", "FORCE_COLOR": "", **env}
    process = subprocess.Popen([sys.executable, "-m", "ccrgen", *map(str, args)], stdout=follower,
                               stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, env=full_env, cwd=REPO)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    process.wait(timeout=60)
    os.close(leader)
    return b"".join(chunks).decode("utf-8", "replace")


@pytest.mark.parametrize("name", ["lint", "diff"])
def test_no_color_on_a_terminal_is_plain(name, coloured_cases):
    args = coloured_cases[name]
    assert ESC in _on_a_terminal(args, {})
    assert ESC not in _on_a_terminal(args, {"NO_COLOR": "1"})


# --- one error style ---------------------------------------------------------------------------

def test_lint_says_no_all_clear_after_an_error(tmp_path):
    done = cli("lint", tmp_path / "missing.yaml")
    assert done.returncode == 2
    assert done.stderr.startswith("error: ")
    assert "no problems found" not in done.stdout + done.stderr
    clean = write(tmp_path / "clean.yaml", "extends: deepseek\n")
    mixed = cli("lint", clean, tmp_path / "missing.yaml")
    assert mixed.returncode == 2 and "no problems found" not in mixed.stdout


@pytest.mark.parametrize("args", [
    ["biuld"], ["build", "--no-such-option"], ["completion", "tcsh"], ["rules", "CCR999"],
    ["lint", "--format", "xml"], ["history", "--format", "yaml"],
])
def test_usage_errors_are_in_the_one_error_style(args):
    done = cli(*args)
    assert done.returncode == 2
    assert done.stderr.startswith("error: ") and "\n  hint: " in done.stderr
    assert "Usage:" not in done.stderr and "Traceback" not in done.stderr


# --- exit codes: each code of the README's table, with a real case per command ---------------

def _listening_socket():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    return sock


def _cases(tmp_path, ccr):
    """name -> (args, expected exit code, stdin)"""
    bad = write(tmp_path / "bad.yaml", BAD_SPEC)
    broken = write(tmp_path / "broken.yaml", "extends: [hicap\n")
    missing = tmp_path / "missing.yaml"
    a_file = write(tmp_path / "a-file", "")
    config = ccr / "config.json"
    request = write(tmp_path / "request.json", json.dumps(REQUEST))
    wrong_request = write(tmp_path / "wrong.json", json.dumps({**REQUEST, "messages": "hi"}))
    unreachable = write(tmp_path / "unreachable.json", json.dumps({
        "Providers": [{"name": "p", "api_base_url": f"http://127.0.0.1:{free_port()}/v1/chat/completions",
                       "api_key": "k-0123456789", "models": ["m"]}], "Router": {"default": "p,m"}}))
    refused_upstream = write(tmp_path / "refused.json", json.dumps({
        "Providers": [{"name": "hicap", "api_base_url": "https://api.hicap.ai/v1/chat/completions",
                       "api_key": "$HICAP_API_KEY", "models": ["claude-sonnet-4.5"]}],
        "Router": {"default": "hicap,claude-sonnet-4.5"}}))   # no api-key transformer: Hicap says 401
    empty = tmp_path / "empty-ccr"
    return {
        "build ok": (["build", "--preset", "deepseek", "--out", tmp_path / "o"], 0, None),
        "build refused": (["build", bad, "--out", tmp_path / "o2"], 1, None),
        "build unreadable": (["build", broken, "--out", tmp_path / "o3"], 2, None),
        "build write failed": (["build", "--preset", "deepseek", "--out", a_file / "sub"], 3, None),
        "build answered no": (["build", "--preset", "deepseek", "--install", "--ccr-dir", ccr], 130, "n\n"),
        "init ok": (["init", "-o", tmp_path / "i" / "ccrgen.yaml"], 0, None),
        "init exists": (["init", "-o", bad], 2, None),
        "init write failed": (["init", "-o", a_file / "ccrgen.yaml"], 3, None),
        "preset show ok": (["preset", "show", "hicap"], 0, None),
        "preset show unknown": (["preset", "show", "no-such-preset"], 2, None),
        "preset export write failed": (["preset", "export", "hicap", "-o", a_file / "x"], 3, None),
        "schema ok": (["schema"], 0, None),
        "lint ok": (["lint", config], 0, None),
        "lint findings": (["lint", bad], 1, None),
        "lint unreadable": (["lint", missing], 2, None),
        "rules ok": (["rules", "CCR011"], 0, None),
        "rules unknown": (["rules", "CCR999"], 2, None),
        "diff same": (["diff", write(tmp_path / "same.yaml", SPEC), "--ccr-dir", ccr], 0, None),
        "diff different": (["diff", "--preset", "deepseek", "--ccr-dir", ccr], 1, None),
        "diff refused": (["diff", bad, "--ccr-dir", ccr], 1, None),
        "diff unreadable": (["diff", broken, "--ccr-dir", ccr], 2, None),
        "history ok": (["history", "--ccr-dir", ccr], 0, None),
        "rollback nothing to undo": (["rollback", "--ccr-dir", empty, "--yes"], 1, None),
        "rollback answered no": (["rollback", "--ccr-dir", ccr], 130, "n\n"),
        "uninstall nothing installed": (["uninstall", "--ccr-dir", empty, "--yes"], 1, None),
        "resolve ok": (["resolve", "--preset", "hicap"], 0, None),
        "resolve unreadable": (["resolve", missing], 2, None),
        "import ok": (["import", config], 0, None),
        "import unreadable": (["import", missing], 2, None),
        "import write failed": (["import", config, "-o", a_file / "spec.yaml"], 3, None),
        "doctor ok": (["doctor", "--ccr-dir", ccr], 0, None),
        "doctor error": (["doctor", "--ccr-dir", empty], 1, None),
        "route ok": (["route", request, "--config", config], 0, None),
        "route invalid": (["route", wrong_request, "--config", config], 1, None),
        "route unreadable": (["route", write(tmp_path / "notjson.json", "{"), "--config", config], 2, None),
        "smoke ok": (["smoke", "--config", config, "--mock-upstream"], 0, None),
        "smoke route failed": (["smoke", "--config", refused_upstream, "--mock-upstream"], 1, None),
        "smoke unreadable": (["smoke", missing], 2, None),
        "smoke unreachable": (["smoke", "--config", unreachable], 4, None),
        "completion ok": (["completion", "bash"], 0, None),
        "no command": ([], 0, None),
        "unknown command": (["biuld"], 2, None),
    }


EXIT_CASES = ["build ok", "build refused", "build unreadable", "build write failed", "build answered no",
              "init ok", "init exists", "init write failed", "preset show ok", "preset show unknown",
              "preset export write failed", "schema ok", "lint ok", "lint findings", "lint unreadable",
              "rules ok", "rules unknown", "diff same", "diff different", "diff refused", "diff unreadable",
              "history ok", "rollback nothing to undo", "rollback answered no", "uninstall nothing installed",
              "resolve ok", "resolve unreadable", "import ok", "import unreadable", "import write failed",
              "doctor ok", "doctor error", "route ok", "route invalid", "route unreadable", "smoke ok",
              "smoke route failed", "smoke unreadable", "smoke unreachable", "completion ok", "no command",
              "unknown command"]


@pytest.mark.parametrize("name", EXIT_CASES)
def test_each_documented_exit_code(name, tmp_path, installed):
    args, code, stdin = _cases(tmp_path, installed)[name]
    done = cli(*args, input=stdin, cwd=tmp_path)
    assert done.returncode == code, f"{name}: {done.returncode}\n{done.stdout}\n{done.stderr}"
    if code in (2, 3) or name.endswith("in use"):
        assert re.search(r"^error: .*(\n  hint: .*)?", done.stderr, re.M), done.stderr  # the one style
    assert "Traceback" not in done.stderr


def test_the_readme_table_lists_every_code_the_cases_use():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    table = readme.split("## Exit codes", 1)[1].split("\n#", 1)[0]
    documented = {int(code) for code in re.findall(r"^\| (\d+)", table, re.M)}
    assert documented >= {0, 1, 2, 3, 4, 70, 130}


@pytest.mark.parametrize("command", ["serve", "mock-upstream"])
def test_a_server_in_use_port_exits_4(command):
    with _listening_socket() as sock:
        port = sock.getsockname()[1]
        args = ["serve", "--preset", "deepseek", "--port", port] if command == "serve" else \
            ["mock-upstream", "--port", port]
        done = cli(*args, timeout=60)
    assert done.returncode == 4, done.stderr
    assert done.stderr.startswith("error: cannot listen on 127.0.0.1:")


def test_serve_stopped_by_ctrl_c_exits_130_after_a_clean_stop(tmp_path):
    ready = tmp_path / "ready"
    process = subprocess.Popen(
        [sys.executable, "-m", "ccrgen", "serve", "--preset", "deepseek", "--mock-upstream", "--port", "0",
         "--ready-file", ready], env={**os.environ, **KEYS}, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
        text=True)
    deadline = time.monotonic() + 30
    while not ready.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert ready.exists(), process.stderr.read() if process.poll() is not None else "not ready in 30 s"
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 130, stderr
    assert "stopped" in stderr and "Traceback" not in stderr
