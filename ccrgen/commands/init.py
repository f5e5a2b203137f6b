from __future__ import annotations

from pathlib import Path

import click

from ccrgen.commands.options import echo_json, format_option, is_stdio

SCHEMA_NAME = "ccrgen.schema.json"

STARTER = """\
# yaml-language-server: $schema={schema_url}
#
# ccrgen spec: `ccrgen build --install` turns it into ~/.claude-code-router/config.json.
# Everything the preset '{preset}' sets is inherited; set a key here to change it,
# `key: null` to remove it, `key+: [...]` to append to a list. `ccrgen preset show {preset}`
# prints the preset; `ccrgen schema` prints every key this file may hold.
extends: {preset}

# Keys stay environment references ($NAME): CCR reads them when it starts.
# server:
#   port: 3456
#   api_key: $MY_ROUTER_KEY

# providers:
#   {provider}:
#     models:
#       my-extra-model: {{context_window: 128000}}

# routes:
#   default: {default_route}
#   long_context_threshold: 60000

# lint:
#   ignore: []        # rule codes to silence, see `ccrgen rules`
"""


@click.command("init")
@click.option("--preset", default="hicap", show_default=True, help="Preset the spec extends.")
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False, allow_dash=True),
              default=Path("ccrgen.yaml"), show_default=True,
              help="Where to write the spec (`-`: stdout, and no schema file).")
@click.option("--force", is_flag=True, help="Replace the file if it exists.")
@format_option
def command(preset, output, force, format_):
    """Write a starter ccrgen.yaml that extends a preset, with comments."""
    from ccrgen.errors import InputError
    from ccrgen.lifecycle.install import PUBLIC, write_files
    from ccrgen.spec.presets import find_preset
    from ccrgen.common.resources import data_dir
    from ccrgen.spec.resolve import resolve_file

    if not is_stdio(output) and output.exists() and not force:
        raise InputError(f"{output} exists already", hint="use --force to replace it (a backup is kept)")
    spec = resolve_file(find_preset(preset).path).spec
    provider = next(iter(spec.providers), "my-provider")
    text = STARTER.format(
        schema_url=SCHEMA_NAME,
        preset=preset, provider=provider, default_route=spec.routes.default or "provider,model",
    )
    if is_stdio(output):
        click.echo(text, nl=False)
        click.echo(f"note: `ccrgen schema > {SCHEMA_NAME}` beside the spec gives editors its schema", err=True)
        return
    output = output.absolute()
    # The schema goes beside the spec and the $schema line names it relatively: it survives a
    # rebuilt venv and travels with the spec (`ccrgen schema > ccrgen.schema.json` refreshes it).
    schema = (data_dir("schemas") / SCHEMA_NAME).read_text(encoding="utf-8")
    results = write_files(output.parent, {output.name: (text, PUBLIC), SCHEMA_NAME: (schema, PUBLIC)})
    if format_ == "json":
        from ccrgen.lifecycle.diff_report import result_dict

        echo_json({"extends": preset, "files": [result_dict(r) for r in results]})
        return
    click.echo(f"wrote {output} (extends {preset}) and {SCHEMA_NAME} beside it for editors")
    for name in _unset_variables(output):
        # lint and build report it as CCR072 until then (CCR would send the literal $NAME)
        click.echo(f"set first: export {name}=...  (CCR reads it when it starts; `ccrgen lint` reports it until then)")
    click.echo(f"next: `ccrgen build {output.name} --install`, or `ccrgen diff {output.name}` first")


def _unset_variables(spec_file: Path) -> list[str]:
    """The variables the new spec needs that this shell has not set: lint's own verdict
    (CCR072), so that init and lint can never disagree."""
    from ccrgen.config.build import unset_names
    from ccrgen.lint.engine import environment_codes, lint
    from ccrgen.spec.loader import load

    return unset_names(lint(load(spec_file), select=environment_codes()))
