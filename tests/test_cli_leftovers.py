"""What was left of issue 13 and the install lifecycle, through the real CLI in a temp HOME:
`migrate --format json`, `-` for stdin and stdout where it was missing (`diff --against -`,
`migrate -`, `preset export -o -`), `rollback --target ccr3` without a backup, the file modes
`uninstall` and `rollback` put back, and an older ccrgen's temporary files.

Nothing here runs CCR 3.x: `migrate` writes config.sqlite as it does while CCR 3 is stopped."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from conftest import run_cli

KEYS = {"HICAP_API_KEY": "hk-leftovers-0123456789", "DEEPSEEK_API_KEY": "sk-leftovers-0123456789"}


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def home(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    return home


def cli(home, *args, **kwargs):
    return run_cli(*args, env={**KEYS, "HOME": str(home), "NO_COLOR": "1", "FORCE_COLOR": ""}, **kwargs)


@pytest.fixture
def installed_2x(home):
    """~/.claude-code-router/config.json as ccrgen installs it for CCR 2.0.0 (hicap)."""
    done = cli(home, "build", "--preset", "hicap", "--install", "--yes", "--target", "ccr2")
    assert done.returncode == 0, done.stderr
    return home / ".claude-code-router"


# --- 1. migrate --format json ------------------------------------------------------------

def test_migrate_json_reports_what_moved_and_where_it_was_written(home, installed_2x):
    from ccrgen.targets import ccr3_store

    done = cli(home, "migrate", "--format", "json", "--yes")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)   # the whole of stdout is the document
    assert report["status"] == "installed" and report["dry_run"] is False
    assert report["source"] == str(installed_2x / "config.json")
    assert report["imported"]["providers"] == ["hicap"]
    moved = {m["from"]: m["to"] for m in report["moved"]}
    assert moved["Router.think"] == "Router.rules 'think (2.0.0 Router.think)'"
    assert moved["transformers[0]"] == "Providers[hicap].extraHeaders (header auth)"
    assert any("LOG_LEVEL" in line for line in report["not_carried_over"])
    assert report["written_to"]["how"] == "sqlite"
    assert report["written_to"]["path"] == str(installed_2x / "config.sqlite")
    assert report["backup"] is None                      # there was no config.sqlite to back up
    assert report["changes"] and all({"op", "path", "old", "new"} <= set(c) for c in report["changes"])
    assert KEYS["HICAP_API_KEY"] not in done.stdout      # the diff masks the stored key
    assert any(w["path"] == "routes.long_context" for w in report["warnings"])
    assert any("is ignored by CCR 3.x" in n for n in report["notes"])
    # notes and warnings also went to stderr, as in text mode
    assert "warning: routes.long_context" in done.stderr

    config, _keys = ccr3_store.read(installed_2x / "config.sqlite")
    stored = [r["name"] for r in config["Router"]["rules"]]
    assert stored == [r["name"] for r in report["imported"]["rules"]]

    again = json.loads(cli(home, "migrate", "--json", "--yes").stdout)   # the alias
    assert again["status"] == "up to date" and again["changes"] == [] and again["written_to"] is None

    # a changed 2.x config: the previous 3.x config is backed up first, and the report says where
    path = installed_2x / "config.json"
    path.write_text(path.read_text().replace('"think": "hicap,claude-sonnet-4.5"', '"think": "hicap,gpt-5.2"'))
    third = json.loads(cli(home, "migrate", "--json", "--yes").stdout)
    assert third["status"] == "installed" and third["backup"] and Path(third["backup"]).is_file()
    assert any(c["path"].startswith("rule think") for c in third["changes"])


def test_migrate_text_and_json_say_the_same(home, installed_2x):
    text = cli(home, "migrate", "--dry-run")
    as_json = cli(home, "migrate", "--dry-run", "--format", "json")
    assert text.returncode == as_json.returncode == 0, as_json.stderr
    report = json.loads(as_json.stdout)
    assert report["status"] == "dry run" and report["written_to"] is None
    lines = text.stdout.splitlines()
    assert lines[0] == f"migrating {report['source']} (CCR 2.x) to CCR 3.x in {report['ccr_dir']}:"
    for m in report["moved"]:
        assert f"  {m['from']:<28} -> {m['to']}" in lines
    for line in report["not_carried_over"]:
        assert f"  {line}" in lines
    assert lines[-1] == "dry run: nothing was written"
    assert f"changes to the CCR 3.x config in {report['ccr_dir']}:" in lines
    assert not (installed_2x / "config.sqlite").exists()


def test_migrate_json_asks_on_stderr_and_prints_nothing_when_answered_no(home, installed_2x):
    done = cli(home, "migrate", "--format", "json", input="n\n")
    assert done.returncode == 130
    assert done.stdout == ""
    assert "apply these changes?" in done.stderr and "changes to the CCR 3.x config" in done.stderr
    assert not (installed_2x / "config.sqlite").exists()


def test_migrate_reads_the_config_from_stdin(home, installed_2x):
    text = (installed_2x / "config.json").read_text()
    done = cli(home, "migrate", "-", "--dry-run", "--json", input=text)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["source"] == "-" and report["imported"]["providers"] == ["hicap"]
    bad = cli(home, "migrate", "-", "--dry-run", input='{"Providers": [')
    assert bad.returncode == 2 and bad.stderr.startswith("error: -:") and "Traceback" not in bad.stderr


# --- 2. diff --against - ---------------------------------------------------------------

def test_diff_against_stdin(home, installed_2x):
    text = (installed_2x / "config.json").read_text()
    same = cli(home, "diff", "--preset", "hicap", "--against", "-", input=text)
    assert (same.returncode, same.stdout) == (0, "no changes\n"), same.stderr
    changed = text.replace('"LOG_LEVEL": "debug"', '"LOG_LEVEL": "warn"')
    differs = cli(home, "diff", "--preset", "hicap", "--against", "-", input=changed)
    assert differs.returncode == 1 and "~ LOG_LEVEL: warn -> debug" in differs.stdout
    as_json = cli(home, "diff", "--preset", "hicap", "--against", "-", "--json", input=changed)
    assert as_json.returncode == 1
    assert {"op": "~", "path": "LOG_LEVEL", "old": "warn", "new": "debug"} in json.loads(as_json.stdout)
    # installed config.json was not what it compared with
    assert (installed_2x / "config.json").read_text() == text


def test_diff_against_stdin_errors_name_stdin(home, installed_2x):
    bad = cli(home, "diff", "--preset", "hicap", "--against", "-", input='{"Providers": [')
    assert bad.returncode == 2 and bad.stderr.startswith("error: -:1:16: not valid JSON5")
    twice = cli(home, "diff", "-", "--against", "-", input="{}")
    assert twice.returncode == 2 and "stdin can be read only once" in twice.stderr
    ccr3 = cli(home, "diff", "--preset", "hicap", "--against", "-", "--target", "ccr3", input="{}")
    assert ccr3.returncode == 2 and "does not go with --target ccr3" in ccr3.stderr
    for done in (bad, twice, ccr3):
        assert "Traceback" not in done.stderr


# --- 3. `-` for stdout where one file is written ---------------------------------------

def test_preset_export_out_dash_prints_the_manifest(home, tmp_path):
    printed = cli(home, "preset", "export", "deepseek", "-o", "-", cwd=tmp_path)
    assert printed.returncode == 0, printed.stderr
    written = cli(home, "preset", "export", "deepseek", "-o", tmp_path / "folder")
    assert written.returncode == 0, written.stderr
    assert printed.stdout == (tmp_path / "folder" / "manifest.json").read_text()
    assert json.loads(printed.stdout)["name"] == "deepseek"
    assert not (tmp_path / "-").exists() and not (home / ".claude-code-router").exists()
    as_json = cli(home, "preset", "export", "deepseek", "-o", "-", "--json", cwd=tmp_path)
    assert json.loads(as_json.stdout) == json.loads(printed.stdout)


def test_preset_export_out_dash_refuses_a_preset_with_transformer_files(home, tmp_path):
    done = cli(home, "preset", "export", "hicap", "-o", "-", cwd=tmp_path)
    assert done.returncode == 2 and done.stdout == ""
    assert "hicap-transformer.js" in done.stderr and "-o FOLDER" in done.stderr
    assert not (tmp_path / "-").exists()


def test_every_file_option_of_the_commands_takes_dash():
    """Each click option or argument that names a file to read or the one file to write takes
    `-` (folders, and files that are not the command's input or output, excepted)."""
    import click

    from ccrgen.cli import cli as main

    exempt = {("build", "out_dir"),          # a folder; `-` handled by build itself
              ("lint", "files"),             # lint reads `-` itself (and folders)
              ("serve", "ready_file"), ("mock-upstream", "ready_file"),   # a signal for scripts
              }
    missing, seen = [], set()

    def walk(command, name):
        if isinstance(command, click.Group):
            ctx = click.Context(command)
            for sub_name in command.list_commands(ctx):
                walk(command.get_command(ctx, sub_name), f"{name} {sub_name}".strip())
            return
        for param in command.params:
            kind = param.type
            if not isinstance(kind, click.Path) or not kind.file_okay:
                continue
            if (name.split(" ")[-1], param.name) in exempt or (name, param.name) in exempt:
                continue
            seen.add(f"{name} {param.name}")
            if not kind.allow_dash:
                missing.append(f"{name} {param.name}")

    walk(main, "")
    assert missing == []
    assert seen >= {"diff against", "migrate config", "import config", "route request"}


# --- 4. rollback --target ccr3 without a backup ------------------------------------------

def test_rollback_ccr3_without_a_backup_says_so_before_asking(home):
    done = cli(home, "rollback", "--target", "ccr3", input="y\n")
    assert done.returncode == 1
    assert "no CCR 3 backup to roll back to" in done.stderr
    assert "put back" not in done.stderr + done.stdout      # nothing was asked
    assert "Traceback" not in done.stderr
    named = cli(home, "rollback", "--target", "ccr3", str(home / "nope.bak"), input="y\n")
    assert named.returncode == 2 and "no such CCR 3 backup file" in named.stderr
    assert "put back" not in named.stderr + named.stdout


def test_rollback_ccr3_asks_with_the_backup_it_would_apply(home, installed_2x):
    from ccrgen.targets import ccr3_store

    assert cli(home, "migrate", "--yes").returncode == 0
    path = installed_2x / "config.json"
    path.write_text(path.read_text().replace('"think": "hicap,claude-sonnet-4.5"', '"think": "hicap,gpt-5.2"'))
    assert cli(home, "migrate", "--yes").returncode == 0
    backup = ccr3_store.backups(installed_2x)[-1]
    no = cli(home, "rollback", "--target", "ccr3", input="n\n")
    assert no.returncode == 130 and backup.name in no.stderr
    yes = cli(home, "rollback", "--target", "ccr3", "--yes")
    assert yes.returncode == 0, yes.stderr
    config, _keys = ccr3_store.read(installed_2x / "config.sqlite")
    think = next(r for r in config["Router"]["rules"] if r["id"] == "ccrgen-think")
    assert think["target"] == "hicap,claude-sonnet-4.5"


# --- 5. uninstall and rollback put back the modes the files had ----------------------------

@pytest.fixture
def own_files(home):
    """A CCR folder as a user had it before ccrgen: config.json 0640, the transformer 0755."""
    folder = home / ".claude-code-router"
    folder.mkdir()
    config, transformer = folder / "config.json", folder / "hicap-transformer.js"
    config.write_text('{"Providers": [], "Router": {}}\n')
    transformer.write_text("module.exports = class { constructor() { this.name = 'mine'; } };\n")
    os.chmod(config, 0o640)
    os.chmod(transformer, 0o755)
    return folder


def test_uninstall_puts_back_the_original_modes(home, own_files):
    config, transformer = own_files / "config.json", own_files / "hicap-transformer.js"
    before = (config.read_bytes(), transformer.read_bytes())
    assert cli(home, "build", "--preset", "hicap", "--install", "--yes").returncode == 0
    assert (mode(config), mode(transformer)) == (0o600, 0o644)
    entry = json.loads(cli(home, "history", "--json").stdout)[0]
    assert {f["name"]: f.get("before_mode") for f in entry["files"]} == {"config.json": "0640",
                                                                         "hicap-transformer.js": "0755"}
    done = cli(home, "uninstall", "--yes")
    assert done.returncode == 0, done.stderr
    assert (config.read_bytes(), transformer.read_bytes()) == before
    assert (mode(config), mode(transformer)) == (0o640, 0o755)


def test_rollback_puts_back_the_modes_before_the_entry(home, own_files):
    config = own_files / "config.json"
    assert cli(home, "build", "--preset", "hicap", "--install", "--yes").returncode == 0
    done = cli(home, "rollback", "--yes")
    assert done.returncode == 0, done.stderr
    assert mode(config) == 0o640 and mode(own_files / "hicap-transformer.js") == 0o755


def test_history_without_modes_falls_back_to_the_defaults(home, own_files):
    """Entries and origins written before modes were recorded: 0600 / 0644, as before."""
    import shutil

    assert cli(home, "build", "--preset", "hicap", "--install", "--yes").returncode == 0
    state = own_files / ".ccrgen"
    shutil.rmtree(state / "origin" / "mode")
    for entry_json in (state / "history").glob("*/entry.json"):
        record = json.loads(entry_json.read_text())
        for f in record["files"]:
            f.pop("before_mode", None)
        entry_json.write_text(json.dumps(record))
    done = cli(home, "uninstall", "--yes")
    assert done.returncode == 0, done.stderr
    assert mode(own_files / "config.json") == 0o600 and mode(own_files / "hicap-transformer.js") == 0o644


# --- 6. an older ccrgen's temporary files ----------------------------------------------------

def test_old_style_temp_files_are_cleaned_like_current_ones(home, installed_2x):
    old = [installed_2x / ".config.json.k3j_9x2a.tmp", installed_2x / ".hicap-transformer.js.0abc_def.tmp"]
    current = installed_2x / ".ccrgen-tmp-0123abcd-config.json"
    kept = [installed_2x / ".config.json.tmp", installed_2x / ".notes.k3j_9x2a.tmp",
            installed_2x / ".config.json.TOOLONGXYZ.tmp"]
    for path in [*old, current, *kept]:
        path.write_text('{"half": ')
    done = cli(home, "history")
    assert done.returncode == 0, done.stderr
    assert "removed 3 temporary files an interrupted ccrgen left" in done.stderr
    assert not any(p.exists() for p in [*old, current])
    assert all(p.exists() for p in kept)


# --- a question when stdin held the input ---------------------------------------------------


def test_an_install_read_from_stdin_does_not_take_its_answer_from_the_end_of_the_input(home, installed_2x):
    config = home / ".claude-code-router" / "config.json"
    before = config.read_bytes()
    spec = "extends: hicap\nroutes:\n  think: hicap,gpt-5.2\n"
    asked = cli(home, "build", "-", "--install", "--target", "ccr2", input=spec)
    assert asked.returncode == 2, asked.stderr
    assert "Router.think: hicap,claude-sonnet-4.5 -> hicap,gpt-5.2" in asked.stdout + asked.stderr
    assert "cannot ask 'write these changes?': the input was read from stdin" in asked.stderr
    assert "--yes" in asked.stderr and config.read_bytes() == before
    done = cli(home, "build", "-", "--install", "--yes", "--target", "ccr2", input=spec)
    assert done.returncode == 0, done.stderr
    assert '"think": "hicap,gpt-5.2"' in config.read_text()
