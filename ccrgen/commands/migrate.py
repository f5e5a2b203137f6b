"""`ccrgen migrate [CONFIG]`: a CCR 2.x config.json installed as the equivalent CCR 3.x config."""

from __future__ import annotations

from pathlib import Path

import click

from ccrgen.commands.options import ccr_dir_option, resolve_ccr_dir


@click.command("migrate")
@click.argument("config", required=False, type=click.Path(path_type=Path, dir_okay=False))
@ccr_dir_option
@click.option("--dry-run", is_flag=True, help="Show what moves where and what would change; write nothing.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask before changing the CCR 3.x config.")
def command(config, ccr_dir, dry_run, yes):
    """Install the CCR 3.x equivalent of CONFIG (default: the installed
    ~/.claude-code-router/config.json): routes become Router.rules, header-auth transformers
    extraHeaders, HOST/PORT the gateway, APIKEY a client key, and `$NAME` references their
    values (3.x never reads the environment). Prints what moved where and what could not be
    carried over. Applied through the running CCR 3.x, else written into config.sqlite."""
    from ccrgen.targets.ccr3_migrate import migrate

    folder = resolve_ccr_dir(ccr_dir)
    migrate(config or folder / "config.json", folder, dry_run=dry_run, yes=yes)
