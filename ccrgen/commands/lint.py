"""`ccrgen lint`: find mistakes in YAML specs and CCR config.json files, and fix the certain ones."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ccrgen.commands.options import codes_option, format_option, preset_option

EXIT_FINDINGS = 1


@click.command("lint")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@preset_option
@format_option(choices=("text", "json", "github", "sarif"), help_text="How findings are printed.")
@click.option("--strict", is_flag=True, help="Warnings fail too (exit 1).")
@codes_option("--select", "Report only these rule codes or prefixes (e.g. CCR05; repeatable).")
@codes_option("--ignore", "Do not report these rule codes or prefixes (repeatable).")
@click.option("--statistics", is_flag=True, help="Print how often each rule fired instead of the findings.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when findings fail (unreadable input still exits 2).")
@click.option("--fix", is_flag=True, help="Apply the certain fixes in place (the original is backed up).")
@click.option("--diff", is_flag=True, help="Show the fixes as a unified diff; write nothing.")
@click.option("--unsafe-fixes", is_flag=True, help="With --fix/--diff: also apply fixes that may change behaviour.")
@click.option("--stdin-filename", metavar="NAME", help="The name (and kind, by suffix) of the text read from `-`.")
@click.option("--target", "build_target", type=click.Choice(["ccr2", "ccr3"]), default="ccr2", show_default=True,
              help="ccr3: also warn (stderr) about what CCR 3.x cannot express or routes differently.")
def command(files, preset, format_, strict, select, ignore, statistics, exit_zero, fix, diff, unsafe_fixes,
            stdin_filename, build_target):
    """Lint FILES: YAML specs and CCR config.json (JSON5) files alike (default ./ccrgen.yaml).

    A folder stands for its *.json, *.json5, *.yaml and *.yml files; `-` reads stdin
    (with --fix, the fixed text goes to stdout). Exit 0 when clean (warnings allowed unless
    --strict), 1 when findings fail (with --diff: when there is something to fix), 2 when an
    input could not be read at all.
    """
    from ccrgen.common.inputs import paused_gc

    # Lint imports its rules and builds short-lived data without cycles: the collector's
    # passes over everything imported so far would only cost time.
    with paused_gc():
        _command(files, preset, format_, strict, select, ignore, statistics, exit_zero, fix, diff, unsafe_fixes,
                 stdin_filename, build_target)


def _command(files, preset, format_, strict, select, ignore, statistics, exit_zero, fix, diff, unsafe_fixes,
             stdin_filename, build_target):
    from ccrgen.common import console
    from ccrgen.errors import CcrgenError, EXIT_UNREADABLE
    from ccrgen.lint import inputs, report
    from ccrgen.lint.engine import all_rules, lint_path, sort_findings
    from ccrgen.spec.loader import DEFAULT_SPEC

    if preset and files:
        raise click.UsageError("give files or --preset, not both")
    if (fix or diff) and preset:
        raise click.UsageError("--fix and --diff edit files; a preset is not yours to edit")
    fmt = format_
    if statistics and fmt not in ("text", "json"):
        raise click.UsageError("--statistics prints text or json")
    rules = all_rules()
    if select:
        ignore = tuple(dict.fromkeys(ignore + tuple(code for code in rules if code not in select)))

    default_missing = not preset and not files and not Path(DEFAULT_SPEC).exists()
    targets = [] if preset or default_missing else inputs.expand(files or [DEFAULT_SPEC],
                                                                 stdin_filename=stdin_filename)
    stdin_text = sys.stdin.read() if any(t.stdin for t in targets) else None
    findings, unreadable, would_change = [], False, False
    if preset or default_missing:  # lint_path explains a missing ./ccrgen.yaml
        try:
            findings = lint_path(None, preset=preset, ignore=ignore)
        except CcrgenError as exc:
            click.echo(exc.render(), err=True)
            unreadable = True
    for target in targets:
        try:
            found, changed = _lint_one(target, stdin_text, ignore=ignore, fix=fix, diff=diff, unsafe=unsafe_fixes)
        except CcrgenError as exc:  # the file could not be read (or written) at all
            click.echo(exc.render(), err=True)
            if exc.exit_code != EXIT_UNREADABLE:
                sys.exit(exc.exit_code)
            unreadable = True
            continue
        findings += found
        would_change |= changed
    findings = sort_findings(findings)

    # With --diff, or --fix on stdin, stdout holds the diff or the fixed text: the report goes to stderr.
    to_stderr = diff or (fix and any(t.stdin for t in targets))
    color = console.use_color(sys.stderr if to_stderr else sys.stdout)
    click.echo(report.render(findings, fmt, rules, color=color, show_statistics=statistics,
                             unreadable=unreadable),
               nl=False, err=to_stderr, color=color)

    ccr3_problems = []
    if build_target == "ccr3":
        from ccrgen.targets.ccr3_cli import echo_warnings, lint_problems

        ccr3_problems = lint_problems(files, preset)
        echo_warnings(ccr3_problems)
    failing = {"error", "warning"} if strict else {"error"}
    if unreadable:
        sys.exit(EXIT_UNREADABLE)
    if exit_zero:
        return
    if (diff and would_change) or any(f.severity in failing for f in findings) or (strict and ccr3_problems):
        sys.exit(EXIT_FINDINGS)


def _lint_one(target, stdin_text, *, ignore, fix, diff, unsafe) -> tuple[list, bool]:
    """(findings left, whether fixing changed the text) for one input; with --fix the file
    is rewritten (stdin: the fixed text printed), with --diff the diff printed."""
    from ccrgen.lint import inputs
    from ccrgen.lint.engine import lint_text

    text = inputs.read(target, stdin_text)
    if not (fix or diff):
        return lint_text(target.path, text, ignore=ignore), False
    from ccrgen.lint import fix as fixing

    result = fixing.fix_text(target.path, text, unsafe=unsafe, ignore=ignore)
    if diff:
        click.echo(fixing.unified_diff(str(target.path), result.original, result.text), nl=False)
    elif target.stdin:
        click.echo(result.text, nl=False)
    elif result.changed:
        written = fixing.write_fixed(target.path, result.text)
        backup = f" (backup: {written.backup.name})" if written.backup else ""
        n = len(result.applied)
        click.echo(f"fixed {n} problem{'s' if n != 1 else ''} in {target.path}{backup}", err=True)
    if diff and result.changed:
        n = len(result.applied)
        click.echo(f"would fix {n} problem{'s' if n != 1 else ''} in {target.path}", err=True)
    return result.findings, result.changed
