from __future__ import annotations

from pathlib import Path

import click

from ccrgen.commands.options import ccr_dir_option, echo_json, format_option, is_stdio, resolve_ccr_dir


@click.group("preset")
def command():
    """List, show and export presets (bundled, and your own in the user presets folder)."""


@command.command("list")
@format_option
def list_presets(format_):
    """Every preset: name, description, providers, models, default route."""
    from ccrgen.spec.presets import preset_summaries, user_presets_dir

    rows = preset_summaries()
    if format_ == "json":
        echo_json(rows)
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
@format_option
def show(name, format_):
    """Print a preset's YAML, with its comments (--format json: name, origin, path, the YAML
    text and its data)."""
    from ccrgen.spec.presets import find_preset
    from ccrgen.common.inputs import read_text

    ref = find_preset(name)
    if format_ == "json":
        from ccrgen.spec.load import parse_yaml

        text = read_text(ref.path)
        echo_json({"name": ref.name, "origin": ref.origin, "path": str(ref.path),
                   "data": parse_yaml(text, str(ref.path)).data, "yaml": text})
        return
    click.echo(f"# {ref.origin} preset '{ref.name}': {ref.path}")
    click.echo(read_text(ref.path), nl=False)


@command.command("export")
@click.argument("name")
@click.option("--ccr", "as_ccr", is_flag=True, help="CCR 2.0.0's preset format (the default and only one).")
@ccr_dir_option
@click.option("--output", "-o", type=click.Path(path_type=Path, file_okay=False, allow_dash=True), default=None,
              help="Write the folder here instead (to share it). `-`: print manifest.json to stdout "
                   "(only for a preset without transformer files).")
@format_option
def export(name, as_ccr, ccr_dir, output, format_):
    """Write preset NAME as a CCR preset: manifest.json (metadata, a schema that asks for
    the keys, a template) and its transformer files, into CCR's presets folder
    (~/.claude-code-router/presets/NAME/). Then `ccr preset install NAME` asks for the keys.
    Keys are never embedded."""
    import json

    from ccrgen.spec import loader
    from ccrgen.config.ccr_preset import manifest
    from ccrgen.lifecycle.install import PUBLIC, write_files

    loaded = loader.load(preset=name)
    document, files = manifest(name, loaded)
    if is_stdio(output):
        _print_manifest_only(name, document, files, as_json=format_ == "json")
        return
    folder = output.absolute() if output else resolve_ccr_dir(ccr_dir) / "presets" / name
    written = {"manifest.json": (json.dumps(document, indent=2, ensure_ascii=False) + "\n", PUBLIC)}
    written.update({file: (text, PUBLIC) for file, text in files.items()})
    results = write_files(folder, written)
    if format_ == "json":
        from ccrgen.lifecycle.diff_report import result_dict

        echo_json({"folder": str(folder), "files": [result_dict(r) for r in results],
                   "asks_for": [field["id"] for field in document["schema"]]})
        return
    for result in results:
        backup = f" (previous file backed up to {result.backup.name})" if result.backup else ""
        click.echo(f"{result.status} {result.path}{backup}")
    asks = ", ".join(field["id"] for field in document["schema"]) or "nothing"
    if output:
        click.echo(f"to install: copy this folder to ~/.claude-code-router/presets/{name}/, then run "
                   f"`ccr preset install {name}` (it asks for: {asks}). CCR 2.0.0's `ccr preset install FOLDER` "
                   "fails for a new preset: it writes manifest.json before creating its folder.")
    else:
        click.echo(f"next: `ccr preset install {name}` asks for: {asks}; `ccr preset list` shows it")


def _print_manifest_only(name: str, document: dict, files: dict, *, as_json: bool) -> None:
    """`-o -`: manifest.json on stdout (it embeds no key), which is the whole preset only when
    it has no transformer file."""
    import json

    from ccrgen.errors import InputError

    if files:
        raise InputError(f"preset {name} exports {len(files) + 1} files (manifest.json and {', '.join(sorted(files))}): "
                         "`-o -` prints only a manifest.json",
                         hint="use -o FOLDER, or export into CCR's presets folder (no -o)")
    if as_json:
        echo_json(document)
        return
    click.echo(json.dumps(document, indent=2, ensure_ascii=False))
