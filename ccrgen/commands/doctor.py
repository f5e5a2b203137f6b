"""`ccrgen doctor`: check this machine's CCR setup and say how to fix each problem."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from ccrgen.commands.options import ccr_dir_option, format_option, is_stdio, resolve_ccr_dir, spec_argument


@click.command("doctor")
@spec_argument
@ccr_dir_option
@format_option
@click.option("--online", is_flag=True, help="Also send one tiny request to each provider.")
def command(spec, ccr_dir, format_, online):
    """Check the installed config in $HOME/.claude-code-router (or --ccr-dir), the tools, the
    server on its port, and, when SPEC or ./ccrgen.yaml exists, that the install matches it.

    Changes nothing. Exit 0 when no check fails, 1 when one does. --format json prints a
    list of {check, status, message, hint}.
    """
    from ccrgen.common.console import use_color
    from ccrgen.doctor import report
    from ccrgen.doctor.checks import Situation, run_checks
    from ccrgen.spec.loader import DEFAULT_SPEC

    if is_stdio(spec):
        from ccrgen.errors import InputError

        raise InputError("doctor compares the install with a spec file, not stdin",
                         hint="name the spec file, or see the differences with `ccrgen diff -`")
    if spec is None and Path(DEFAULT_SPEC).exists():
        spec = Path(DEFAULT_SPEC)
    situation = Situation(ccr_dir=resolve_ccr_dir(ccr_dir), env=os.environ, spec=spec, online=online)
    results = run_checks(situation)
    if format_ == "json":
        click.echo(report.as_json(results), nl=False)
    else:
        color = use_color()
        click.echo(report.text(results, color=color), nl=False, color=color)
    if any(r.status == "error" for r in results):
        sys.exit(1)
