"""CCR 3.1.1's config.sqlite, read and written with the stdlib sqlite3 (CCR stopped), and
backed up with SQLite's backup API (safe on a live WAL database, which a file copy is not).

Layout (3.1.1, dist/main/cli.js): the whole config is one JSON row of `app_config`
(key 'default'); client keys are rows of `api_keys`, stored in plaintext ('plain').
CCR creates its other tables with CREATE TABLE IF NOT EXISTS when it opens the file, so a
database ccrgen creates holds just these two, with CCR's own definitions.
"""

from __future__ import annotations

import json
import os
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

from ccrgen.errors import InputError, WriteError

DB_NAME = "config.sqlite"
CONFIG_ROW = "default"
BACKUP_DIR = Path(".ccrgen") / "ccr3-backups"
BACKUPS_KEPT = 10
PRIVATE_FILE, PRIVATE_DIR = 0o600, 0o700
SCHEMA = """
CREATE TABLE IF NOT EXISTS app_config (
  key TEXT PRIMARY KEY,
  value_json TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS api_keys (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL DEFAULT '',
  encrypted_key TEXT NOT NULL,
  encryption TEXT NOT NULL DEFAULT 'plain',
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL DEFAULT '',
  limits_json TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS api_keys_created_at_idx ON api_keys(created_at);
"""


def now_iso() -> str:
    now = datetime.now(timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def db_path(ccr_dir: Path) -> Path:
    return Path(ccr_dir) / DB_NAME


def _connect(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(str(path), timeout=10, isolation_level=None)


def read(path: Path) -> tuple[dict | None, list[dict]]:
    """(the stored config or None, the client keys as {id, name, key, createdAt})."""
    if not Path(path).exists():
        return None, []
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    except sqlite3.Error as exc:
        raise InputError(f"{path}: cannot open: {exc}") from None
    try:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        config = None
        if "app_config" in tables:
            row = db.execute("SELECT value_json FROM app_config WHERE key = ?", (CONFIG_ROW,)).fetchone()
            if row is not None:
                config = json.loads(row[0])
        keys = []
        if "api_keys" in tables:
            for key_id, name, key, encryption, created in db.execute(
                    "SELECT id, name, encrypted_key, encryption, created_at FROM api_keys ORDER BY created_at, id"):
                keys.append({"id": key_id, "name": name, "key": key if encryption == "plain" else None,
                             "createdAt": created})
    except (sqlite3.Error, ValueError) as exc:
        raise InputError(f"{path}: not a CCR 3.x config database ({exc})") from None
    finally:
        db.close()
    return (config if isinstance(config, dict) else None), keys


def write(path: Path, config: dict, keys: list[dict] | None) -> None:
    """Store `config` as the 'default' row and, unless None, replace the client keys: one
    transaction, so CCR (stopped) finds the old config or the new one, never half of each."""
    path = Path(path)
    try:
        path.parent.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
        os.chmod(path.parent, PRIVATE_DIR)   # as CCR 3.x does each time it opens the database
        created = not path.exists()
        db = _connect(path)
    except (OSError, sqlite3.Error) as exc:
        raise WriteError(f"cannot open {path}: {exc}") from None
    try:
        if created:
            os.chmod(path, PRIVATE_FILE)
        db.executescript(SCHEMA)
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO app_config (key, value_json, updated_at) VALUES (?, ?, ?) "
                   "ON CONFLICT(key) DO UPDATE SET value_json = excluded.value_json, updated_at = excluded.updated_at",
                   (CONFIG_ROW, json.dumps(config, ensure_ascii=False), now_iso()))
        if keys is not None:
            db.execute("DELETE FROM api_keys")
            for key in keys:
                db.execute("INSERT INTO api_keys (id, name, encrypted_key, encryption, created_at) "
                           "VALUES (?, ?, ?, 'plain', ?)",
                           (key["id"], key.get("name", ""), key["key"], key.get("createdAt") or now_iso()))
        db.execute("COMMIT")
    except (OSError, sqlite3.Error) as exc:
        try:
            db.execute("ROLLBACK")
        except sqlite3.Error:
            pass
        raise WriteError(f"could not write {path}: {exc}", hint="the stored config is unchanged") from None
    finally:
        db.close()


def backup(ccr_dir: Path) -> Path | None:
    """A consistent copy of config.sqlite in <ccr dir>/.ccrgen/ccr3-backups/ (newest kept);
    None when there is no database yet."""
    source = db_path(ccr_dir)
    if not source.exists():
        return None
    folder = Path(ccr_dir) / BACKUP_DIR
    stamp = now_iso().replace(":", "-").replace(".", "-")
    target = folder / f"config.sqlite.{stamp}.bak"
    n = 1
    while target.exists():
        n += 1
        target = folder / f"config.sqlite.{stamp}-{n}.bak"
    partial = target.with_name(target.name + ".partial")
    try:
        folder.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
        os.chmod(folder, PRIVATE_DIR)
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
        os.close(fd)
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=10)
        dst = sqlite3.connect(str(partial))
        try:
            src.backup(dst)
        finally:
            dst.close()
            src.close()
        os.replace(partial, target)
    except (OSError, sqlite3.Error) as exc:
        try:
            partial.unlink()
        except OSError:
            pass
        raise WriteError(f"could not back up {source}: {exc}", hint="nothing was changed") from None
    for old in backups(ccr_dir)[:-BACKUPS_KEPT]:
        try:
            old.unlink()
        except OSError:
            pass
    return target


def backups(ccr_dir: Path) -> list[Path]:
    """ccrgen's backups of config.sqlite, oldest first."""
    folder = Path(ccr_dir) / BACKUP_DIR
    if not folder.is_dir():
        return []
    return sorted(folder.glob("config.sqlite.*.bak"))
