"""`ccrgen diff`: what a build would change in the installed config, before it changes it."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ccrgen.commands.options import (STDIO, ccr_dir_option, codes_option, format_option, is_stdio, load_input,
                                     preset_option, read_stdin_text, resolve_ccr_dir, spec_argument)

EXIT_DIFFERENT = 1


@click.command("diff")
@spec_argument
@preset_option
@ccr_dir_option
@click.option("--against", type=click.Path(path_type=Path, dir_okay=False, allow_dash=True),
              help="Compare with this config.json instead of the installed one (`-`: stdin).")
@format_option
@click.option("--ignore-order", is_flag=True, help="Do not report providers or models that only moved.")
@click.option("--resolved", is_flag=True, help="Compare after environment interpolation, as CCR sees it.")
@codes_option("--ignore", "Lint rule codes or prefixes to skip, as in build (comma-separated or repeated).")
@click.option("--target", "build_target", type=click.Choice(["ccr2", "ccr3"]), default="ccr2", show_default=True,
              help="ccr3: compare with the installed CCR 3.x config (its management RPC, or config.sqlite).")
def command(spec, preset, ccr_dir, against, format_, ignore_order, resolved, ignore, build_target):
    """Compare what SPEC (default ./ccrgen.yaml) or --preset builds with the installed config.

    Like `terraform plan`, it checks first: a spec `ccrgen build` would refuse is exit 1 with
    the same problems, and no diff. Otherwise exit 0 when they are the same, 1 when they
    differ, 2 when something cannot be read. Secrets are masked: only the fact that they
    changed is shown. SPEC `-` reads the spec (or a config.json) from stdin, `--against -`
    the config.json to compare with; --format json prints a list of {op, path, old, new}.
    """
    from ccrgen.config import build
    from ccrgen.common import console
    from ccrgen.lifecycle import diff_report, plan
    from ccrgen.errors import InputError

    target = resolve_ccr_dir(ccr_dir)
    against_text = None
    if against is not None and build_target == "ccr3":
        raise InputError("--against compares with a config.json: it does not go with --target ccr3",
                         hint="drop --against to compare with the installed CCR 3.x config")
    if is_stdio(against):
        if is_stdio(spec):
            raise InputError("stdin can be read only once: give `-` as SPEC or as --against, not both")
        against_text = read_stdin_text(STDIO)
    elif against is not None and not against.exists():
        raise InputError(f"{against}: no such file")
    loaded = load_input(spec, preset=preset, ccr_dir=target)
    if build_target == "ccr3":
        from ccrgen.targets.ccr3_cli import diff_command

        sys.exit(diff_command(loaded, target, as_json=format_ == "json"))
    build.check(loaded, ignore=ignore, consequence="`ccrgen build` would refuse this, so there is no diff")
    for note in plan.recover_if_needed(target):
        click.echo(f"note: {note}", err=True)
    changes, files = plan.config_changes(loaded, target, against=against, against_text=against_text,
                                         ignore_order=ignore_order, resolved=resolved)
    if format_ == "json":
        click.echo(diff_report.as_json(changes, files), nl=False)
    elif changes or files:
        color = console.use_color()
        click.echo(diff_report.text(changes, files, color=color), nl=False, color=color)
    else:
        click.echo("no changes")
    if changes or files:
        sys.exit(EXIT_DIFFERENT)
