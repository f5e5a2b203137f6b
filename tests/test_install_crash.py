"""`kill -9` during `ccrgen build --install`, at random points: after the next ccrgen run the
CCR folder always holds a complete old set or a complete new set (config.json and its
transformer from the same build), no temporary file, no empty backup, and a history whose
newest entry is what is installed.

CCRGEN_TEST_SLOW_INSTALL makes every install step sleep a little, so that random kill times
land between the steps: before the journal, among the backups and temporaries, around the
commit point and among the renames. CCRGEN_CRASH_KILLS sets the number of kills (default 30).
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ccrgen.lifecycle.history import History
from ccrgen.lifecycle.install import JOURNAL_NAME, TEMP_PREFIX

KILLS = int(os.environ.get("CCRGEN_CRASH_KILLS", "30"))
STEP_DELAY = 0.02
SPEC_A = "extends: hicap\n"
SPEC_B = ("extends: hicap\nserver: {port: 3999}\n"
          "providers:\n  hicap:\n    auth: {header: x-api-key, prefix: '', transformer: hicap}\n")
SET = ("config.json", "hicap-transformer.js")


def install_args(spec: Path, ccr_dir: Path) -> list[str]:
    return [sys.executable, "-m", "ccrgen", "build", str(spec), "--install", "--yes", "--ccr-dir", str(ccr_dir)]


def installed_set(ccr_dir: Path) -> tuple[bytes | None, ...]:
    return tuple((ccr_dir / name).read_bytes() if (ccr_dir / name).exists() else None for name in SET)


def env(**extra) -> dict:
    out = {**os.environ, **extra}
    out.pop("CCRGEN_DEBUG", None)
    return out


def start_and_kill(spec: Path, ccr_dir: Path, rng: random.Random) -> str:
    """Start an install and SIGKILL it: a third of the time at a random moment from the start,
    else at a random moment after its journal appears. Returns where it was killed."""
    proc = subprocess.Popen(install_args(spec, ccr_dir), env=env(CCRGEN_TEST_SLOW_INSTALL=str(STEP_DELAY)),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        if rng.random() < 1 / 3:
            time.sleep(rng.uniform(0, 1.0))
            where = "from the start"
        else:
            deadline = time.monotonic() + 60
            while not (ccr_dir / JOURNAL_NAME).exists() and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.001)
            time.sleep(rng.uniform(0, 10 * STEP_DELAY))
            where = "during the install"
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=60)
    return where if proc.returncode == -signal.SIGKILL else "after it had finished"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.mark.slow
def test_kill_9_during_install_leaves_the_old_or_the_new_set(tmp_path):
    ccr_dir = tmp_path / "ccr"
    specs = {"A": tmp_path / "a.yaml", "B": tmp_path / "b.yaml"}
    specs["A"].write_text(SPEC_A)
    specs["B"].write_text(SPEC_B)
    complete = {}
    for name in ("A", "B"):  # the two complete sets, as real installs write them
        result = subprocess.run(install_args(specs[name], ccr_dir), env=env(), capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        complete[name] = installed_set(ccr_dir)
    assert complete["A"][0] != complete["B"][0] and complete["A"][1] != complete["B"][1]

    rng = random.Random(int(os.environ.get("CCRGEN_CRASH_SEED", "15")))
    seen = {"A": 0, "B": 0}
    where_counts: dict[str, int] = {}
    for attempt in range(KILLS):
        before = next(k for k, v in complete.items() if v == installed_set(ccr_dir))
        other = "A" if before == "B" else "B"
        where = start_and_kill(specs[other], ccr_dir, rng)
        where_counts[where] = where_counts.get(where, 0) + 1

        # the next ccrgen run that touches the folder repairs it
        nxt = subprocess.run([sys.executable, "-m", "ccrgen", "history", "--ccr-dir", str(ccr_dir)],
                             env=env(), capture_output=True, text=True, timeout=60)
        assert nxt.returncode == 0, nxt.stderr
        now = installed_set(ccr_dir)
        state = next((k for k, v in complete.items() if v == now), None)
        assert state is not None, f"kill {attempt} ({where}): a mixed or incomplete set"
        seen[state] += 1
        left = [p.name for p in ccr_dir.rglob("*") if p.name.startswith(TEMP_PREFIX) or p.name == JOURNAL_NAME]
        assert left == [], f"kill {attempt} ({where}): left behind {left}"
        empty = [p.name for p in ccr_dir.glob("*.bak") if p.stat().st_size == 0]
        assert empty == [], f"kill {attempt} ({where}): empty backups {empty}"
        # the history names exactly what is installed: an entry exists only for a real install
        last = History(ccr_dir).last_installed()
        assert {name: last[name][0] for name in SET} == {name: sha(data) for name, data in zip(SET, now)}
        entries = History(ccr_dir).entries()
        assert all(json.loads((e.folder / "entry.json").read_text())["id"] == e.id for e in entries)
    # the kills really landed on both sides of the commit point
    assert seen["A"] and seen["B"], seen
    assert where_counts.get("during the install", 0) >= KILLS // 3, where_counts


class Crash(BaseException):
    """Stands for the process dying: nothing in ccrgen catches it."""


def test_a_crash_at_every_step_boundary_is_repaired(tmp_path, monkeypatch):
    """Deterministic companion of the kill test: die at each step of a three-file install in
    turn (the journal, each backup, each temporary, the commit point, each rename), then let
    the next locked run recover: old set or new set, never a mix, nothing left behind."""
    from ccrgen.lifecycle import install

    old = {"config.json": ("old config\n", install.PRIVATE), "a.js": ("old a\n", install.PUBLIC),
           "b.js": ("old b\n", install.PUBLIC)}
    new = {"config.json": ("new config\n", install.PRIVATE), "a.js": ("new a\n", install.PUBLIC),
           "c.js": ("new c\n", install.PUBLIC)}

    def state(folder):
        return {p.name: p.read_text() for p in folder.iterdir() if p.is_file()
                and not p.name.endswith(".bak") and p.name != install.LOCK_NAME}

    outcomes = []
    for crash_at in range(1, 30):
        folder = tmp_path / f"run{crash_at}"
        install.write_files(folder, old)
        calls = {"n": 0}

        def pause():
            calls["n"] += 1
            if calls["n"] == crash_at:
                raise Crash()
        monkeypatch.setattr(install, "_pause", pause)
        try:
            install.write_files(folder, new, remove=["b.js"])
            finished = True
        except Crash:
            finished = False
        monkeypatch.undo()
        if finished:
            break
        with install.locked(folder):
            pass
        now = state(folder)
        expected_old = {k: v for k, (v, _m) in old.items()}
        expected_new = {k: v for k, (v, _m) in new.items()}
        assert now in (expected_old, expected_new), (crash_at, now)
        assert not list(folder.glob(install.TEMP_PREFIX + "*")) and not (folder / install.JOURNAL_NAME).exists()
        assert all(b.stat().st_size > 0 for b in folder.glob("*.bak"))
        outcomes.append("new" if now == expected_new else "old")
    assert "old" in outcomes and "new" in outcomes and len(outcomes) >= 8, outcomes


def test_a_crash_inside_any_file_write_leaves_no_empty_or_cut_off_backup(tmp_path, monkeypatch):
    """Die half-way through each write of an install in turn (journal, backups, temporaries):
    the kill test once caught an empty `config.json.<time>.bak` left by a kill between creating
    the backup and writing it. Backups must appear whole or not at all."""
    import os as real_os

    from ccrgen.lifecycle import install

    old = {"config.json": ("old config " * 50 + "\n", install.PRIVATE),
           "a.js": ("old a " * 50 + "\n", install.PUBLIC)}
    new = {"config.json": ("new config\n", install.PRIVATE), "a.js": ("new a\n", install.PUBLIC)}
    real_write, real_unlink = real_os.write, install._unlink
    crashed_in = set()
    for crash_at in range(1, 12):
        folder = tmp_path / f"run{crash_at}"
        install.write_files(folder, old)
        calls = {"n": 0, "dead": False}

        def write(fd, data):
            calls["n"] += 1
            if calls["n"] == crash_at:
                crashed_in.add(real_os.readlink(f"/proc/self/fd/{fd}").rsplit("/", 1)[-1])
                real_write(fd, bytes(data[: len(data) // 2]))
                calls["dead"] = True  # a killed process runs no clean-up
                raise Crash()
            return real_write(fd, data)

        def unlink(path):
            if not calls["dead"]:
                real_unlink(path)
        monkeypatch.setattr(install.os, "write", write)
        monkeypatch.setattr(install, "_unlink", unlink)
        try:
            install.write_files(folder, new)
            finished = True
        except Crash:
            finished = False
        monkeypatch.undo()
        if finished:
            break
        with install.locked(folder):
            pass
        backups = list(folder.glob("*.bak"))
        for b in backups:
            original = old["config.json" if b.name.startswith("config.json") else "a.js"][0]
            assert b.read_text() == original, (crash_at, b.name)
        assert not list(folder.glob(install.TEMP_PREFIX + "*")), crash_at
    # the crashes really landed inside backup writes, not only in the journal or temporaries
    assert any(".bak" in name for name in crashed_in), crashed_in
