"""`ccrgen rules`: every lint rule, or one explained; `--markdown` writes docs/rules.md."""

from __future__ import annotations

import click

from ccrgen.commands.options import format_option
from ccrgen.commands.completers import complete_rule_codes


@click.command("rules")
@click.argument("code", required=False, shell_complete=complete_rule_codes)
@click.option("--markdown", is_flag=True, help="Print every rule as Markdown (docs/rules.md).")
@format_option
def command(code, markdown, format_):
    """List lint rules (code, severity, summary), or explain CODE."""
    from ccrgen.lint import docs
    from ccrgen.lint.engine import all_rules

    rules = all_rules()
    if code:
        found = rules.get(code.upper()) or next((r for r in rules.values() if r.name == code), None)
        if found is None:
            raise click.BadParameter(f"no rule {code!r}; `ccrgen rules` lists them", param_hint="CODE")
        if format_ == "json":
            click.echo(docs.as_json([found]), nl=False)
            return
        click.echo(docs.explain(found))
        from ccrgen.lint.fixes import has_builder

        if has_builder(found.code):
            click.echo("\n`ccrgen lint --fix` fixes it where the fix is certain (`--diff` shows how).")
    elif markdown:
        click.echo(docs.markdown(rules.values()), nl=False)
    elif format_ == "json":
        click.echo(docs.as_json(rules.values()), nl=False)
    else:
        click.echo(docs.table(rules.values()), nl=False)
