"""`ccrgen rollback [ENTRY]`: put back the files as they were before a history entry."""

from __future__ import annotations

import click

from ccrgen.commands.options import ccr_dir_option, echo_json, format_option, resolve_ccr_dir


@click.command("rollback")
@click.argument("entry", required=False)
@ccr_dir_option
@click.option("--yes", "-y", is_flag=True, help="Do not ask before replacing files.")
@format_option
def command(entry, ccr_dir, yes, format_):
    """Undo history entry ENTRY (default: the newest) and every entry after it: the files are
    put back byte for byte as they were just before it, as one set. The rollback is itself
    recorded, so `ccrgen rollback` again undoes it."""
    from ccrgen import diff_report, plan as planner

    plan = planner.for_rollback(resolve_ccr_dir(ccr_dir), entry)
    as_json = format_ == "json"
    diff_report.echo_plan(plan, ask=not yes, err=as_json)
    applied = planner.apply(plan)
    if as_json:
        echo_json(diff_report.applied_dict(applied))
    else:
        click.echo(diff_report.applied_text(applied), nl=False)
