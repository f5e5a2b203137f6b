"""History, rollback, uninstall and hand-edit detection, as a user meets them: install for
real into a temp CCR folder, edit files by hand, and check what ccrgen says and restores."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from ccrgen.lifecycle import plan
from ccrgen.lifecycle.history import History, keep_setting

HICAP = "extends: hicap\n"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def ccr(tmp_path):
    return tmp_path / "ccr"


def install(cli, ccr_dir, spec_or_preset, *extra, env=None):
    where = ["--preset", spec_or_preset] if isinstance(spec_or_preset, str) else [spec_or_preset]
    return cli("build", *where, "--install", "--yes", "--ccr-dir", ccr_dir, *extra, env=env)


def history_json(cli, ccr_dir):
    result = cli("history", "--ccr-dir", ccr_dir, "--format", "json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_a_hand_edit_is_reported_shown_and_restored_by_rollback(cli, ccr):
    assert install(cli, ccr, "hicap").returncode == 0
    config = ccr / "config.json"
    edited = ("// my own notes\n" + config.read_text().replace('"LOG_LEVEL": "debug"', '"LOG_LEVEL": "warn"')).encode()
    config.write_bytes(edited)

    again = install(cli, ccr, "hicap")
    assert again.returncode == 0, again.stderr
    assert "config.json was edited outside ccrgen since" in again.stderr
    assert "ccrgen import" in again.stderr  # how to keep the edits
    assert "has comments" in again.stderr  # and that the comment is lost
    assert "~ LOG_LEVEL: warn -> debug" in again.stdout  # the change is shown even with --yes
    assert b"my own notes" not in config.read_bytes()

    entries = history_json(cli, ccr)
    assert [(e["id"], e["action"], e["source"]) for e in entries] == [(2, "install", "preset hicap"),
                                                                      (1, "install", "preset hicap")]
    text = cli("history", "--ccr-dir", ccr)
    assert text.returncode == 0 and "preset hicap" in text.stdout and "config.json (changed)" in text.stdout
    assert json.loads(cli("history", "--ccr-dir", ccr, "--json").stdout) == entries  # the alias

    back = cli("rollback", "--yes", "--ccr-dir", ccr)
    assert back.returncode == 0, back.stderr
    assert config.read_bytes() == edited  # byte for byte
    assert history_json(cli, ccr)[0]["action"] == "rollback"

    # a rollback is recorded, so it can be undone in turn
    undo = cli("rollback", "--yes", "--ccr-dir", ccr)
    assert undo.returncode == 0, undo.stderr
    assert b"my own notes" not in config.read_bytes()
    assert json.loads(config.read_text())["LOG_LEVEL"] == "debug"


def test_an_install_over_an_unedited_file_says_nothing_about_edits(cli, ccr):
    assert install(cli, ccr, "hicap").returncode == 0
    second = install(cli, ccr, "deepseek")
    assert second.returncode == 0, second.stderr
    assert "edited outside ccrgen" not in second.stderr
    assert "changes to" not in second.stdout  # with --yes and no hand edit, no diff


def test_entries_record_time_source_hash_and_files(cli, ccr, tmp_path):
    spec = tmp_path / "my.yaml"
    spec.write_text(HICAP)
    assert install(cli, ccr, spec).returncode == 0
    [entry] = history_json(cli, ccr)
    assert entry["source"] == f"spec {spec}"
    assert entry["time"].endswith("Z") and len(entry["hash"]) == 64
    assert {(f["name"], f["status"]) for f in entry["files"]} == {("config.json", "created"),
                                                                   ("hicap-transformer.js", "created")}
    assert install(cli, ccr, "deepseek").returncode == 0
    latest = history_json(cli, ccr)[0]
    assert latest["source"] == "preset deepseek"  # never the preset's file inside the package
    assert "site-packages" not in json.dumps(latest) and "presets/" not in latest["source"]
    # the same build again: nothing changed, nothing recorded
    assert install(cli, ccr, "deepseek").returncode == 0
    assert len(history_json(cli, ccr)) == 2


def test_history_folders_are_private(cli, ccr):
    assert install(cli, ccr, "hicap").returncode == 0
    (ccr / "config.json").write_text("{}\n")
    assert install(cli, ccr, "hicap").returncode == 0
    state = ccr / ".ccrgen"
    for path in state.rglob("*"):
        assert mode(path) == (0o700 if path.is_dir() else 0o600), path
    assert mode(state) == 0o700


def test_rollback_of_an_older_entry_undoes_it_and_everything_after(cli, ccr):
    original = b'{"LOG": true, "Providers": [], "Router": {}}\n'
    ccr.mkdir()
    (ccr / "config.json").write_bytes(original)
    first = install(cli, ccr, "hicap")
    assert first.returncode == 0
    assert "was not written by ccrgen" in first.stderr
    after_hicap = (ccr / "config.json").read_bytes()
    assert install(cli, ccr, "deepseek").returncode == 0
    assert install(cli, ccr, "openrouter").returncode == 0

    to_two = cli("rollback", "2", "--yes", "--ccr-dir", ccr)
    assert to_two.returncode == 0, to_two.stderr
    assert (ccr / "config.json").read_bytes() == after_hicap
    assert (ccr / "hicap-transformer.js").exists()

    to_one = cli("rollback", "1", "--yes", "--ccr-dir", ccr)
    assert to_one.returncode == 0, to_one.stderr
    assert (ccr / "config.json").read_bytes() == original
    assert not (ccr / "hicap-transformer.js").exists()  # it was not there before ccrgen


def test_uninstall_puts_back_what_was_there_and_can_be_undone(cli, ccr):
    original = b"// hand-written\n{\"Providers\": [], \"Router\": {}}\n"
    ccr.mkdir()
    (ccr / "config.json").write_bytes(original)
    for preset in ("hicap", "deepseek", "hicap"):
        assert install(cli, ccr, preset).returncode == 0
    installed = {p.name: p.read_bytes() for p in ccr.iterdir() if p.is_file() and not p.name.endswith(".bak")}

    asked = cli("uninstall", "--ccr-dir", ccr, input="n\n")
    assert asked.returncode == 130 and (ccr / "hicap-transformer.js").exists()

    gone = cli("uninstall", "--yes", "--ccr-dir", ccr)
    assert gone.returncode == 0, gone.stderr
    assert (ccr / "config.json").read_bytes() == original
    assert not (ccr / "hicap-transformer.js").exists()
    assert history_json(cli, ccr)[0]["action"] == "uninstall"

    undo = cli("rollback", "--yes", "--ccr-dir", ccr)
    assert undo.returncode == 0, undo.stderr
    assert {p.name: p.read_bytes() for p in ccr.iterdir() if p.name in installed} == installed


def test_switching_presets_removes_the_old_transformer_unless_it_was_edited(cli, ccr):
    assert install(cli, ccr, "hicap").returncode == 0
    diff = cli("diff", "--preset", "deepseek", "--ccr-dir", ccr)
    assert "- file hicap-transformer.js" in diff.stdout
    assert install(cli, ccr, "deepseek").returncode == 0
    assert not (ccr / "hicap-transformer.js").exists()

    assert install(cli, ccr, "hicap").returncode == 0
    js = ccr / "hicap-transformer.js"
    js.write_text(js.read_text() + "// mine\n")
    kept = install(cli, ccr, "deepseek")
    assert kept.returncode == 0
    assert js.exists() and "edited outside ccrgen: left in place" in kept.stderr


def test_unknown_entry_and_empty_history_are_clear_errors(cli, ccr):
    none = cli("rollback", "--yes", "--ccr-dir", ccr)
    assert none.returncode == 1 and "no install history" in none.stderr and "Traceback" not in none.stderr
    assert cli("uninstall", "--yes", "--ccr-dir", ccr).returncode == 1
    assert install(cli, ccr, "hicap").returncode == 0
    wrong = cli("rollback", "7", "--yes", "--ccr-dir", ccr)
    assert wrong.returncode == 1 and "no history entry '7'" in wrong.stderr and "entries kept: 1" in wrong.stderr
    empty = cli("history", "--ccr-dir", ccr.parent / "nothing")
    assert empty.returncode == 0 and "no install history" in empty.stdout


def test_how_many_entries_are_kept_is_a_setting(cli, ccr, tmp_path, monkeypatch):
    assert keep_setting({}) >= 10
    assert keep_setting({"CCRGEN_HISTORY_KEEP": "3"}) == 3
    bad = install(cli, ccr, "hicap", env={"CCRGEN_HISTORY_KEEP": "lots"})
    assert bad.returncode == 1 and "CCRGEN_HISTORY_KEEP" in bad.stderr and not ccr.exists()

    # many installs in-process (the same code the command runs), to check the pruning quickly
    from ccrgen.spec import loader

    monkeypatch.setenv("CCRGEN_HISTORY_KEEP", "4")
    spec = tmp_path / "s.yaml"
    for port in range(3000, 3007):
        spec.write_text(f"extends: hicap\nserver: {{port: {port}}}\n")
        loaded = loader.load(spec, ccr_dir=ccr)
        plan.apply(plan.for_build(loaded, ccr, source=plan.source_of(spec, None, loaded)))
    ids = [e.id for e in History(ccr).entries()]
    assert ids == [4, 5, 6, 7]
    assert len(list((ccr / ".ccrgen" / "history").iterdir())) == 4
    # CCR's own backups keep working beside them: the newest 3
    assert len(list(ccr.glob("config.json.*.bak"))) == 3
    # uninstall still knows what was there before the first install (nothing)
    plan.apply(plan.for_uninstall(ccr))
    assert not (ccr / "config.json").exists() and not (ccr / "hicap-transformer.js").exists()
    assert os.listdir(ccr / ".ccrgen" / "history")
