"""`ccrgen history`: the installs, rollbacks and uninstalls ccrgen recorded in a CCR folder."""

from __future__ import annotations

import click

from ccrgen.commands.options import ccr_dir_option, format_option, resolve_ccr_dir


@click.command("history")
@ccr_dir_option
@format_option
def command(ccr_dir, format_):
    """List what ccrgen installed in CCR's folder, newest first: when, from what, the content
    hash and the files each entry wrote. `ccrgen rollback ID` undoes an entry. The newest
    $CCRGEN_HISTORY_KEEP entries (default 10) are kept."""
    from ccrgen.lifecycle import diff_report, plan
    from ccrgen.lifecycle.history import History

    folder = resolve_ccr_dir(ccr_dir)
    for note in plan.recover_if_needed(folder):
        click.echo(f"note: {note}", err=True)
    entries = History(folder).entries()
    sqlite_backups = _ccr3_backups(folder)
    if format_ == "json":
        if sqlite_backups:  # CCR 3.x: the config lives in config.sqlite, backed up before each change
            import json

            listing = {"entries": json.loads(diff_report.history_json(entries)), "ccr3_backups": sqlite_backups}
            click.echo(json.dumps(listing, indent=2) + "\n", nl=False)
        else:
            click.echo(diff_report.history_json(entries), nl=False)
        return
    click.echo(diff_report.history_text(entries), nl=False)
    if sqlite_backups:
        click.echo("CCR 3.x config.sqlite backups, newest first (`ccrgen rollback --target ccr3 [FILE]`):")
        for backup in sqlite_backups:
            click.echo(f"  {backup['time']}  {backup['file']}")


def _ccr3_backups(folder) -> list[dict]:
    from ccrgen.targets.ccr3_store import backups

    found = []
    for path in reversed(backups(folder)):
        stamp = path.name[len("config.sqlite."):-len(".bak")]
        found.append({"time": stamp, "file": str(path)})
    return found
