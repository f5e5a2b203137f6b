"""`ccrgen migrate`: a CCR 2.x config.json, imported as a spec (ccrgen.config.importer, which also
recognises header-auth transformers), built for 3.x and installed; with a report of what
moved where and what could not be carried over."""

from __future__ import annotations

from pathlib import Path

import click

from ccrgen.targets import ccr3

# 2.0.0 Router key -> the ccrgen rule id (without the prefix) that carries it in 3.x
ROUTE_RULES = {"default": "default", "background": "background", "think": "think",
               "longContext": "long-context", "webSearch": "web-search-"}


def migrate(path: Path, ccr_dir: Path, *, dry_run: bool, yes: bool) -> None:
    from ccrgen.errors import InputError
    from ccrgen.config.importer import import_config
    from ccrgen.spec.loader import load_config
    from ccrgen.targets.ccr3_cli import echo_warnings, install_build

    path = Path(path).expanduser()
    if not path.exists():
        raise InputError(f"{path}: no such file", hint="name the CCR 2.x config.json to migrate")
    loaded = load_config(path)
    imported = import_config(loaded, use_presets=False)
    spec = ccr3.spec_from_data(imported.spec, str(path))
    built = ccr3.build(loaded, spec)
    click.echo(f"migrating {path} (CCR 2.x) to CCR 3.x in {ccr_dir}:")
    for old, new in moved(loaded.config, built, imported.recognised):
        click.echo(f"  {old:<28} -> {new}")
    lost = [p.render() for p in ccr3.unsupported(spec)] + [n for n in imported.notes if "not imported" in n]
    if lost:
        click.echo("not carried over:")
        for line in lost:
            click.echo(f"  {line}")
    for note in imported.notes:
        if "not imported" not in note:
            click.echo(f"note: {note}", err=True)
    differ = ccr3.differences(spec)
    install_build(loaded, built, ccr_dir, dry_run=dry_run, yes=yes, source=str(path))
    echo_warnings(differ)


def moved(config: dict, built: ccr3.Ccr3Build, recognised: dict[str, str]) -> list[tuple[str, str]]:
    """(2.x key, where it is in 3.x) for everything that was carried over."""
    from ccrgen.ccr.config import providers_of

    out: list[tuple[str, str]] = []
    for provider in providers_of(config):
        if isinstance(provider, dict) and provider.get("name"):
            out.append((f"Providers[{provider['name']}]", f"Providers[{provider['name']}]"))
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
