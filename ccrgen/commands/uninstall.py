"""`ccrgen uninstall`: remove what ccrgen installed and put back what was there before."""

from __future__ import annotations

import click

from ccrgen.commands.options import apply_plan, ccr_dir_option, format_option, resolve_ccr_dir


@click.command("uninstall")
@ccr_dir_option
@click.option("--yes", "-y", is_flag=True, help="Do not ask before replacing files.")
@format_option
def command(ccr_dir, yes, format_):
    """Remove the files ccrgen installed in CCR's folder and put back the ones that were
    there before its first install, as one set. Recorded in the history, so `ccrgen
    rollback` undoes it."""
    from ccrgen.lifecycle import plan as planner

    apply_plan(planner.for_uninstall(resolve_ccr_dir(ccr_dir)), yes=yes, as_json=format_ == "json")
