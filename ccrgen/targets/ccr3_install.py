"""Install a CCR 3.x build, read what is installed, and roll an install back.

- CCR 3.x running (service.json + management RPC answering for this folder): saveApiKeys,
  then getConfig -> merge -> saveConfig, which 3.x applies at once (it restarts its gateway);
  read back with getConfig to confirm.
- CCR 3.x stopped: the merged config is written into config.sqlite directly, in one
  transaction. No config.json is ever written (3.x would import it once and delete it).
- Either way config.sqlite is first backed up with SQLite's backup API into
  <ccr dir>/.ccrgen/ccr3-backups/; `rollback` applies a backup the same way.

Merge: ccrgen owns the keys its build sets (Providers, Router.rules and Router.fallback,
gateway host/port, profile.enabled, API_TIMEOUT_MS, CUSTOM_ROUTER_PATH, `extra` keys) and
the client keys when the spec has server.api_key; every other key of the stored config
(the UI's settings, 3.x's defaults) is kept as it is.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from ccrgen.errors import ExternalError, InputError
from ccrgen.targets import ccr3_rpc, ccr3_store
from ccrgen.targets.ccr3 import RULE_ID_PREFIX, Ccr3Build

CLIENT_KEY_ID = "ccrgen"
MERGED_MAPS = ("Router", "gateway", "profile")


@dataclass
class Applied:
    how: str                                   # "rpc" or "sqlite"
    backup: Path | None
    notes: list[str] = field(default_factory=list)

    @property
    def where(self) -> str:
        return ("the running CCR, through its management RPC (in effect now)" if self.how == "rpc"
                else "config.sqlite (CCR is stopped; `ccr start` uses it)")


def merge(current: dict | None, ours: dict) -> tuple[dict, list[str]]:
    """`current` with ccrgen's keys from `ours`; notes on what ccrgen replaced that it did not make."""
    merged = json.loads(json.dumps(current or {}))
    notes: list[str] = []
    old_rules = ((current or {}).get("Router") or {}).get("rules") or []
    foreign = [r.get("name") or r.get("id") for r in old_rules
               if isinstance(r, dict) and not str(r.get("id", "")).startswith(RULE_ID_PREFIX)]
    if foreign and "rules" in ours.get("Router", {}):
        notes.append(f"replaced {len(foreign)} routing rule(s) ccrgen did not make: {', '.join(map(str, foreign))}")
    old_ids = {p.get("name"): p.get("id") for p in (current or {}).get("Providers") or [] if isinstance(p, dict)}
    for key, value in ours.items():
        if key == "Providers":
            merged[key] = [{**({"id": old_ids[p["name"]]} if old_ids.get(p["name"]) else {}), **p} for p in value]
        elif key in MERGED_MAPS and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return merged, notes


def _client_keys(built: Ccr3Build, current_keys: list[dict]) -> tuple[list[dict] | None, list[str]]:
    if built.client_key is None:
        return None, []
    from ccrgen.targets.ccr3_store import now_iso

    old = next((k for k in current_keys if k.get("id") == CLIENT_KEY_ID), None)
    others = [k for k in current_keys if k.get("id") != CLIENT_KEY_ID]
    notes = [f"replaced {len(others)} client key(s) ccrgen did not make (server.api_key is the client key now)"] \
        if others else []
    return [{"id": CLIENT_KEY_ID, "name": "ccrgen (server.api_key)", "key": built.client_key,
             "createdAt": (old or {}).get("createdAt") or now_iso()}], notes


def _running_or_refuse(ccr_dir: Path):
    service = ccr3_rpc.running(ccr_dir)
    if service is None and ccr3_rpc.service_of(ccr_dir) is not None:
        pid = ccr3_rpc.service_of(ccr_dir).pid
        raise ExternalError(f"CCR 3.x (pid {pid}) is running for {ccr_dir} but its management service does not answer",
                            hint="stop it with `ccr stop`, then run ccrgen again (it then writes config.sqlite)")
    return service


def read_installed(ccr_dir: Path) -> dict | None:
    """The installed 3.x config (getConfig's shape, client keys under APIKEYS), from the running
    CCR or from config.sqlite; None when there is none."""
    ccr_dir = Path(ccr_dir)
    service = ccr3_rpc.running(ccr_dir)
    if service is not None:
        value = service.call("getConfig")
        return value if isinstance(value, dict) else None
    config, keys = ccr3_store.read(ccr3_store.db_path(ccr_dir))
    if config is None:
        return None
    return {**config, "APIKEYS": keys}


def owned_view(installed: dict | None, ours: dict) -> dict | None:
    """The part of an installed config that ccrgen's build sets (for diffs)."""
    if installed is None:
        return None
    view = {}
    for key, value in ours.items():
        if key not in installed:
            continue
        if key in MERGED_MAPS and isinstance(installed[key], dict):
            view[key] = {k: installed[key][k] for k in value if k in installed[key]}
        elif key == "Providers" and isinstance(installed[key], list):
            view[key] = [{k: v for k, v in p.items() if k != "id"} if isinstance(p, dict) else p
                         for p in installed[key]]
        else:
            view[key] = installed[key]
    if key_rows := installed.get("APIKEYS"):
        view["APIKEY"] = next((k.get("key") for k in key_rows if k.get("id") == CLIENT_KEY_ID), key_rows[0].get("key"))
    return _readable_rules(view)


def planned_view(built: Ccr3Build) -> dict:
    view = json.loads(json.dumps(built.config))
    if built.client_key is not None:
        view["APIKEY"] = built.client_key
    return _readable_rules(view)


def _readable_rules(view: dict) -> dict:
    """Each of Router.rules as a line of its own, `rule NAME: left operator right -> target`,
    so a diff reads as routes (ccrgen writes them in a fixed order)."""
    router = view.get("Router")
    if isinstance(router, dict) and isinstance(router.get("rules"), list):
        for rule in router["rules"]:
            if isinstance(rule, dict):
                c = rule.get("condition") or {}
                off = "" if rule.get("enabled", True) else " (disabled)"
                view[f"rule {rule.get('name') or rule.get('id')}"] = \
                    f"{c.get('left')} {c.get('operator')} {c.get('right')} -> {rule.get('target')}{off}"
        view["Router"] = {k: v for k, v in router.items() if k != "rules"}
        if not view["Router"]:
            del view["Router"]
    return view


def apply(built: Ccr3Build, ccr_dir: Path) -> Applied:
    """Install `built` (references already resolved) into the CCR 3.x of `ccr_dir`, holding
    ccrgen's install lock of that folder."""
    from ccrgen.lifecycle.install import locked

    with locked(Path(ccr_dir)):
        return _apply(built, Path(ccr_dir))


def _apply(built: Ccr3Build, ccr_dir: Path) -> Applied:
    service = _running_or_refuse(ccr_dir)
    backup = ccr3_store.backup(ccr_dir)
    if service is not None:
        current_keys = [k for k in (service.call("getConfig") or {}).get("APIKEYS") or [] if isinstance(k, dict)]
        keys, notes = _client_keys(built, current_keys)
        if keys is not None:
            service.call("saveApiKeys", keys)
        current = service.call("getConfig")
        merged, more = merge(current, built.config)
        service.call("saveConfig", merged)
        _confirm(service.call("getConfig"), built)
        return Applied("rpc", backup, notes + more)
    current, current_keys = ccr3_store.read(ccr3_store.db_path(ccr_dir))
    keys, notes = _client_keys(built, current_keys)
    merged, more = merge(current, built.config)
    merged.pop("APIKEYS", None)
    ccr3_store.write(ccr3_store.db_path(ccr_dir), merged, keys)
    return Applied("sqlite", backup, notes + more)


def _confirm(stored: dict, built: Ccr3Build) -> None:
    """The running CCR holds ccrgen's rules now, or the install failed."""
    want = [r["id"] for r in built.config.get("Router", {}).get("rules", [])]
    have = [r.get("id") for r in (stored or {}).get("Router", {}).get("rules", []) if isinstance(r, dict)]
    if have[:len(want)] != want:
        raise ExternalError("CCR accepted saveConfig but does not hold ccrgen's routing rules afterwards",
                            hint="see `ccr ui`; the previous config is in the backup ccrgen made")


def rollback(ccr_dir: Path, backup: Path | None = None) -> tuple[Path, Applied]:
    """Put back the config of `backup` (default: the newest ccrgen made), first backing up
    the current one; returns (the backup applied, how)."""
    from ccrgen.lifecycle.install import locked

    with locked(Path(ccr_dir)):
        return _rollback(Path(ccr_dir), backup)


def _rollback(ccr_dir: Path, backup: Path | None) -> tuple[Path, Applied]:
    found = ccr3_store.backups(ccr_dir)
    source = Path(backup) if backup else (found[-1] if found else None)
    if source is None or not source.exists():
        raise InputError(f"no ccrgen backup of config.sqlite in {ccr_dir / ccr3_store.BACKUP_DIR}",
                         hint="ccrgen makes one before every CCR 3.x install")
    config, keys = ccr3_store.read(source)
    if config is None:
        raise InputError(f"{source}: holds no CCR config")
    service = _running_or_refuse(ccr_dir)
    made = ccr3_store.backup(ccr_dir)
    if service is not None:
        service.call("saveApiKeys", [k for k in keys if k.get("key")])
        merged, _notes = merge(service.call("getConfig"), config)   # saveConfig needs a complete config
        service.call("saveConfig", merged)
        return source, Applied("rpc", made)
    ccr3_store.write(ccr3_store.db_path(ccr_dir), config, [k for k in keys if k.get("key")])
    return source, Applied("sqlite", made)
