from __future__ import annotations

import click


@click.group("preset")
def command():
    """List, show and export presets (bundled, and your own in the user presets folder)."""


@command.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def list_presets(as_json):
    """Every preset: name, description, providers, models, default route."""
    import json

    from ccrgen.presets import preset_summaries, user_presets_dir

    rows = preset_summaries()
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    headers = ("NAME", "ORIGIN", "PROVIDERS", "MODELS", "DEFAULT ROUTE", "DESCRIPTION")
    table = [(r["name"], r["origin"], ",".join(r["providers"]), str(r["models"]), r["default_route"],
              r["description"]) for r in rows]
    widths = [max(len(h), *(len(t[i]) for t in table)) if table else len(h) for i, h in enumerate(headers)]
    widths[-1] = len(headers[-1])
    for line in [headers] + table:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(line, widths)).rstrip())
    click.echo(f"\nyour own presets: {user_presets_dir()}/<name>.yaml")


@command.command("show")
@click.argument("name")
def show(name):
    """Print a preset's YAML, with its comments."""
    from ccrgen.presets import find_preset
    from ccrgen.spec.load import read_text

    ref = find_preset(name)
    click.echo(f"# {ref.origin} preset '{ref.name}': {ref.path}")
    click.echo(read_text(ref.path), nl=False)
