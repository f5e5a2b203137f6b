"""`ccrgen rollback [ENTRY]`: put back the files as they were before a history entry."""

from __future__ import annotations

import click

from ccrgen.commands.options import apply_plan, ccr_dir_option, echo_json, format_option, resolve_ccr_dir


@click.command("rollback")
@click.argument("entry", required=False)
@ccr_dir_option
@click.option("--yes", "-y", is_flag=True, help="Do not ask before replacing files.")
@click.option("--target", type=click.Choice(["ccr2", "ccr3"]), default=None,
              help="ccr3: put back config.sqlite from ccrgen's newest backup of it (or the backup file "
                   "ENTRY names). Default: the installed ccr's generation.")
@format_option
def command(entry, ccr_dir, yes, format_, target):
    """Undo history entry ENTRY (default: the newest) and every entry after it: the files are
    put back byte for byte as they were just before it, as one set. The rollback is itself
    recorded, so `ccrgen rollback` again undoes it.

    For CCR 3.x (--target ccr3) the config in config.sqlite is put back from the backup
    ccrgen made before its last install (SQLite backup API), through the management RPC
    while CCR runs; the config replaced is backed up first, so a second rollback undoes it."""
    from ccrgen.lifecycle import plan as planner
    from ccrgen.targets.ccr3_cli import choose_target

    as_json = format_ == "json"
    if choose_target(target, install=True) == "ccr3":
        if not yes:
            click.confirm("put back the CCR 3.x config from ccrgen's backup?", abort=True, err=True)
        _rollback_ccr3(resolve_ccr_dir(ccr_dir), entry, as_json)
        return
    apply_plan(planner.for_rollback(resolve_ccr_dir(ccr_dir), entry), yes=yes, as_json=as_json)


def _rollback_ccr3(ccr_dir, entry, as_json: bool) -> None:
    from pathlib import Path

    from ccrgen.targets.ccr3_install import rollback

    source, applied = rollback(ccr_dir, Path(entry) if entry else None)
    if as_json:
        echo_json({"target": "ccr3", "restored_from": str(source), "applied_to": applied.how,
                   "backup_of_replaced": str(applied.backup) if applied.backup else None})
    else:
        click.echo(f"restored the CCR 3.x config from {source} into {applied.where}")
        if applied.backup:
            click.echo(f"the config it replaced is backed up as {applied.backup} (`ccrgen rollback` again undoes this)")
