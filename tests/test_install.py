"""Writing and installing: atomic, with CCR's own backup naming (newest 3 kept), private
config.json, a clear account of what changed, and nothing half-written on failure."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import pytest

from ccrgen.lifecycle import install
from ccrgen.errors import WriteError
from ccrgen.lifecycle.install import PRIVATE, PUBLIC, backup_name, backups_of, write_files

# CCR 2.0.0: `${CONFIG_FILE}.${new Date().toISOString().replace(/[:.]/g, '-')}.bak`
CCR_BACKUP = re.compile(r"^config\.json\.\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z\.bak$")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def files_in(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


# --- write_files ------------------------------------------------------------------------

def test_created_unchanged_changed(tmp_path):
    files = {"config.json": ("{}\n", PRIVATE), "t.js": ("// js\n", PUBLIC)}
    first = write_files(tmp_path, files)
    assert [(r.path.name, r.status, r.backup) for r in first] == [
        ("config.json", "created", None), ("t.js", "created", None)]
    second = write_files(tmp_path, files)
    assert [r.status for r in second] == ["unchanged", "unchanged"]
    assert backups_of(tmp_path / "config.json") == []
    third = write_files(tmp_path, {**files, "config.json": ('{"a": 1}\n', PRIVATE)})
    assert [r.status for r in third] == ["changed", "unchanged"]
    assert third[0].backup is not None and third[0].backup.read_text() == "{}\n"
    assert (tmp_path / "config.json").read_text() == '{"a": 1}\n'


def test_backups_use_ccrs_naming(tmp_path):
    write_files(tmp_path, {"config.json": ("1\n", PRIVATE)})
    [result] = write_files(tmp_path, {"config.json": ("2\n", PRIVATE)})
    assert CCR_BACKUP.match(result.backup.name), result.backup.name
    assert result.backup.parent == tmp_path
    assert mode(result.backup) == PRIVATE  # a backup holds the same keys


def test_backup_name_matches_javascripts_toisostring(node_bin):
    when = datetime(2026, 1, 26, 9, 5, 7, 123456, tzinfo=timezone.utc)
    js = subprocess.run(
        [node_bin, "-e", "console.log(new Date(Date.UTC(2026, 0, 26, 9, 5, 7, 123)).toISOString().replace(/[:.]/g, '-'))"],
        capture_output=True, text=True, check=True)
    assert backup_name(Path("/x/config.json"), when) == Path(f"/x/config.json.{js.stdout.strip()}.bak")


def test_only_the_newest_three_backups_are_kept(tmp_path):
    target = tmp_path / "config.json"
    for version in range(6):
        write_files(tmp_path, {"config.json": (f"{version}\n", PRIVATE)})
    backups = backups_of(target)
    assert len(backups) == 3
    # the three versions replaced last, oldest first
    assert [b.read_text() for b in backups] == ["2\n", "3\n", "4\n"]
    assert target.read_text() == "5\n"
    assert all(CCR_BACKUP.match(b.name) for b in backups)


def test_backups_of_other_files_are_left_alone(tmp_path):
    other = tmp_path / "config.json.2020-01-01T00-00-00-000Z.bak.keep"
    other.write_text("mine")
    unrelated = tmp_path / "hicap-transformer.js.2020-01-01T00-00-00-000Z.bak"
    unrelated.write_text("js")
    for version in range(5):
        write_files(tmp_path, {"config.json": (f"{version}\n", PRIVATE)})
    assert other.exists() and unrelated.exists()


def test_config_is_private_and_js_public(tmp_path):
    write_files(tmp_path, {"config.json": ("{}\n", PRIVATE), "t.js": ("x\n", PUBLIC)})
    assert mode(tmp_path / "config.json") == 0o600
    assert mode(tmp_path / "t.js") == 0o644


def test_an_unchanged_file_with_loose_permissions_is_made_private(tmp_path):
    target = tmp_path / "config.json"
    target.write_text("{}\n")
    os.chmod(target, 0o644)
    [result] = write_files(tmp_path, {"config.json": ("{}\n", PRIVATE)})
    assert result.status == "unchanged"
    assert mode(target) == 0o600


def test_a_changed_file_is_private_even_if_the_old_one_was_not(tmp_path):
    target = tmp_path / "config.json"
    target.write_text("old\n")
    os.chmod(target, 0o666)
    write_files(tmp_path, {"config.json": ("new\n", PRIVATE)})
    assert mode(target) == 0o600


def test_dry_run_writes_nothing(tmp_path):
    folder = tmp_path / "not-yet"
    results = write_files(folder, {"config.json": ("{}\n", PRIVATE)}, dry_run=True)
    assert [r.status for r in results] == ["created"]
    assert not folder.exists()


def test_no_temporary_files_are_left_behind(tmp_path):
    for version in range(3):
        write_files(tmp_path, {"config.json": (f"{version}\n", PRIVATE), "t.js": (f"{version}\n", PUBLIC)})
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def _fail_on_nth_replace(monkeypatch, n: int):
    real = os.replace
    calls = {"n": 0}

    def flaky(src, dst):
        if Path(dst).name == install.JOURNAL_NAME or Path(dst).name.endswith(".bak"):
            # count the renames that put files into place, not the journal's or the backups'
            return real(src, dst)
        calls["n"] += 1
        if calls["n"] == n:
            raise OSError(28, "No space left on device", str(dst))
        return real(src, dst)

    monkeypatch.setattr(install.os, "replace", flaky)


def test_a_failure_midway_leaves_the_old_files_intact(tmp_path, monkeypatch):
    old = {"config.json": ("old config\n", PRIVATE), "a.js": ("old a\n", PUBLIC), "b.js": ("old b\n", PUBLIC)}
    write_files(tmp_path, old)
    before = files_in(tmp_path)
    _fail_on_nth_replace(monkeypatch, 2)  # config.json is replaced, then a.js fails
    with pytest.raises(WriteError) as info:
        write_files(tmp_path, {name: ("new " + text, m) for name, (text, m) in old.items()})
    assert "No space left on device" in info.value.message
    assert "previous files are unchanged" in info.value.problems[0].hint
    after = {name: data for name, data in files_in(tmp_path).items() if not name.endswith(".bak")}
    assert after == before
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_a_failure_midway_removes_files_it_had_created(tmp_path, monkeypatch):
    write_files(tmp_path, {"config.json": ("old\n", PRIVATE)})
    _fail_on_nth_replace(monkeypatch, 2)
    with pytest.raises(WriteError):
        write_files(tmp_path, {"new.js": ("x\n", PUBLIC), "config.json": ("new\n", PRIVATE)})
    assert not (tmp_path / "new.js").exists()
    assert (tmp_path / "config.json").read_text() == "old\n"


def test_a_failure_while_writing_temporaries_touches_nothing(tmp_path, monkeypatch):
    write_files(tmp_path, {"config.json": ("old\n", PRIVATE), "t.js": ("old\n", PUBLIC)})
    before = files_in(tmp_path)
    real_write = install._write_new

    def disk_full_on_the_second_file(path, data, mode):
        if path.name.startswith(install.TEMP_PREFIX) and path.name.endswith("-t.js"):
            raise OSError(28, "No space left on device", str(path))
        return real_write(path, data, mode)

    monkeypatch.setattr(install, "_write_new", disk_full_on_the_second_file)
    with pytest.raises(WriteError):
        write_files(tmp_path, {"config.json": ("new\n", PRIVATE), "t.js": ("new\n", PUBLIC)})
    after = {name: data for name, data in files_in(tmp_path).items() if not name.endswith(".bak")}
    assert after == before


# --- the CLI: build --install -----------------------------------------------------------

def install_cli(cli, home: Path, *args):
    return cli("build", *args, "--install", "--yes", env={"HOME": str(home)})


def test_install_writes_into_home_and_reminds_to_restart(tmp_path, cli):
    home = tmp_path / "home"
    result = install_cli(cli, home, "--preset", "hicap")
    assert result.returncode == 0, result.stderr
    ccr_dir = home / ".claude-code-router"
    config = json.loads((ccr_dir / "config.json").read_text())
    assert config["transformers"] == [{"path": str(ccr_dir / "hicap-transformer.js")}]
    assert mode(ccr_dir / "config.json") == 0o600
    assert re.search(rf"created\s+{re.escape(str(ccr_dir / 'config.json'))}", result.stdout)
    assert re.search(rf"created\s+{re.escape(str(ccr_dir / 'hicap-transformer.js'))}", result.stdout)
    assert "ccr restart" in result.stdout


def test_reinstall_reports_unchanged_and_changed_with_the_backup(tmp_path, cli):
    home = tmp_path / "home"
    spec = tmp_path / "spec.yaml"
    spec.write_text("extends: hicap\n", encoding="utf-8")
    assert install_cli(cli, home, spec).returncode == 0

    again = install_cli(cli, home, spec)
    assert again.returncode == 0
    assert [line.split()[0] for line in again.stdout.splitlines() if line.startswith("  ")] == ["unchanged"] * 2
    assert "ccr restart" not in again.stdout  # nothing changed, nothing to restart

    spec.write_text("extends: hicap\nserver: {port: 3999}\n", encoding="utf-8")
    changed = install_cli(cli, home, spec)
    assert changed.returncode == 0
    line = next(line for line in changed.stdout.splitlines() if "config.json" in line)
    assert line.split()[0] == "changed"
    backup = re.search(r"\(backup: (\S+)\)", line).group(1)
    assert CCR_BACKUP.match(backup)
    ccr_dir = home / ".claude-code-router"
    assert json.loads((ccr_dir / backup).read_text())["PORT"] == 3456
    assert json.loads((ccr_dir / "config.json").read_text())["PORT"] == 3999
    assert "ccr restart" in changed.stdout


def test_ccr_dir_overrides_home(tmp_path, cli):
    home, target = tmp_path / "home", tmp_path / "elsewhere"
    result = install_cli(cli, home, "--preset", "hicap", "--ccr-dir", target)
    assert result.returncode == 0, result.stderr
    assert (target / "config.json").is_file()
    assert not (home / ".claude-code-router").exists()
    assert json.loads((target / "config.json").read_text())["transformers"][0]["path"] == str(
        target / "hicap-transformer.js")


def test_dry_run_prints_the_files_and_writes_nothing(tmp_path, cli):
    home = tmp_path / "home"
    spec = tmp_path / "spec.yaml"
    secret = "sk-plain-secret-value-1234567890"
    spec.write_text(f"extends: hicap\nproviders:\n  hicap:\n    api_key: {secret}\n", encoding="utf-8")
    result = cli("build", spec, "--install", "--dry-run", env={"HOME": str(home)})
    assert not home.exists() or not any(home.rglob("*"))
    ccr_dir = home / ".claude-code-router"
    assert f"would write {ccr_dir / 'config.json'} (created)" in result.stderr  # notes: stderr
    assert f"would write {ccr_dir / 'hicap-transformer.js'} (created)" in result.stderr
    assert '"api-key"' in result.stdout  # the transformer text is shown
    assert secret not in result.stdout + result.stderr  # but never a key


def test_dry_run_of_an_existing_install_says_what_would_change(tmp_path, cli):
    home = tmp_path / "home"
    assert install_cli(cli, home, "--preset", "hicap").returncode == 0
    before = files_in(home / ".claude-code-router")
    result = cli("build", "--preset", "deepseek", "--install", "--dry-run", env={"HOME": str(home)})
    assert result.returncode == 0, result.stderr
    assert "config.json (changed)" in result.stderr
    assert files_in(home / ".claude-code-router") == before


def test_a_refused_build_does_not_touch_the_installed_files(tmp_path, cli):
    home = tmp_path / "home"
    assert install_cli(cli, home, "--preset", "hicap").returncode == 0
    before = files_in(home / ".claude-code-router")
    spec = tmp_path / "bad.yaml"
    spec.write_text("extends: hicap\nroutes:\n  default: hicap,no-such-model\n", encoding="utf-8")
    result = install_cli(cli, home, spec)
    assert result.returncode == 1
    assert "unknown model 'hicap,no-such-model'" in result.stderr
    assert files_in(home / ".claude-code-router") == before


# --- all or nothing, with a lock, through symlinks, never an empty backup ------------------

def test_a_symlinked_config_is_written_through_and_the_link_kept(tmp_path, cli):
    ccr_dir, dotfiles = tmp_path / "ccr", tmp_path / "dotfiles"
    ccr_dir.mkdir()
    dotfiles.mkdir()
    real = dotfiles / "config.json"
    real.write_text('{"Providers": [], "Router": {}}\n')
    (ccr_dir / "config.json").symlink_to(real)
    result = cli("build", "--preset", "hicap", "--install", "--yes", "--ccr-dir", ccr_dir)
    assert result.returncode == 0, result.stderr
    assert (ccr_dir / "config.json").is_symlink() and os.readlink(ccr_dir / "config.json") == str(real)
    assert json.loads(real.read_text())["Router"]["default"] == "hicap,claude-sonnet-4.5"
    assert f"config.json is a symlink: wrote through to {real}" in result.stdout
    assert mode(real) == 0o600
    assert [b.read_text() for b in backups_of(ccr_dir / "config.json")] == ['{"Providers": [], "Router": {}}\n']
    assert not [p for p in dotfiles.iterdir() if p.name != "config.json"]  # no temporaries left there


def _limit_file_size(limit: int):
    import resource

    def apply():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


def test_a_backup_that_cannot_be_written_refuses_the_install(tmp_path):
    """Disk full, for real: the install process may not write files bigger than 4 KB, and the
    installed config.json is 20 KB. The backup fails, so nothing is replaced (exit 3)."""
    import sys

    ccr_dir = tmp_path / "ccr"
    ccr_dir.mkdir()
    big = '{"Providers": [], "Router": {}, "notes": "' + "x" * 20000 + '"}\n'
    (ccr_dir / "config.json").write_text(big)
    before = files_in(ccr_dir)
    result = subprocess.run([sys.executable, "-m", "ccrgen", "build", "--preset", "hicap", "--install", "--yes",
                             "--ccr-dir", str(ccr_dir)], capture_output=True, text=True,
                            preexec_fn=_limit_file_size(4096), timeout=120)
    assert result.returncode == 3, result.stderr
    assert "could not back up" in result.stderr and "nothing was changed" in result.stderr
    assert "Traceback" not in result.stderr
    after = {n: d for n, d in files_in(ccr_dir).items() if n != install.LOCK_NAME}
    assert after == before  # no backup (empty or partial), no temporary, the config intact
    assert not (ccr_dir / ".ccrgen" / "history").exists() or not any((ccr_dir / ".ccrgen" / "history").iterdir())


def test_an_empty_backup_never_counts_as_the_newest(tmp_path):
    target = tmp_path / "config.json"
    write_files(tmp_path, {"config.json": ("1\n", PRIVATE)})
    write_files(tmp_path, {"config.json": ("2\n", PRIVATE)})
    empty = tmp_path / "config.json.2099-01-01T00-00-00-000Z.bak"  # what a full disk once left
    empty.write_bytes(b"")
    assert [b.read_text() for b in backups_of(target)] == ["1\n"]
    # an empty file is never backed up either
    target.write_bytes(b"")
    [result] = write_files(tmp_path, {"config.json": ("3\n", PRIVATE)})
    assert result.backup is None
    assert all(b.stat().st_size > 0 for b in backups_of(target))


def test_a_second_install_waits_for_the_lock_then_fails_clearly(tmp_path, cli):
    import fcntl

    ccr_dir = tmp_path / "ccr"
    ccr_dir.mkdir()
    with open(ccr_dir / install.LOCK_NAME, "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        result = cli("build", "--preset", "hicap", "--install", "--yes", "--ccr-dir", ccr_dir)
    assert result.returncode == 3
    assert "another ccrgen is installing into" in result.stderr and "nothing was changed" in result.stderr
    assert not (ccr_dir / "config.json").exists()


def test_concurrent_installs_both_land_one_after_the_other(tmp_path):
    import sys

    from ccrgen.lifecycle.history import History

    ccr_dir = tmp_path / "ccr"
    specs = []
    for port in (3001, 3002):
        spec = tmp_path / f"s{port}.yaml"
        spec.write_text(f"extends: hicap\nserver: {{port: {port}}}\n")
        specs.append(spec)
    env = {**os.environ, install.SLOW_ENV: "0.05"}
    procs = [subprocess.Popen([sys.executable, "-m", "ccrgen", "build", str(s), "--install", "--yes",
                               "--ccr-dir", str(ccr_dir)], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for s in specs]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [o[1] for o in outs]
    entries = History(ccr_dir).entries()
    assert [e.id for e in entries] == [1, 2]
    assert json.loads((ccr_dir / "config.json").read_text())["PORT"] in (3001, 3002)
    assert len(backups_of(ccr_dir / "config.json")) == 1  # the second replaced the first, once


def test_only_ccrgens_own_stray_temporaries_are_removed(tmp_path, cli):
    ccr_dir = tmp_path / "ccr"
    assert cli("build", "--preset", "hicap", "--install", "--yes", "--ccr-dir", ccr_dir).returncode == 0
    ours = ccr_dir / f"{install.TEMP_PREFIX}1a2b3c4d-config.json"
    ours.write_text("half")
    theirs = ccr_dir / ".config.json.tmp"  # not ccrgen's name: left alone
    theirs.write_text("someone else's")
    result = cli("diff", "--preset", "hicap", "--ccr-dir", ccr_dir)
    assert result.returncode == 0, result.stderr
    assert not ours.exists() and theirs.exists()
