"""`ccrgen migrate [CONFIG]`: a CCR 2.x config.json installed as the equivalent CCR 3.x config."""

from __future__ import annotations

from pathlib import Path

import click

from ccrgen.commands.options import (STDIO, ccr_dir_option, echo_json, format_option, is_stdio, read_stdin_text,
                                     resolve_ccr_dir)


@click.command("migrate")
@click.argument("config", required=False, type=click.Path(path_type=Path, dir_okay=False, allow_dash=True))
@ccr_dir_option
@click.option("--dry-run", is_flag=True, help="Show what moves where and what would change; write nothing.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask before changing the CCR 3.x config.")
@format_option
def command(config, ccr_dir, dry_run, yes, format_):
    """Install the CCR 3.x equivalent of CONFIG (default: the installed
    ~/.claude-code-router/config.json; `-`: stdin): routes become Router.rules, header-auth
    transformers extraHeaders, HOST/PORT the gateway, APIKEY a client key, and `$NAME`
    references their values (3.x never reads the environment). Prints what moved where and
    what could not be carried over. Applied through the running CCR 3.x, else written into
    config.sqlite. --format json prints the same facts as one JSON document."""
    from ccrgen.targets import ccr3_migrate

    as_json = format_ == "json"
    folder = resolve_ccr_dir(ccr_dir)
    if is_stdio(config):
        migration = ccr3_migrate.prepare(Path(config), folder, text=read_stdin_text(STDIO))
    else:
        migration = ccr3_migrate.prepare(config or folder / "config.json", folder)
    if not as_json:
        _echo_moved(migration)
    for note in migration.notes:
        click.echo(f"note: {note}", err=True)
    changes = ccr3_migrate.plan(migration)
    if dry_run or not changes:
        migration.status = "dry run" if dry_run else "up to date"
        if not as_json:
            _echo_changes(migration, err=False)
            if dry_run:
                click.echo("dry run: nothing was written")
    else:
        if not yes:
            _echo_changes(migration, err=as_json)
            from ccrgen.common.console import confirm

            confirm("apply these changes?", err=as_json)
        ccr3_migrate.apply(migration)
        _echo_applied(migration, as_json)
    for problem in migration.differences:
        click.echo("warning: " + problem.render(), err=True)
    if as_json:
        echo_json(migration.as_dict())


def _echo_moved(m) -> None:
    click.echo(f"migrating {m.source} (CCR 2.x) to CCR 3.x in {m.ccr_dir}:")
    for old, new in m.moved:
        click.echo(f"  {old:<28} -> {new}")
    if m.lost:
        click.echo("not carried over:")
        for line in m.lost:
            click.echo(f"  {line}")


def _echo_changes(m, *, err: bool) -> None:
    import sys

    from ccrgen.common.console import use_color
    from ccrgen.lifecycle import diff_report

    if not m.changes:
        click.echo(f"{m.ccr_dir}: already up to date for CCR 3.x", err=err)
        return
    color = use_color(sys.stderr if err else sys.stdout)
    click.echo(f"changes to the CCR 3.x config in {m.ccr_dir}:", err=err)
    click.echo(diff_report.text(m.changes, [], color=color), nl=False, err=err)


def _echo_applied(m, as_json: bool) -> None:
    applied = m.applied
    if not as_json:
        click.echo(f"installed for CCR 3.x from {m.source} into {applied.where}")
        if applied.backup is not None:
            click.echo(f"  previous config backed up to {applied.backup}")
    for note in [*applied.notes, *m.after_notes]:
        click.echo(f"note: {note}", err=True)
    if not as_json and not m.takes_over_claude_code:
        click.echo(f"Claude Code's settings are left alone: point it at {m.gateway_url} (ANTHROPIC_BASE_URL) with "
                   "the client key (server.api_key) as ANTHROPIC_AUTH_TOKEN")
