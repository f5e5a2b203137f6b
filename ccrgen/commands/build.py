from __future__ import annotations

from pathlib import Path

import click

from ccrgen.commands.options import ccr_dir_option, preset_option, resolve_ccr_dir, spec_argument


@click.command("build")
@spec_argument
@preset_option
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False),
              help="Write into this folder (default: ./build). Transformer paths point there.")
@click.option("--install", is_flag=True, help="Install into CCR's folder (see --ccr-dir).")
@ccr_dir_option
@click.option("--dry-run", is_flag=True, help="Print what would be written; write nothing.")
@click.option("--yes", "-y", is_flag=True, help="With --install: do not ask before replacing files.")
@click.option("--ignore", multiple=True, metavar="CODE", help="Lint rule to skip (repeatable).")
def command(spec, preset, out_dir, install, ccr_dir, dry_run, yes, ignore):
    """Build config.json and transformer files from SPEC (default ./ccrgen.yaml) or --preset.

    The build is refused, and nothing written, when the result would not work in CCR 2.0.0
    (schema or lint errors). With --install, replaced files are backed up as CCR does.
    """
    from ccrgen import build, install as installer, loader
    from ccrgen.errors import InputError

    if install and out_dir:
        raise InputError("give --out or --install, not both")
    target = resolve_ccr_dir(ccr_dir) if install else Path(out_dir or "build").expanduser().absolute()
    loaded = loader.load(spec, preset=preset, ccr_dir=target)
    warnings = build.check(loaded, ignore=ignore)
    files = build.planned_files(loaded)

    if dry_run:
        _print_dry_run(target, files, installer.write_files(target, files, dry_run=True))
        _print_warnings(warnings)
        return
    if install and not yes:
        _confirm_install(loaded, target)
    results = installer.write_files(target, files)
    click.echo(f"built from {loaded.file}")
    for r in results:
        line = f"  {r.status:<9} {r.path}"
        if r.backup:
            line += f"  (backup: {r.backup.name})"
        click.echo(line)
    _print_warnings(warnings)
    if install and any(r.status != "unchanged" for r in results):
        click.echo("CCR reads config.json only when it starts: run `ccr restart` to use the new config.")


def _confirm_install(loaded, target: Path) -> None:
    """Show what would change and ask, when a terminal is there to answer (issue: diff)."""
    try:
        from ccrgen.commands.diff import confirm_before_install
    except ImportError:
        return
    confirm_before_install(loaded, target)


def _print_dry_run(target, files, results) -> None:
    from ccrgen.secrets import mask_config

    import json

    for r in results:
        click.echo(f"would write {r.path} ({r.status})")
        text = files[r.path.name][0]
        if r.path.name == "config.json":
            text = json.dumps(mask_config(json.loads(text)), indent=2, ensure_ascii=False) + "\n"
        click.echo(text, nl=False)


def _print_warnings(findings) -> None:
    """Warnings go to stderr after the build; info findings are for `ccrgen lint`."""
    from ccrgen.lint.report import text

    warnings = [f for f in findings if f.severity == "warning"]
    if warnings:
        click.echo(text(warnings, summary=False), err=True, nl=False)
