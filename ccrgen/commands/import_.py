"""`ccrgen import CONFIG -o ccrgen.yaml`: an existing CCR config.json as a ccrgen spec."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("import")
@click.argument("config", required=False, type=click.Path(path_type=Path, dir_okay=False))
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False),
              help="Write the spec here (a replaced file is backed up). Without it the spec is printed, "
                   "with literal keys masked.")
@click.option("--no-preset", is_flag=True, help="Write every key, even where a bundled preset matches.")
def command(config, output, no_preset):
    """Turn CONFIG (default ~/.claude-code-router/config.json) into a spec that builds back
    to it: modelled keys become spec keys, the rest passes through, a Hicap-style header
    transformer becomes `auth:`, and a config that matches a bundled preset extends it."""
    from ccrgen import loader
    from ccrgen.errors import InputError
    from ccrgen.importer import holds_literal_secret, import_config, to_yaml
    from ccrgen.install import PRIVATE, PUBLIC, write_files
    from ccrgen.secrets import mask_config

    path = config or loader.default_ccr_dir() / "config.json"
    if not path.exists():
        raise InputError(f"{path}: no such file", hint="name the config.json to import")
    loaded = loader.load_config(path)
    imported = import_config(loaded, use_presets=not no_preset)
    for note in imported.notes:
        click.echo(f"note: {note}", err=True)
    secret = holds_literal_secret(imported.spec)
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
    click.echo(f"{result.status} {output} ({how}{backup})")
    if secret:
        click.echo("warning: the spec holds a literal key (mode 0600): replace it with a $ENV_VAR reference",
                   err=True)
    click.echo(f"next: `ccrgen diff {output.name}` shows that it builds back to {path.name}")
