"""Write files safely: all or nothing, with backups, and private where they hold keys.

Every file is first written to a temporary file in the target folder and fsynced; only when
all of them are written are they renamed into place (rename is atomic on one filesystem).
The file a write replaces is first copied to `<name>.<ISO time, ':' and '.' as '-'>.bak`,
CCR's own naming, and only the newest three backups of each file are kept, as CCR does.
If any step fails, the files already replaced are restored and the temporaries removed.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from ccrgen.ccr.facts import BACKUPS_KEPT
from ccrgen.errors import WriteError

PRIVATE = 0o600
PUBLIC = 0o644


@dataclass
class WriteResult:
    path: Path
    status: str              # "created", "changed" or "unchanged"
    backup: Path | None = None


def backup_name(path: Path, when: datetime) -> Path:
    stamp = when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"
    return path.with_name(f"{path.name}.{stamp.replace(':', '-').replace('.', '-')}.bak")


def write_files(folder: Path, files: dict[str, tuple[str, int]], *, dry_run: bool = False) -> list[WriteResult]:
    """Write `files` (name -> (text, mode)) into `folder` atomically as a set."""
    folder = Path(folder)
    plan: list[tuple[Path, bytes, int, str]] = []
    for name, (text, mode) in files.items():
        target = folder / name
        data = text.encode("utf-8")
        try:
            old = target.read_bytes() if target.exists() else None
        except OSError as exc:
            raise WriteError(f"cannot read {target}: {exc.strerror}") from None
        status = "created" if old is None else ("unchanged" if old == data else "changed")
        plan.append((target, data, mode, status))
    if dry_run:
        return [WriteResult(t, s) for t, _d, _m, s in plan]
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WriteError(f"cannot create {folder}: {exc.strerror}") from None

    temps: dict[Path, Path] = {}
    results: list[WriteResult] = []
    replaced: list[tuple[Path, Path | None]] = []  # (target, backup or None when created)
    now = datetime.now(timezone.utc)
    try:
        for target, data, mode, status in plan:
            if status == "unchanged":
                _ensure_mode(target, mode)
                continue
            temps[target] = _write_temp(folder, target.name, data, mode)
        for target, data, mode, status in plan:
            if status == "unchanged":
                results.append(WriteResult(target, status))
                continue
            backup = None
            if status == "changed":
                backup = backup_name(target, now)
                while backup.exists():  # two installs within one millisecond
                    now = now.replace(microsecond=(now.microsecond + 1000) % 1_000_000)
                    backup = backup_name(target, now)
                _copy(target, backup)
            os.replace(temps[target], target)
            del temps[target]
            replaced.append((target, backup))
            results.append(WriteResult(target, status, backup))
        _fsync_dir(folder)
    except OSError as exc:
        for tmp in temps.values():
            _unlink(tmp)
        for target, backup in reversed(replaced):
            try:
                if backup is None:
                    _unlink(target)
                else:
                    os.replace(_write_temp(folder, target.name, backup.read_bytes(), PRIVATE), target)
            except OSError:
                pass
        raise WriteError(
            f"could not write {getattr(exc, 'filename', None) or folder}: {exc.strerror or exc}",
            hint="the previous files are unchanged",
        ) from None
    for target, backup in replaced:
        if backup is not None:
            prune_backups(target)
    return results


def _write_temp(folder: Path, name: str, data: bytes, mode: int) -> Path:
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        _unlink(Path(tmp))
        raise
    return Path(tmp)


def _copy(src: Path, dst: Path) -> None:
    data = src.read_bytes()
    fd = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


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


def backups_of(target: Path) -> list[Path]:
    """Backups of `target`, oldest first (the timestamp sorts as text)."""
    prefix = target.name + "."
    return sorted(p for p in target.parent.glob(f"{target.name}.*.bak") if p.name.startswith(prefix))


def prune_backups(target: Path, keep: int = BACKUPS_KEPT) -> None:
    for old in backups_of(target)[:-keep]:
        _unlink(old)
