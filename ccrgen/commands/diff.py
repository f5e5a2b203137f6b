"""`ccrgen diff`: what a build would change in the installed config, before it changes it."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ccrgen.commands.options import ccr_dir_option, preset_option, resolve_ccr_dir, spec_argument

EXIT_DIFFERENT = 1


def installed_config(path: Path) -> dict | None:
    """The installed config.json as CCR reads it (JSON5); None when there is none."""
    from ccrgen.loader import load_config

    return load_config(path).config if path.exists() else None


def planned_changes(loaded, target: Path, *, against: Path | None = None, ignore_order=False,
                    resolved=False):
    """(config changes, file changes) from what is at `target` (or `against`) to `loaded`."""
    import json
    import os

    from ccrgen import build
    from ccrgen.ccr.config import as_ccr_sees_it
    from ccrgen.ccr.facts import CONFIG_FILE_NAME
    from ccrgen.diff import diff_configs, diff_files

    new = json.loads(build.planned_files(loaded)[CONFIG_FILE_NAME][0]) if loaded.kind == "spec" else loaded.config
    old = installed_config(against or target / CONFIG_FILE_NAME)
    if resolved:
        new = as_ccr_sees_it(new, os.environ)
        old = as_ccr_sees_it(old, os.environ) if old is not None else None
    changes = diff_configs(old, new, ignore_order=ignore_order)
    files_old = {}
    if against is None:
        for name in loaded.files:
            path = target / name
            if path.exists():
                files_old[name] = path.read_text(encoding="utf-8", errors="replace")
    return changes, diff_files(files_old, dict(loaded.files)) if against is None else []


@click.command("diff")
@spec_argument
@preset_option
@ccr_dir_option
@click.option("--against", type=click.Path(path_type=Path, dir_okay=False),
              help="Compare with this config.json instead of the installed one.")
@click.option("--json", "as_json", is_flag=True, help="Print a list of {op, path, old, new}.")
@click.option("--ignore-order", is_flag=True, help="Do not report providers or models that only moved.")
@click.option("--resolved", is_flag=True, help="Compare after environment interpolation, as CCR sees it.")
def command(spec, preset, ccr_dir, against, as_json, ignore_order, resolved):
    """Compare what SPEC (default ./ccrgen.yaml) or --preset builds with the installed config.

    Exit 0 when they are the same, 1 when they differ, 2 when something cannot be read.
    Secrets are masked: only the fact that they changed is shown.
    """
    from ccrgen import diff_report, loader
    from ccrgen.errors import InputError

    target = resolve_ccr_dir(ccr_dir)
    if against is not None and not against.exists():
        raise InputError(f"{against}: no such file")
    loaded = loader.load(spec, preset=preset, ccr_dir=target)
    changes, files = planned_changes(loaded, target, against=against, ignore_order=ignore_order,
                                     resolved=resolved)
    if as_json:
        click.echo(diff_report.as_json(changes, files), nl=False)
    elif changes or files:
        click.echo(diff_report.text(changes, files, color=sys.stdout.isatty()), nl=False)
    else:
        click.echo("no changes")
    if changes or files:
        sys.exit(EXIT_DIFFERENT)


def confirm_before_install(loaded, target: Path) -> None:
    """Used by `ccrgen build --install` without --yes: show the diff, then ask.
    Answering no (or no terminal to answer) aborts with exit 130 and writes nothing."""
    from ccrgen import diff_report

    changes, files = planned_changes(loaded, target)
    if not changes and not files:
        click.echo(f"{target}: already up to date")
        return
    click.echo(f"changes to {target}:")
    click.echo(diff_report.text(changes, files, color=sys.stdout.isatty()), nl=False)
    click.confirm("write these changes?", abort=True)
