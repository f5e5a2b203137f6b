"""`ccrgen doctor`: check this machine's CCR setup and say how to fix each problem."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from ccrgen.commands.options import ccr_dir_option, resolve_ccr_dir, spec_argument


@click.command("doctor")
@spec_argument
@ccr_dir_option
@click.option("--json", "as_json", is_flag=True, help="Print a list of {check, status, message, hint}.")
@click.option("--online", is_flag=True, help="Also send one tiny request to each provider.")
def command(spec, ccr_dir, as_json, online):
    """Check the installed config in $HOME/.claude-code-router (or --ccr-dir), the tools, the
    server on its port, and, when SPEC or ./ccrgen.yaml exists, that the install matches it.

    Changes nothing. Exit 0 when no check fails, 1 when one does.
    """
    from ccrgen.console import use_color
    from ccrgen.doctor import report
    from ccrgen.doctor.checks import Situation, run_checks
    from ccrgen.loader import DEFAULT_SPEC

    if spec is None and Path(DEFAULT_SPEC).exists():
        spec = Path(DEFAULT_SPEC)
    situation = Situation(ccr_dir=resolve_ccr_dir(ccr_dir), env=os.environ, spec=spec, online=online)
    results = run_checks(situation)
    if as_json:
        click.echo(report.as_json(results), nl=False)
    else:
        click.echo(report.text(results, color=use_color()), nl=False)
    if any(r.status == "error" for r in results):
        sys.exit(1)
