"""The install history of one CCR folder: what every install, rollback and uninstall wrote,
and the files it replaced, so that any of them can be undone.

Layout (private: the files hold config with key references, sometimes keys):
  <ccr dir>/.ccrgen/history/<id>/entry.json   time, action, source, content hash, files
  <ccr dir>/.ccrgen/history/<id>/before/NAME  a file as it was before the entry replaced it
  <ccr dir>/.ccrgen/origin/present/NAME       a file as it was before ccrgen first touched it
  <ccr dir>/.ccrgen/origin/absent/NAME        (empty) NAME did not exist before ccrgen
  <ccr dir>/.ccrgen/origin/mode/NAME          the mode NAME had then, in octal (`0644`)
An entry records each replaced file's mode too (`before_mode`), so rollback and uninstall put
back the modes the files had; entries and origins from before ccrgen recorded modes have none,
and the file then gets ccrgen's default (0600 for config.json, 0644 otherwise).
The newest CCRGEN_HISTORY_KEEP entries (default 10) are kept; the origin is never pruned,
so `uninstall` can always put back what was there before ccrgen.
An entry is written before its install's commit point (see install.py) and removed again if
the install is rolled back, so the history never names an install that did not happen.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from ccrgen.errors import InputError, SpecError, WriteError
from ccrgen.lifecycle.install import write_private

STATE_DIR = ".ccrgen"
KEEP_ENV = "CCRGEN_HISTORY_KEEP"
DEFAULT_KEEP = 10
PRIVATE_DIR = 0o700


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def set_hash(files: dict[str, bytes]) -> str:
    """One hash for a set of files (names and contents)."""
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode("utf-8") + b"\0" + sha256(files[name]).encode("ascii") + b"\n")
    return digest.hexdigest()


def keep_setting(environ=os.environ) -> int:
    raw = environ.get(KEEP_ENV, "").strip()
    if not raw:
        return DEFAULT_KEEP
    try:
        keep = int(raw)
    except ValueError:
        keep = 0
    if keep < 1:
        raise SpecError(f"{KEEP_ENV}={raw!r}: expected a whole number of entries, at least 1",
                        hint=f"unset it to keep the default {DEFAULT_KEEP}")
    return keep


@dataclass
class FileRecord:
    name: str
    status: str                 # created, changed, removed, unchanged
    before: str | None          # sha256 of what was there (None: nothing)
    after: str | None           # sha256 of what the entry left (None: removed)
    before_mode: int | None = None  # the permission bits of what was there (None: not recorded)

    def as_dict(self) -> dict:
        out = {"name": self.name, "status": self.status, "before": self.before, "after": self.after}
        if self.before_mode is not None:
            out["before_mode"] = f"{self.before_mode:04o}"
        return out


@dataclass
class Entry:
    id: int
    time: str                   # ISO 8601, UTC
    action: str                 # install, rollback, uninstall
    source: str                 # "spec /abs/ccrgen.yaml", "preset hicap", "rollback of 3"
    hash: str                   # set_hash of the files the entry left in place
    files: list[FileRecord] = field(default_factory=list)
    folder: Path | None = None

    def as_dict(self) -> dict:
        return {"id": self.id, "time": self.time, "action": self.action, "source": self.source,
                "hash": self.hash, "files": [f.as_dict() for f in self.files]}

    def before_mode(self, name: str) -> int | None:
        """The mode the file had before this entry, when the entry recorded it."""
        record = next((f for f in self.files if f.name == name), None)
        return record.before_mode if record is not None else None

    def before(self, name: str) -> bytes | None:
        """The file as it was before this entry (None: it did not exist)."""
        record = next((f for f in self.files if f.name == name), None)
        if record is None or record.before is None:
            return None
        try:
            return (self.folder / "before" / name).read_bytes()
        except OSError as exc:
            raise InputError(f"history entry {self.id} lost its copy of {name}: {exc.strerror}",
                             hint="`ccrgen history` lists the entries that are complete") from None

    @property
    def touched(self) -> list[FileRecord]:
        return [f for f in self.files if f.status != "unchanged"]


class History:
    def __init__(self, ccr_dir: Path):
        self.state = Path(ccr_dir) / STATE_DIR
        self.root = self.state / "history"
        self.origin_dir = self.state / "origin"

    # --- reading ---------------------------------------------------------------------------
    def entries(self) -> list[Entry]:
        """Every complete entry, oldest first."""
        if not self.root.is_dir():
            return []
        try:
            folders = list(self.root.iterdir())
        except OSError as exc:
            raise InputError(f"cannot read the install history {self.root}: {exc.strerror}") from None
        found = []
        for folder in folders:
            if not folder.name.isdigit():
                continue
            try:
                record = json.loads((folder / "entry.json").read_text(encoding="utf-8"))
                files = [FileRecord(f["name"], f["status"], f["before"], f["after"], _mode(f.get("before_mode")))
                         for f in record["files"]]
                found.append(Entry(int(record["id"]), record["time"], record["action"], record["source"],
                                   record["hash"], files, folder))
            except (OSError, ValueError, KeyError, TypeError):
                continue  # half-pruned or foreign: not an entry
        return sorted(found, key=lambda e: e.id)

    def find(self, ref: str | None) -> Entry:
        entries = self.entries()
        if not entries:
            raise SpecError(f"no install history in {self.root.parent.parent}",
                            hint="ccrgen records one with every `ccrgen build --install`")
        if ref is None:
            return entries[-1]
        wanted = ref.lstrip("#")
        for entry in entries:
            if str(entry.id) == wanted:
                return entry
        ids = ", ".join(str(e.id) for e in entries)
        raise SpecError(f"no history entry {ref!r} in {self.root.parent.parent}", hint=f"the entries kept: {ids}")

    def last_installed(self) -> dict[str, tuple[str | None, Entry]]:
        """name -> (sha256 ccrgen last left there, None if it removed it; the entry)."""
        out: dict[str, tuple[str | None, Entry]] = {}
        for entry in self.entries():
            for record in entry.files:
                out[record.name] = (record.after, entry)
        return out

    def origin_modes(self) -> dict[str, int]:
        """name -> the mode the file had before ccrgen first touched it, where recorded."""
        folder = self.origin_dir / "mode"
        out: dict[str, int] = {}
        try:
            names = [p for p in folder.iterdir() if p.is_file()] if folder.is_dir() else []
            for p in names:
                mode = _mode(p.read_text(encoding="ascii", errors="replace").strip())
                if mode is not None:
                    out[p.name] = mode
        except OSError as exc:
            raise InputError(f"cannot read {folder}: {exc.strerror}") from None
        return out

    def origin(self) -> dict[str, bytes | None]:
        """name -> the file before ccrgen first touched it (None: it did not exist)."""
        out: dict[str, bytes | None] = {}
        present, absent = self.origin_dir / "present", self.origin_dir / "absent"
        try:
            if absent.is_dir():
                out.update({p.name: None for p in absent.iterdir()})
            if present.is_dir():
                out.update({p.name: p.read_bytes() for p in present.iterdir() if p.is_file()})
        except OSError as exc:
            raise InputError(f"cannot read {self.origin_dir}: {exc.strerror}") from None
        return out

    # --- writing (under the install lock) --------------------------------------------------
    def reserve(self) -> Path:
        """The folder the next entry will be written to (not created yet)."""
        entries = self.entries()
        taken = [int(p.name) for p in self.root.iterdir() if p.name.isdigit()] if self.root.is_dir() else []
        next_id = max([e.id for e in entries] + taken + [0]) + 1
        return self.root / f"{next_id:04d}"

    def without_origin(self, names) -> list[str]:
        """The names whose state before ccrgen is not recorded yet."""
        known = self.origin()
        return [name for name in names if name not in known]

    def record(self, folder: Path, *, action: str, source: str, results, olds: dict[str, bytes | None],
               news: dict[str, bytes | None], origin_names=(), modes: dict[str, int] | None = None) -> Entry:
        """Write the entry for `results` (install.WriteResult list) into `folder`, fsynced.
        `modes`: the permission bits of the files `olds` holds."""
        modes = modes or {}
        try:
            self._private_dirs(folder / "before")
            records = []
            for r in results:
                name = r.path.name
                old, new = olds.get(name), news.get(name)
                records.append(FileRecord(name, r.status, sha256(old) if old is not None else None,
                                          sha256(new) if new is not None else None,
                                          modes.get(name) if old is not None else None))
                if old is not None and r.status != "unchanged":
                    write_private(folder / "before" / name, old)
            for name in origin_names:
                self._record_origin(name, olds.get(name), modes.get(name))
            entry = Entry(int(folder.name), _now(), action, source,
                          set_hash({k: v for k, v in news.items() if v is not None}), records, folder)
            write_private(folder / "entry.json", (json.dumps(entry.as_dict(), indent=2) + "\n").encode("utf-8"))
        except OSError as exc:
            raise WriteError(f"could not record the install in {self.root}: {exc.strerror or exc}",
                             hint="nothing was changed") from None
        return entry

    def _record_origin(self, name: str, old: bytes | None, mode: int | None = None) -> None:
        if old is None:
            self._private_dirs(self.origin_dir / "absent")
            write_private(self.origin_dir / "absent" / name, b"")
        else:
            self._private_dirs(self.origin_dir / "present")
            write_private(self.origin_dir / "present" / name, old)
            if mode is not None:
                self._private_dirs(self.origin_dir / "mode")
                path = self.origin_dir / "mode" / name
                if path.is_file():  # left by an install that did not happen
                    path.unlink()
                write_private(path, f"{mode:04o}\n".encode("ascii"))

    def origin_undo_paths(self, names) -> list[Path]:
        """Where `record` may write origins for `names` (removed if the install rolls back)."""
        return [self.origin_dir / kind / name for name in names for kind in ("present", "absent", "mode")]

    def clear_origin(self) -> None:
        """Forget the origin (after an uninstall): renamed away first, so it goes at once."""
        if not self.origin_dir.is_dir():
            return
        gone = self.state / f"origin-removed-{os.getpid()}"
        os.replace(self.origin_dir, gone)
        shutil.rmtree(gone, ignore_errors=True)

    def prune(self, keep: int) -> None:
        """Keep the newest `keep` entries; remove the rest and anything half-written."""
        if not self.root.is_dir():
            return
        complete = {e.folder for e in self.entries()}
        newest = {e.folder for e in self.entries()[-keep:]}
        for folder in self.root.iterdir():
            if folder in newest:
                continue
            if folder in complete:
                (folder / "entry.json").unlink()  # first, so a crash leaves no half entry
            shutil.rmtree(folder, ignore_errors=True)

    def _private_dirs(self, folder: Path) -> None:
        for part in [self.state, self.root, self.origin_dir, *reversed(folder.parents), folder]:
            if part == self.state or self.state in part.parents:
                part.mkdir(mode=PRIVATE_DIR, exist_ok=True)
                os.chmod(part, PRIVATE_DIR)


def _mode(text) -> int | None:
    """Permission bits from their octal text (`0644`); None when missing or not such a text."""
    if not isinstance(text, str):
        return None
    try:
        mode = int(text, 8)
    except ValueError:
        return None
    return mode if 0 <= mode <= 0o777 else None


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
