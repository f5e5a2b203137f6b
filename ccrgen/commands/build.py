from __future__ import annotations

from pathlib import Path

import click

from ccrgen.commands.options import (ccr_dir_option, codes_option, echo_file_to_stdout, echo_json, format_option,
                                     is_stdio, load_input, preset_option, resolve_ccr_dir, spec_argument)
from ccrgen.spec.presets import display_name


@click.command("build")
@spec_argument
@preset_option
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False, allow_dash=True),
              help="Write into this folder (default: ./build). Transformer paths point there. "
                   "`-`: print config.json to stdout (only when there is no transformer file).")
@click.option("--install", is_flag=True, help="Install into CCR's folder (see --ccr-dir).")
@click.option("--target", "build_target", type=click.Choice(["ccr2", "ccr3"]), default=None,
              help="The CCR to build for: ccr2 (2.0.0, config.json; the default) or ccr3 (3.1.1, config.sqlite). "
                   "--install without it follows the installed ccr.")
@ccr_dir_option
@click.option("--dry-run", is_flag=True, help="Print the files that would be written (stdout); write nothing.")
@click.option("--yes", "-y", is_flag=True, help="With --install: do not ask before replacing files.")
@codes_option("--ignore", "Lint rule codes or prefixes to skip (comma-separated or repeated).")
@format_option
def command(spec, preset, out_dir, install, ccr_dir, dry_run, yes, ignore, format_, build_target):
    """Build config.json and transformer files from SPEC (default ./ccrgen.yaml; `-`: stdin)
    or --preset.

    The build is refused, and nothing written, when the result would not work in CCR 2.0.0
    (schema or lint errors). With --install, the files are written as one set, replaced files
    are backed up as CCR does, and the install is recorded in `ccrgen history`. --dry-run
    prints the files to stdout and what would happen to each to stderr.
    """
    from ccrgen.config import build
    from ccrgen.errors import InputError

    if install and out_dir:
        raise InputError("give --out or --install, not both")
    to_stdout = is_stdio(out_dir)
    if to_stdout and dry_run:
        raise InputError("--out - prints config.json already; --dry-run adds nothing", hint="drop one of them")
    target = (resolve_ccr_dir(ccr_dir) if install
              else Path.cwd() if to_stdout else Path(out_dir or "build").expanduser().absolute())
    import gc

    from ccrgen.common.inputs import paused_gc

    with paused_gc():
        loaded = load_input(spec, preset=preset, ccr_dir=None if to_stdout else target)
        # What was read (for a 1,000-provider spec, millions of objects: values, marks, the
        # model) lives as long as the command: out of the cyclic collector's way, which would
        # otherwise walk all of it, more than once, as soon as it is enabled again (0.15 s).
        gc.freeze()
        from ccrgen.targets import ccr3_cli

        if ccr3_cli.choose_target(build_target, install) == "ccr3":  # CCR 3.x: config.sqlite, applied live
            ccr3_cli.build(loaded, out_dir=target, install=install, ccr_dir=target, dry_run=dry_run, yes=yes,
                           ignore=ignore)
            return
        findings = build.check(loaded, ignore=ignore)
    files = build.planned_files(loaded)
    as_json = format_ == "json"

    if to_stdout:
        _print_config_only(loaded, files, as_json)
        report = None
    elif dry_run:
        from ccrgen.lifecycle import install as installer

        report = _print_dry_run(files, installer.write_files(target, files, dry_run=True), as_json)
    elif install:
        report = _install(loaded, target, spec, preset, yes, as_json)
    else:
        report = _write(loaded, target, files, as_json)
    if as_json and report is not None:
        report.update({"built_from": display_name(loaded.file), "target": str(target), "dry_run": dry_run,
                       "findings": [f.as_dict() for f in findings]})
        echo_json(report)
    _print_findings(findings, "would be written" if dry_run else "installed" if install else "built")


def _print_config_only(loaded, files, as_json: bool) -> None:
    """`--out -`: config.json on stdout, which works only when it needs no transformer file."""
    import json

    from ccrgen.errors import InputError
    from ccrgen.common.secrets import mask_config

    others = [name for name in files if name != "config.json"]
    if others:
        raise InputError(f"{display_name(loaded.file)} builds {len(files)} files (config.json and "
                         f"{', '.join(others)}): `--out -` prints only a config.json",
                         hint="use --out FOLDER or --install (the config names the transformer file by its path)")
    text = files["config.json"][0]
    if as_json:
        echo_json(json.loads(text))
        return
    echo_file_to_stdout(text, json.dumps(mask_config(json.loads(text)), indent=2, ensure_ascii=False) + "\n")


def _install(loaded, target: Path, spec, preset, yes: bool, as_json: bool):
    """Show what changes (always when files were edited by hand), ask, write as one set."""
    from ccrgen.lifecycle import diff_report, plan as planner

    source = f"{loaded.kind} read from stdin" if is_stdio(spec) else planner.source_of(spec, preset, loaded)
    plan = planner.for_build(loaded, target, source=source)
    diff_report.echo_plan(plan, ask=not yes, err=as_json)
    applied = planner.apply(plan)
    if as_json:
        return diff_report.applied_dict(applied)
    click.echo(f"built from {display_name(loaded.file)}")
    click.echo(diff_report.applied_text(applied), nl=False)
    return None


def _write(loaded, target: Path, files, as_json: bool):
    from ccrgen.lifecycle import diff_report, install as installer, plan as planner

    for note in planner.recover_if_needed(target):  # an interrupted earlier build into it
        click.echo(f"note: {note}", err=True)
    results = installer.write_files(target, files)
    if as_json:
        return {"files": [diff_report.result_dict(r) for r in results]}
    click.echo(f"built from {display_name(loaded.file)}")
    click.echo(diff_report.results_text(results), nl=False)
    return None


def _print_dry_run(files, results, as_json: bool):
    """The files on stdout (config.json with its secrets masked), one `would write` line per
    file on stderr: `build --dry-run > config.json` is the file alone."""
    import json

    from ccrgen.common.secrets import mask_config

    shown = []
    for r in results:
        text = files[r.path.name][0]
        if r.path.name == "config.json":
            text = json.dumps(mask_config(json.loads(text)), indent=2, ensure_ascii=False) + "\n"
        shown.append({"path": str(r.path), "status": r.status, "content": text})
        if not as_json:
            click.echo(f"would write {r.path} ({r.status})", err=True)
            click.echo(text, nl=False)
    return {"files": shown} if as_json else None


def _print_findings(findings, done: str) -> None:
    """Warnings and environment errors go to stderr after the build; info is for `ccrgen lint`.
    An unset variable is an error that does not stop the build (the file is right): say what
    CCR does until it is set."""
    from ccrgen.config import build
    from ccrgen.lint.report import text

    shown = [f for f in findings if f.severity in ("warning", "error")]
    if shown:
        click.echo(text(shown, summary=False), err=True, nl=False)
    names = build.unset_names(findings)
    if names:
        literal = ", ".join(f"${n}" for n in names)
        click.echo(f"{done} anyway: CCR will send the literal text {literal} until you set "
                   f"{'it' if len(names) == 1 else 'them'} (export, then `ccr restart`)", err=True)
