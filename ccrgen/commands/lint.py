"""`ccrgen lint`: find mistakes in YAML specs and CCR config.json files."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ccrgen.commands.options import preset_option

EXIT_FINDINGS = 1


def _codes(ctx, param, values) -> tuple[str, ...]:
    return tuple(code.strip().upper() for value in values for code in value.split(",") if code.strip())


@click.command("lint")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path, dir_okay=False))
@preset_option
@click.option("--format", "fmt", type=click.Choice(["text", "json", "github", "sarif"]), default="text",
              show_default=True, help="How findings are printed.")
@click.option("--strict", is_flag=True, help="Warnings fail too (exit 1).")
@click.option("--ignore", multiple=True, callback=_codes, metavar="CODE[,CODE]",
              help="Do not report these rule codes (repeatable).")
def command(files, preset, fmt, strict, ignore):
    """Lint FILES: YAML specs and CCR config.json (JSON5) files alike (default ./ccrgen.yaml).

    Exit 0 when clean (warnings allowed unless --strict), 1 when findings fail, 2 when an
    input could not be read at all.
    """
    from ccrgen.errors import CcrgenError, EXIT_UNREADABLE
    from ccrgen.lint import report
    from ccrgen.lint.engine import all_rules, lint_path, sort_findings

    unknown = [code for code in ignore if code not in all_rules()]
    if unknown:
        raise click.BadParameter(f"no rule {', '.join(unknown)} (see `ccrgen rules`)", param_hint="--ignore")
    targets = [(None, preset)] if preset else [(f, None) for f in files] or [(None, None)]
    if preset and files:
        raise click.UsageError("give files or --preset, not both")

    findings, unreadable = [], False
    for path, name in targets:
        try:
            findings += lint_path(path, preset=name, ignore=ignore)
        except CcrgenError as exc:  # the file could not be read at all
            click.echo(exc.render(), err=True)
            unreadable = True
    findings = sort_findings(findings)

    if fmt == "json":
        click.echo(report.as_json(findings), nl=False)
    elif fmt == "github":
        click.echo(report.github(findings), nl=False)
    elif fmt == "sarif":
        click.echo(report.sarif(findings, all_rules()), nl=False)
    else:
        click.echo(report.text(findings, color=sys.stdout.isatty()), nl=False)

    failing = {"error", "warning"} if strict else {"error"}
    if unreadable:
        sys.exit(EXIT_UNREADABLE)
    if any(f.severity in failing for f in findings):
        sys.exit(EXIT_FINDINGS)
