"""`ccrgen build --target ccr3` (and `ccrgen migrate`): the steps the commands wire together,
with what they print. The commands in ccrgen/commands only parse options and call these."""

from __future__ import annotations

import os
import re
from pathlib import Path

import click

from ccrgen.common.console import use_color
from ccrgen.targets import ccr3


def choose_target(target: str | None, install: bool) -> str:
    """--target as given; with --install and no --target, the generation of the installed
    `ccr` (said on stderr); else ccr2. Installing for ccr2 where CCR 3.x is installed is
    allowed, with a warning: 3.x would never read that config.json."""
    if not install:
        return target or "ccr2"
    from ccrgen.ccr.installed import find_install
    from ccrgen.errors import CcrgenError

    try:
        found = find_install()
    except CcrgenError:
        found = None
    installed = "ccr3" if found is not None and found.generation == 3 else "ccr2"
    if target is None:
        what = found.label if found is not None else "no ccr installed"
        click.echo(f"target: {installed} (the installed ccr: {what}; --target chooses)", err=True)
        return installed
    if target == "ccr2" and installed == "ccr3":
        click.echo(f"warning: the installed ccr is {found.label}: it keeps its config in config.sqlite and never "
                   "reads this config.json (do not run `ccr restart` on 3.x: it rewrites ~/.claude/settings.json); "
                   "use --target ccr3", err=True)
    return target


def echo_warnings(problems) -> None:
    for problem in problems:
        click.echo("warning: " + problem.render(), err=True)


def build(loaded, *, out_dir: Path | None, install: bool, ccr_dir: Path, dry_run: bool, yes: bool,
          ignore=()) -> None:
    """Check the spec as the 2.x build does (errors refuse), render for 3.x, then write
    `--out` files (references kept) or install (references resolved from the environment)."""
    findings = check(loaded, ignore=ignore)
    built = ccr3.build(loaded)
    if install:
        install_build(loaded, built, ccr_dir, dry_run=dry_run, yes=yes)
    else:
        write_out(loaded, built, out_dir, dry_run=dry_run)
    echo_warnings(built.warnings)
    _echo_lint_warnings(findings)


# Spec paths of what a 3.x build leaves out: a problem there does not stop it.
_DROPPED = re.compile(r"^(transformers|server\.(log|log_level|proxy_url|non_interactive|rewrite_system_prompt)"
                      r"|routes\.(image|extra)|providers\.[^.\[]+\.(transformer|tokenizer))\b")


def check(loaded, *, ignore=()) -> list:
    """The 2.x build's checks (schema and lint), without the problems of keys 3.x drops;
    returns the findings that do not stop the build."""
    from ccrgen.config import build as builder

    found, others = builder.problems(loaded, ignore=ignore)
    kept = [p for p in found if not _DROPPED.match(p.path or "")]
    if kept:
        builder.refuse(loaded, kept)
    return others


def _echo_lint_warnings(findings) -> None:
    warnings = [f for f in findings if f.severity == "warning"]
    if warnings:
        from ccrgen.lint.report import text

        click.echo(text(warnings, summary=False), err=True, nl=False)


def write_out(loaded, built: ccr3.Ccr3Build, out_dir: Path, *, dry_run: bool) -> None:
    from ccrgen.lifecycle.install import PRIVATE, write_files

    files = {ccr3.OUT_FILE_NAME: (built.out_text(), PRIVATE)}
    if dry_run:
        from ccrgen.common.secrets import mask_config
        import json

        click.echo(f"would write {out_dir / ccr3.OUT_FILE_NAME}")
        click.echo(json.dumps(mask_config(json.loads(built.out_text())), indent=2, ensure_ascii=False))
        return
    results = write_files(out_dir, files)
    click.echo(f"built for CCR 3.x from {loaded.file}")
    for r in results:
        click.echo(f"  {r.status:<9} {r.path}")
    click.echo("  (environment references are kept; `ccrgen build --target ccr3 --install` stores their values,"
               " since CCR 3.x never reads the environment)")


def install_build(loaded, built: ccr3.Ccr3Build, ccr_dir: Path, *, dry_run: bool, yes: bool,
                  source: str | None = None) -> None:
    from ccrgen.targets import ccr3_install

    values = ccr3.resolved(built, os.environ, loaded)
    changes = planned_changes(values, ccr_dir)
    if dry_run:
        _echo_changes(ccr_dir, changes)
        click.echo("dry run: nothing was written")
        return
    if not changes:
        click.echo(f"{ccr_dir}: already up to date for CCR 3.x")
        return
    if not yes:
        _echo_changes(ccr_dir, changes)
        from ccrgen.common.console import confirm

        confirm("apply these changes?")
    applied = ccr3_install.apply(values, ccr_dir)
    click.echo(f"installed for CCR 3.x from {source or loaded.file} into {applied.where}")
    if applied.backup is not None:
        click.echo(f"  previous config backed up to {applied.backup}")
    for note in applied.notes:
        click.echo(f"note: {note}", err=True)
    _echo_after_install(values, ccr_dir)


def planned_changes(values: ccr3.Ccr3Build, ccr_dir: Path):
    from ccrgen.lifecycle.diff import diff_configs
    from ccrgen.targets import ccr3_install

    installed = ccr3_install.read_installed(ccr_dir)
    owned = ccr3_install.owned_view(installed, values.config)
    if owned is not None and values.client_key is None:
        owned.pop("APIKEY", None)   # no server.api_key: the install leaves the client keys as they are
    return diff_configs(owned, ccr3_install.planned_view(values))


def _echo_changes(ccr_dir: Path, changes) -> None:
    from ccrgen.lifecycle import diff_report

    if not changes:
        click.echo(f"{ccr_dir}: already up to date for CCR 3.x")
        return
    click.echo(f"changes to the CCR 3.x config in {ccr_dir}:")
    click.echo(diff_report.text(changes, [], color=use_color()), nl=False)


def _echo_after_install(values: ccr3.Ccr3Build, ccr_dir: Path) -> None:
    from ccrgen.ccr import facts

    if (ccr_dir / facts.CONFIG_FILE_NAME).exists():
        click.echo(f"note: {ccr_dir / facts.CONFIG_FILE_NAME} is ignored by CCR 3.x now that config.sqlite holds "
                   "a config (3.x imports a config.json only once, and drops its routes)", err=True)
    gateway = values.config.get("gateway", {})
    url = f"http://{gateway.get('host', facts.DEFAULT_HOST)}:{gateway.get('port', facts.DEFAULT_PORT)}"
    if not values.config.get("profile", {}).get("enabled"):
        click.echo(f"Claude Code's settings are left alone: point it at {url} (ANTHROPIC_BASE_URL) with the "
                   "client key (server.api_key) as ANTHROPIC_AUTH_TOKEN")


def lint_problems(files, preset: str | None) -> list:
    """What `ccrgen lint --target ccr3` adds: for each spec or config.json, the features CCR 3.x
    cannot express and the documented routing differences it hits. Inputs that do not load were
    already reported by lint and are skipped here."""
    from ccrgen.spec import loader
    from ccrgen.errors import CcrgenError

    paths = [None] if preset or not files else [Path(f) for f in files if Path(f).is_file()]
    problems = []
    for path in paths:
        try:
            problems += ccr3.build(loader.load(path, preset=preset)).warnings
        except CcrgenError:
            continue
    return problems


def diff_changes(loaded, ccr_dir: Path):
    """What `ccrgen build --target ccr3 --install` would change in the installed 3.x config
    (secrets masked); for `ccrgen diff --target ccr3`."""
    return planned_changes(ccr3.resolved(ccr3.build(loaded), os.environ, loaded), ccr_dir)


def diff_command(loaded, ccr_dir: Path, *, as_json: bool) -> int:
    """`ccrgen diff --target ccr3`: print what an install would change; 0 same, 1 different."""
    from ccrgen.lifecycle import diff_report

    check(loaded)
    changes = diff_changes(loaded, ccr_dir)
    if as_json:
        click.echo(diff_report.as_json(changes, []), nl=False)
    elif changes:
        click.echo(diff_report.text(changes, [], color=use_color()), nl=False)
    else:
        click.echo("no changes")
    return 1 if changes else 0
