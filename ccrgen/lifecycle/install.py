"""Write a set of files safely: all or nothing, with backups, and private where they hold keys.

How a set is written (`write_files`):
1. a journal `.ccrgen-install.json` naming every step is written (atomically) into the folder;
2. every replaced file is copied to CCR's own backup name `<name>.<ISO time>.bak` (the copy is
   written to a temporary name, fsynced, size-checked and renamed, so no backup is ever empty
   or cut off; a backup that cannot be written refuses the install);
3. every new file is written to a temporary `.ccrgen-tmp-*` file beside its target and fsynced;
4. the journal is marked `committing` (the commit point), then the temporaries are renamed into
   place and files to remove are removed; then the journal is deleted.
A crash before the commit point leaves the old set (the next `recover` deletes the
temporaries); a crash after it is finished by the next `recover`, which renames the temporaries
that are left. Either way the folder holds a complete old set or a complete new set.

`locked(folder)` holds an exclusive lock on `<folder>/.ccrgen.lock` (a second install waits
briefly, then fails with exit 3) and runs `recover` first. A symlinked target is written
through to the file it points to (the link is kept).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable

from ccrgen.ccr.facts import BACKUPS_KEPT
from ccrgen.errors import WriteError

PRIVATE = 0o600
PUBLIC = 0o644
JOURNAL_NAME = ".ccrgen-install.json"
LOCK_NAME = ".ccrgen.lock"
TEMP_PREFIX = ".ccrgen-tmp-"
# What ccrgen before the journal left after a crash: tempfile.mkstemp(prefix=".NAME.", suffix=".tmp")
# beside config.json or a transformer file, 8 random characters from mkstemp's alphabet.
OLD_TEMP = re.compile(r"\.(config\.json|[^/]+\.js)\.[a-z0-9_]{8}\.tmp")
LOCK_WAIT_SECONDS = 5.0
SLOW_ENV = "CCRGEN_TEST_SLOW_INSTALL"   # tests only: seconds to sleep between steps


@dataclass
class WriteResult:
    path: Path                   # the file in the folder (the link, when it is a symlink)
    status: str                  # "created", "changed", "unchanged" or "removed"
    backup: Path | None = None
    through: Path | None = None  # the file a symlinked `path` points to, written through


@dataclass
class _Step:
    path: Path                   # as named in the folder
    dest: Path                   # where the bytes go (a symlink resolved)
    data: bytes | None           # None: remove
    mode: int
    old: bytes | None
    status: str
    temp: Path | None = None
    backup: Path | None = None


def backup_name(path: Path, when: datetime) -> Path:
    stamp = when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"
    return path.with_name(f"{path.name}.{stamp.replace(':', '-').replace('.', '-')}.bak")


def write_files(folder: Path, files: dict[str, tuple[str | bytes, int]], *, dry_run: bool = False,
                remove: Iterable[str] = (), before_commit: Callable[[list[WriteResult]], None] | None = None,
                undo_paths: Iterable[Path] = ()) -> list[WriteResult]:
    """Write `files` (name -> (text, mode)) into `folder` and remove `remove`, as one set.

    `before_commit(results)` runs after everything is staged and before the commit point
    (history uses it); `undo_paths` are what it creates, deleted if the set is rolled back."""
    folder = Path(folder)
    steps = _plan(folder, files, remove)
    if dry_run:
        return [_result(s) for s in steps]
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WriteError(f"cannot create {folder}: {exc.strerror}") from None
    for s in steps:
        if s.status == "unchanged":
            _ensure_mode(s.dest, s.mode)
    moving = [s for s in steps if s.status != "unchanged"]
    undo_paths = list(undo_paths)
    if not moving and before_commit is None:
        return [_result(s) for s in steps]
    for s in moving:
        if s.data is not None:
            s.temp = s.dest.parent / f"{TEMP_PREFIX}{secrets.token_hex(4)}-{s.dest.name}"
    # one rename is atomic by itself: a set of one needs no journal
    journal = folder / JOURNAL_NAME if len(moving) > 1 or before_commit or undo_paths else None
    try:
        _write_journal(journal, "staging", moving, undo_paths)
        _backup_all(moving)
        for s in moving:
            if s.temp is not None:
                _write_new(s.temp, s.data, s.mode)
                _pause()
        for parent in {s.dest.parent for s in moving}:
            _fsync_dir(parent)
        results = [_result(s) for s in steps]
        if before_commit is not None:
            before_commit(results)
        _write_journal(journal, "committing", moving, undo_paths)
    except (OSError, WriteError) as exc:
        _roll_back(moving, undo_paths, journal)
        if isinstance(exc, WriteError):
            raise
        raise _write_error(exc, folder) from None
    done: list[_Step] = []
    try:
        for s in moving:
            _move_into_place(s)
            done.append(s)
            _pause()
        for parent in {s.dest.parent for s in moving}:
            _fsync_dir(parent)
        if journal is not None:
            _unlink(journal)
            _fsync_dir(folder)
    except OSError as exc:
        _undo_moves(done, moving, undo_paths, journal)
        raise _write_error(exc, folder) from None
    for s in moving:
        if s.backup is not None:
            prune_backups(s.path)
    return results


def _plan(folder: Path, files, remove) -> list[_Step]:
    steps = []
    for name, (content, mode) in files.items():
        path = folder / name
        dest = _write_target(path)
        old = _read(dest)
        data = content.encode("utf-8") if isinstance(content, str) else content
        status = "created" if old is None else ("unchanged" if old == data else "changed")
        steps.append(_Step(path, dest, data, mode, old, status))
    for name in remove:
        path = folder / name
        dest = _write_target(path)
        old = _read(dest)
        if old is not None:
            steps.append(_Step(path, dest, None, 0, old, "removed"))
    return steps


def _write_target(path: Path) -> Path:
    """The file whose bytes change: a symlink's target (kept as a link), else the path itself."""
    if not path.is_symlink():
        return path
    target = Path(os.path.realpath(path))
    if not target.parent.is_dir():
        raise WriteError(f"{path} is a symlink to {target}, whose folder does not exist",
                         hint="fix or remove the link; nothing was written")
    if target.exists() and not target.is_file():
        raise WriteError(f"{path} is a symlink to {target}, which is not a regular file")
    return target


def _read(path: Path) -> bytes | None:
    if path.exists() and not path.is_file():  # a FIFO would block the read, /dev/zero never end it
        raise WriteError(f"cannot write {path}: it is there and not a regular file (a folder, a FIFO or a device)",
                         hint="name a regular file, or remove what is there; nothing was written")
    try:
        return path.read_bytes() if path.exists() else None
    except OSError as exc:
        raise WriteError(f"cannot read {path}: {exc.strerror}") from None


def _result(s: _Step) -> WriteResult:
    through = s.dest if s.dest != s.path else None
    return WriteResult(s.path, s.status, s.backup, through)


def _backup_all(steps: list[_Step]) -> None:
    now = datetime.now(timezone.utc)
    for s in steps:
        if not s.old:  # created, or an empty file: nothing worth a backup
            continue
        backup = backup_name(s.path, now)
        while backup.exists():  # two installs within one millisecond
            now = now.replace(microsecond=(now.microsecond + 1000) % 1_000_000)
            backup = backup_name(s.path, now)
        # written under a temporary name and renamed: a kill -9 leaves a stray temp file
        # (removed by `recover`), never an empty or cut-off `.bak`
        temp = backup.with_name(f"{TEMP_PREFIX}{secrets.token_hex(4)}-{backup.name}")
        try:
            _write_new(temp, s.old, PRIVATE)  # a backup holds the same keys
            if temp.stat().st_size != len(s.old):
                raise OSError(28, "the backup is shorter than the file", str(backup))
            os.replace(temp, backup)  # no clobber: we hold the lock and checked the name is free
        except OSError as exc:
            _unlink(temp)
            raise WriteError(f"could not back up {s.path} to {backup.name}: {exc.strerror or exc}",
                             hint="free some space (or fix the folder's permissions); nothing was changed") from None
        s.backup = backup
        _pause()


def _move_into_place(s: _Step) -> None:
    if s.data is None:
        _unlink_strict(s.dest)
    else:
        os.replace(s.temp, s.dest)


def _roll_back(steps: list[_Step], undo_paths: list[Path], journal: Path) -> None:
    """Before the commit point: nothing in place changed; remove what was staged."""
    for s in steps:
        if s.temp is not None:
            _unlink(s.temp)
    for path in undo_paths:
        _remove_tree(path)
    if journal is not None:
        _unlink(journal)


def _undo_moves(done: list[_Step], steps: list[_Step], undo_paths: list[Path], journal: Path) -> None:
    """A rename failed after the commit point (in this process): put the old files back."""
    try:
        for s in reversed(done):
            if s.old is None:
                _unlink(s.dest)
            else:
                tmp = s.dest.parent / f"{TEMP_PREFIX}{secrets.token_hex(4)}-{s.dest.name}"
                _write_new(tmp, s.old, PRIVATE if s.data is None else s.mode)
                os.replace(tmp, s.dest)
    except OSError:
        return  # the journal stays: the next run finishes the install instead
    _roll_back(steps, undo_paths, journal)


def _write_error(exc: OSError, folder: Path) -> WriteError:
    return WriteError(f"could not write {getattr(exc, 'filename', None) or folder}: {exc.strerror or exc}",
                      hint="the previous files are unchanged")


# --- the journal and recovery -------------------------------------------------------------

def _write_journal(journal: Path | None, state: str, steps: list[_Step], undo_paths: list[Path]) -> None:
    if journal is None:
        return
    record = {
        "version": 1, "state": state,
        "steps": [{"dest": str(s.dest), "temp": str(s.temp) if s.temp else None,
                   "remove": s.data is None} for s in steps],
        "undo": [str(p) for p in undo_paths],
    }
    tmp = journal.with_name(f"{TEMP_PREFIX}{secrets.token_hex(4)}-journal")
    _write_new(tmp, json.dumps(record, indent=1).encode("utf-8"), PRIVATE)
    try:
        os.replace(tmp, journal)
    except OSError:
        _unlink(tmp)
        raise
    _fsync_dir(journal.parent)
    _pause()


def recover(folder: Path) -> list[str]:
    """Finish (after the commit point) or roll back (before it) an install that was
    interrupted, and delete ccrgen's stray temporary files. Returns what was done, as notes.
    Call it holding the lock (`locked` does)."""
    folder = Path(folder)
    notes = []
    journal = folder / JOURNAL_NAME
    if journal.exists():
        try:
            record = json.loads(journal.read_text(encoding="utf-8"))
            steps = record["steps"]
            state = record["state"]
        except (OSError, ValueError, KeyError, TypeError):
            record, steps, state = {}, [], "staging"
        if state == "committing":
            for step in steps:
                dest, temp = Path(step["dest"]), step.get("temp")
                if step.get("remove"):
                    _unlink(dest)
                elif temp and Path(temp).exists():
                    os.replace(temp, dest)
            for parent in {Path(step["dest"]).parent for step in steps}:
                _fsync_dir(parent)
            notes.append(f"finished an install into {folder} that was interrupted")
        else:
            for step in steps:
                if step.get("temp"):
                    _unlink(Path(step["temp"]))
            for path in record.get("undo", []):
                _remove_tree(Path(path))
            notes.append(f"rolled back an install into {folder} that was interrupted; "
                         "the files are as they were before it")
        _unlink(journal)
        _fsync_dir(folder)
    strays = [p for p in _temp_files(folder) if p.is_file() and not p.is_symlink()]
    for stray in strays:
        _unlink(stray)
    if strays and not notes:
        notes.append(f"removed {len(strays)} temporary file{'s' if len(strays) != 1 else ''} "
                     f"an interrupted ccrgen left in {folder}")
    return notes


def _temp_files(folder: Path) -> list[Path]:
    """ccrgen's temporary files in `folder`: today's `.ccrgen-tmp-*` and the older
    `.config.json.XXXXXXXX.tmp` kind (OLD_TEMP)."""
    try:
        return [p for p in Path(folder).glob(".*")
                if p.name.startswith(TEMP_PREFIX) or OLD_TEMP.fullmatch(p.name)]
    except OSError:
        return []


def needs_recovery(folder: Path) -> bool:
    folder = Path(folder)
    return (folder / JOURNAL_NAME).exists() or bool(_temp_files(folder))


@contextlib.contextmanager
def locked(folder: Path, *, wait: float = LOCK_WAIT_SECONDS):
    """Hold `<folder>/.ccrgen.lock` exclusively (after recovering an interrupted install);
    yields the recovery notes. Another holder: wait up to `wait` seconds, then exit 3."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(folder / LOCK_NAME, os.O_RDWR | os.O_CREAT, PRIVATE)
    except OSError as exc:
        raise WriteError(f"cannot lock {folder / LOCK_NAME}: {exc.strerror}") from None
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise WriteError(
                        f"another ccrgen is installing into {folder} (it holds {folder / LOCK_NAME})",
                        hint="wait for it to finish, then run this again; nothing was changed") from None
                time.sleep(0.05)
        try:
            notes = recover(folder)
        except OSError as exc:
            raise _write_error(exc, folder) from None
        yield notes
    finally:
        os.close(fd)


# --- small file helpers ---------------------------------------------------------------------

def _pause() -> None:
    try:
        delay = float(os.environ.get(SLOW_ENV) or 0)
    except ValueError:
        return
    if delay > 0:
        time.sleep(delay)


def _write_new(path: Path, data: bytes, mode: int) -> None:
    """Create `path` (it must not exist), write `data`, fsync. Removed again on failure."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        os.fchmod(fd, mode)
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        _unlink(path)
        raise
    os.close(fd)


def write_private(path: Path, data: bytes) -> None:
    """A new private file (history copies), fsynced."""
    _write_new(path, data, PRIVATE)


def _ensure_mode(path: Path, mode: int) -> None:
    try:
        if (path.stat().st_mode & 0o777) != mode:
            os.chmod(path, mode)
    except OSError:
        pass


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _unlink(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass


def _unlink_strict(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass


def _remove_tree(path: Path) -> None:
    import shutil

    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        _unlink(path)


def backups_of(target: Path) -> list[Path]:
    """Backups of `target`, oldest first (the timestamp sorts as text). An empty file named
    like a backup is not one: it never counts as the newest."""
    prefix = target.name + "."
    found = []
    for p in target.parent.glob(f"{target.name}.*.bak"):
        try:
            if p.name.startswith(prefix) and p.stat().st_size > 0:
                found.append(p)
        except OSError:
            continue
    return sorted(found)


def prune_backups(target: Path, keep: int = BACKUPS_KEPT) -> None:
    for old in backups_of(target)[:-keep]:
        _unlink(old)
