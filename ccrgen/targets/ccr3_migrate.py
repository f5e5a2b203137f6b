"""`ccrgen migrate`: a CCR 2.x config.json, imported as a spec (ccrgen.config.importer, which also
recognises header-auth transformers), built for 3.x and installed. Nothing here prints: each
step fills in a `Migration` (what moved where, what could not be carried over, the changes,
where it was written), which the command reports as text or JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ccrgen.targets import ccr3
from ccrgen.common.inputs import STDIN

# 2.0.0 Router key -> the ccrgen rule id (without the prefix) that carries it in 3.x
ROUTE_RULES = {"default": "default", "background": "background", "think": "think",
               "longContext": "long-context", "webSearch": "web-search-"}


@dataclass
class Migration:
    source: str                                   # the config.json read (or -, stdin)
    ccr_dir: Path
    moved: list[tuple[str, str]]                  # (2.x key, where it is in 3.x)
    lost: list[str]                               # what could not be carried over
    notes: list[str]                              # the import's notes (header auth recognised, ...)
    differences: list                             # Problems: routing that differs from 2.0.0
    providers: list[str]
    rules: list[dict]                             # the Router.rules made
    built: ccr3.Ccr3Build = field(repr=False)
    loaded: object = field(repr=False)
    values: ccr3.Ccr3Build | None = field(default=None, repr=False)   # references resolved
    changes: list = field(default_factory=list)   # diff.Change of the installed 3.x config
    status: str = ""                              # "dry run", "up to date" or "installed"
    applied: object = None                        # ccr3_install.Applied
    after_notes: list[str] = field(default_factory=list)

    @property
    def gateway_url(self) -> str:
        from ccrgen.ccr import facts

        gateway = self.built.config.get("gateway", {})
        return f"http://{gateway.get('host', facts.DEFAULT_HOST)}:{gateway.get('port', facts.DEFAULT_PORT)}"

    @property
    def takes_over_claude_code(self) -> bool:
        return bool(self.built.config.get("profile", {}).get("enabled"))

    def as_dict(self) -> dict:
        """The `--format json` document: the same facts as the text report."""
        from ccrgen.targets import ccr3_store

        applied = self.applied
        written = None
        if applied is not None:
            written = {"how": applied.how, "where": applied.where,
                       "path": str(ccr3_store.db_path(self.ccr_dir)) if applied.how == "sqlite" else None}
        return {
            "source": self.source, "ccr_dir": str(self.ccr_dir), "status": self.status,
            "dry_run": self.status == "dry run",
            "imported": {"providers": self.providers, "rules": self.rules},
            "moved": [{"from": old, "to": new} for old, new in self.moved],
            "not_carried_over": self.lost,
            "changes": [c.as_dict() for c in self.changes],
            "written_to": written,
            "backup": str(applied.backup) if applied is not None and applied.backup else None,
            "notes": self.notes + (list(applied.notes) if applied is not None else []) + self.after_notes,
            "warnings": [{"path": p.path, "message": p.message, "location": str(p.location) if p.location else None,
                          "hint": p.hint} for p in self.differences],
            "gateway": self.gateway_url,
            "claude_code_settings": "taken over" if self.takes_over_claude_code else "left alone",
        }


def prepare(path: Path, ccr_dir: Path, *, text: str | None = None) -> Migration:
    """Read and import the 2.x config.json `path` (or `text`, read from stdin) and build it for
    3.x: what would move where. Changes nothing."""
    from ccrgen.errors import InputError
    from ccrgen.config.importer import import_config
    from ccrgen.spec.loader import load_config

    if text is None:
        path = Path(path).expanduser()
        if not path.exists():
            raise InputError(f"{path}: no such file", hint="name the CCR 2.x config.json to migrate")
        loaded = load_config(path)
    else:
        path = Path(STDIN)
        loaded = load_config(path, text=text)
    imported = import_config(loaded, use_presets=False)
    spec = ccr3.spec_from_data(imported.spec, str(path))
    built = ccr3.build(loaded, spec)
    lost = [p.render() for p in ccr3.unsupported(spec)] + [n for n in imported.notes if "not imported" in n]
    rules = [{"id": r["id"], "name": r["name"], "target": r.get("target")}
             for r in built.config.get("Router", {}).get("rules", [])]
    return Migration(source=str(path), ccr_dir=Path(ccr_dir), moved=moved(loaded.config, built, imported.recognised, spec),
                     lost=lost, notes=[n for n in imported.notes if "not imported" not in n],
                     differences=ccr3.differences(spec), providers=list(spec.providers), rules=rules,
                     built=built, loaded=loaded)


def plan(migration: Migration) -> list:
    """Resolve the references from the environment (refused, naming the key, when one is
    unset) and compare with the installed 3.x config: the changes an install makes."""
    import os

    from ccrgen.targets.ccr3_cli import planned_changes

    migration.values = ccr3.resolved(migration.built, os.environ, migration.loaded)
    migration.changes = planned_changes(migration.values, migration.ccr_dir)
    return migration.changes


def apply(migration: Migration) -> None:
    """Install the planned config (through the running CCR 3.x, else into config.sqlite)."""
    from ccrgen.ccr import facts
    from ccrgen.targets import ccr3_install

    migration.applied = ccr3_install.apply(migration.values, migration.ccr_dir)
    migration.status = "installed"
    left = migration.ccr_dir / facts.CONFIG_FILE_NAME
    if left.exists():
        migration.after_notes.append(
            f"{left} is ignored by CCR 3.x now that config.sqlite holds a config (3.x imports a config.json "
            "only once, and drops its routes)")


def moved(config: dict, built: ccr3.Ccr3Build, recognised: dict[str, str], spec=None) -> list[tuple[str, str]]:
    """(2.x key, where it is in 3.x) for everything that was carried over."""
    from ccrgen.ccr.config import providers_of

    out: list[tuple[str, str]] = []
    for provider in providers_of(config):
        if isinstance(provider, dict) and provider.get("name"):
            out.append((f"Providers[{provider['name']}]", f"Providers[{provider['name']}]"))
    for entry in built.config.get("Providers", []):
        for capability in entry.get("capabilities") or []:
            protocol = next((p for p, t in ccr3.PROTOCOL_TYPES.items() if t == capability.get("type")), None)
            if protocol:
                out.append((f"Providers[{entry['name']}].transformer ({protocol})",
                            f"Providers[{entry['name']}].capabilities {capability['type']}"))
    for name, models in ccr3.unlisted_route_models(spec).items() if spec is not None else ():
        for model in models:
            out.append((f"the route target {name},{model}", f"Providers[{name}].models (3.x routes only to a configured "
                        "model; 2.0.0 sends it as written)"))
    for i, entry in enumerate(config.get("transformers") or []):
        path = entry.get("path") if isinstance(entry, dict) else None
        if path in recognised:
            out.append((f"transformers[{i}]", f"Providers[{recognised[path]}].extraHeaders (header auth)"))
    rules = built.config.get("Router", {}).get("rules", [])
    router = config.get("Router") if isinstance(config.get("Router"), dict) else {}
    for key, rule_id in ROUTE_RULES.items():
        if router.get(key):
            names = [r["name"] for r in rules if r["id"].startswith(ccr3.RULE_ID_PREFIX + rule_id)]
            if names:
                out.append((f"Router.{key}", f"Router.rules '{names[0]}'"))
    if router.get("longContextThreshold") and router.get("longContext"):
        out.append(("Router.longContextThreshold", "the longContext rule's request.tokenCount condition"))
    explicit = sum(1 for r in rules if r["id"].startswith(ccr3.RULE_ID_PREFIX + "explicit-"))
    if explicit:
        out.append(("(explicit provider,model)", f"{explicit} explicit and {explicit} subagent-tag rules, "
                    "first, as 2.0.0 gives them precedence"))
    for key, where in (("HOST", "gateway.host"), ("PORT", "gateway.port"), ("APIKEY", "a client key (api_keys)"),
                       ("API_TIMEOUT_MS", "API_TIMEOUT_MS"), ("CUSTOM_ROUTER_PATH", "CUSTOM_ROUTER_PATH")):
        if config.get(key) not in (None, ""):
            out.append((key, where))
    if isinstance(config.get("fallback"), dict) and "fallback" in built.config.get("Router", {}):
        out.append(("fallback", "Router.fallback (model-chain)"))
    return out
