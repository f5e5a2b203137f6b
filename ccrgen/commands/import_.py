"""`ccrgen import CONFIG -o ccrgen.yaml`: an existing CCR config.json as a ccrgen spec."""

from __future__ import annotations

from pathlib import Path

import click

from ccrgen.commands.options import echo_file_to_stdout, echo_json, format_option, is_stdio, read_stdin_text


@click.command("import")
@click.argument("config", required=False, type=click.Path(path_type=Path, dir_okay=False, allow_dash=True))
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False, allow_dash=True),
              help="Write the spec here (a replaced file is backed up; `-`: stdout, literal keys masked "
                   "on a terminal). Without it the spec is printed, with literal keys masked.")
@click.option("--no-preset", is_flag=True, help="Write every key, even where a bundled preset matches.")
@format_option
def command(config, output, no_preset, format_):
    """Turn CONFIG (default ~/.claude-code-router/config.json; `-`: stdin) into a spec that builds back
    to it: modelled keys become spec keys, the rest passes through, a Hicap-style header
    transformer becomes `auth:`, and a config that matches a bundled preset extends it."""
    from ccrgen.spec import loader
    from ccrgen.lifecycle.diff_report import result_dict
    from ccrgen.errors import InputError
    from ccrgen.config.importer import holds_literal_secret, import_config, to_yaml
    from ccrgen.lifecycle.install import PRIVATE, PUBLIC, write_files
    from ccrgen.common.secrets import mask_config

    from ccrgen.targets.ccr3_import import ccr3_source, import_installed

    path = config or loader.default_ccr_dir() / "config.json"
    if is_stdio(path):
        imported = import_config(loader.load_config(path, text=read_stdin_text()), use_presets=not no_preset)
    elif (source3 := ccr3_source(path, explicit=config is not None)) is not None:
        path, imported = source3, import_installed(source3)   # a CCR 3.x install (config.sqlite)
    else:
        if not path.exists():
            raise InputError(f"{path}: no such file", hint="name the config.json to import")
        loaded = loader.load_config(path)
        imported = import_config(loaded, use_presets=not no_preset)
    for note in imported.notes:
        click.echo(f"note: {note}", err=True)
    secret = holds_literal_secret(imported.spec)
    if format_ == "json" and output is None:
        echo_json({"source": str(path), "extends": imported.extends, "notes": list(imported.notes),
                   "spec": mask_config(imported.spec) if secret else imported.spec})
        return
    if is_stdio(output):
        text = to_yaml(imported, str(path))
        masked = None
        if secret:
            imported.spec = mask_config(imported.spec)
            masked = to_yaml(imported, str(path))
            click.echo("warning: the spec holds a literal key: replace it with a $ENV_VAR reference", err=True)
        echo_file_to_stdout(text, masked)
        return
    if output is None:
        if secret:
            imported.spec = mask_config(imported.spec)
            click.echo("note: literal keys are masked in this output; use -o FILE to write them "
                       "(better: replace them with $ENV_VAR references)", err=True)
        click.echo(to_yaml(imported, str(path)), nl=False)
        return
    output = output.absolute()
    [result] = write_files(output.parent, {output.name: (to_yaml(imported, str(path)), PRIVATE if secret else PUBLIC)})
    backup = f", previous file backed up to {result.backup}" if result.backup else ""
    how = f"extends {imported.extends}" if imported.extends else "every key written out"
    if secret:
        click.echo("warning: the spec holds a literal key (mode 0600): replace it with a $ENV_VAR reference",
                   err=True)
    if format_ == "json":
        echo_json({"source": str(path), "extends": imported.extends, "notes": list(imported.notes),
                   "file": result_dict(result)})
        return
    click.echo(f"{result.status} {output} ({how}{backup})")
    click.echo(_next_step(output, path))


def _next_step(output: Path, imported_from: Path) -> str:
    """How to check the spec against the config it was imported from (not the installed one)."""
    if is_stdio(imported_from):
        return f"next: `ccrgen diff {output.name} --against CONFIG` (the config you piped in) shows that it builds back to it"
    if imported_from.suffix.lower() not in (".json", ".json5"):   # a CCR 3.x config.sqlite
        return f"next: `ccrgen lint {output.name}` checks it"
    return f"next: `ccrgen diff {output.name} --against {imported_from}` shows that it builds back to it"
