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

    from ccrgen.errors import CcrgenError
    from ccrgen.presets import all_presets, user_presets_dir
    from ccrgen.spec.resolve import resolve_file

    rows = []
    for ref in all_presets():
        row = {"name": ref.name, "origin": ref.origin, "path": str(ref.path)}
        try:
            spec = resolve_file(ref.path).spec
            row.update(
                description=spec.description or "",
                providers=list(spec.providers),
                models=sum(len(p.models) for p in spec.providers.values()),
                default_route=spec.routes.default or "",
            )
        except CcrgenError as exc:  # a broken user preset is listed, with why
            row.update(description=f"(invalid: {exc.message})", providers=[], models=0, default_route="")
        if ref.shadows_bundled:
            row["origin"] = "user (replaces bundled)"
        rows.append(row)
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
