"""`ccrgen resolve`: the merged spec, each value with the file and line it came from."""

from __future__ import annotations

import json

import click

from ccrgen.commands.options import format_option, load_input, preset_option, spec_argument


@click.command("resolve")
@spec_argument
@preset_option
@format_option
def command(spec, preset, format_):
    """Print SPEC (default ./ccrgen.yaml; `-`: stdin) or a preset after every `extends` is merged, each
    value annotated with its origin (`ccrgen.yaml:3`, `preset hicap:12`). Secrets written in
    a spec are masked; environment variable names are shown."""
    from ccrgen.errors import InputError
    from ccrgen.spec import annotate

    loaded = load_input(spec, preset=preset)
    if loaded.kind != "spec":
        raise InputError(f"{loaded.file} is a CCR config.json: there is nothing to merge",
                         hint="`ccrgen import` turns it into a spec")
    if format_ == "json":
        click.echo(json.dumps(annotate.entries(loaded.document), indent=2, ensure_ascii=False))
    else:
        click.echo(annotate.as_yaml(loaded.document), nl=False)
