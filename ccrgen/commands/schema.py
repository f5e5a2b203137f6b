import click


@click.command("schema")
def command():
    """Print the JSON Schema of the spec language (also in schemas/ccrgen.schema.json)."""
    from ccrgen.spec.schema import spec_schema_text

    click.echo(spec_schema_text(), nl=False)
