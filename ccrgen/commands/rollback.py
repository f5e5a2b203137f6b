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
        folder = resolve_ccr_dir(ccr_dir)
        source = _ccr3_backup(folder, entry)   # before asking: is there anything to put back?
        if not yes:
            from ccrgen.common.console import confirm

            confirm(f"put back the CCR 3.x config from ccrgen's backup {source.name}?", err=True)
        _rollback_ccr3(folder, source, as_json)
        return
    apply_plan(planner.for_rollback(resolve_ccr_dir(ccr_dir), entry), yes=yes, as_json=as_json)


def _ccr3_backup(ccr_dir, entry):
    """The config.sqlite backup a CCR 3.x rollback applies: the one ENTRY names, else ccrgen's
    newest. Looked up before anything is asked: no backup at all is exit 1 (nothing to roll
    back to, as a rollback without history), a named file that is not there exit 2."""
    from pathlib import Path

    from ccrgen.errors import InputError, SpecError
    from ccrgen.targets import ccr3_store

    if entry:
        named = Path(entry).expanduser()
        if not named.is_file():
            raise InputError(f"{entry}: no such CCR 3 backup file",
                             hint="`ccrgen history` lists ccrgen's backups of config.sqlite")
        return named.absolute()
    found = ccr3_store.backups(ccr_dir)
    if not found:
        raise SpecError(f"no CCR 3 backup to roll back to in {ccr_dir / ccr3_store.BACKUP_DIR}",
                        hint="ccrgen backs up config.sqlite before every CCR 3.x install (`ccrgen build "
                             "--target ccr3 --install`, `ccrgen migrate`)")
    return found[-1]


def _rollback_ccr3(ccr_dir, backup, as_json: bool) -> None:
    from ccrgen.targets.ccr3_install import rollback

    source, applied = rollback(ccr_dir, backup)
    if as_json:
        echo_json({"target": "ccr3", "restored_from": str(source), "applied_to": applied.how,
                   "backup_of_replaced": str(applied.backup) if applied.backup else None})
    else:
        click.echo(f"restored the CCR 3.x config from {source} into {applied.where}")
        if applied.backup:
            click.echo(f"the config it replaced is backed up as {applied.backup} (`ccrgen rollback` again undoes this)")
