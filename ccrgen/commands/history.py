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
    from ccrgen import diff_report, plan
    from ccrgen.history import History

    folder = resolve_ccr_dir(ccr_dir)
    for note in plan.recover_if_needed(folder):
        click.echo(f"note: {note}", err=True)
    entries = History(folder).entries()
    if format_ == "json":
        click.echo(diff_report.history_json(entries), nl=False)
    else:
        click.echo(diff_report.history_text(entries), nl=False)
