"""`ccrgen rules`: every lint rule, or one explained; `--markdown` writes docs/rules.md."""

from __future__ import annotations

import click

from ccrgen.completion import complete_rule_codes


@click.command("rules")
@click.argument("code", required=False, shell_complete=complete_rule_codes)
@click.option("--markdown", is_flag=True, help="Print every rule as Markdown (docs/rules.md).")
@click.option("--json", "as_json", is_flag=True, help="Print the rules as JSON.")
def command(code, markdown, as_json):
    """List lint rules (code, severity, summary), or explain CODE."""
    from ccrgen.lint import docs
    from ccrgen.lint.engine import all_rules

    rules = all_rules()
    if code:
        found = rules.get(code.upper()) or next((r for r in rules.values() if r.name == code), None)
        if found is None:
            raise click.BadParameter(f"no rule {code!r}; `ccrgen rules` lists them", param_hint="CODE")
        click.echo(docs.explain(found))
    elif markdown:
        click.echo(docs.markdown(rules.values()), nl=False)
    elif as_json:
        click.echo(docs.as_json(rules.values()), nl=False)
    else:
        click.echo(docs.table(rules.values()), nl=False)
