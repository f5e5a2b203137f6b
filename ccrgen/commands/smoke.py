"""`ccrgen smoke`: send one request down every route and show where each landed."""

from __future__ import annotations

import click

from ccrgen.commands.options import config_file_option, load_source, preset_option, spec_argument


@click.command("smoke")
@spec_argument
@config_file_option
@preset_option
@click.option("--mock-upstream", is_flag=True, help="Replace every provider with the built-in mock (offline).")
@click.option("--via", type=click.Choice(["ccrgen", "ccr"]), default="ccrgen", show_default=True,
              help="Send the requests through ccrgen's proxy, or through a real CCR in a temp HOME.")
@click.option("--ccr", "ccr_path", metavar="PATH", help="The CCR to use with --via ccr (default: `ccr` on PATH).")
@click.option("--all-models", is_flag=True, help="Also send an explicit provider,model request for every model.")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
def command(spec, config_file, preset, mock_upstream, via, ccr_path, all_models, as_json):
    """Send one request per configured route (default, background, think, long context
    just over the threshold, web search, image) through the proxy, and print a table:
    route, expected model, the model that reached the upstream, HTTP status, latency.

    Exits 0 only when every route reached its model with a 2xx answer, 1 otherwise.
    Without --mock-upstream the real providers answer (and it says so first).
    """
    import sys

    from ccrgen import smoke
    from ccrgen.errors import InputError

    loaded = load_source(spec, config_file, preset)
    if not smoke.scenarios(loaded.config, all_models):
        raise InputError(f"{loaded.file}: no routes to test", hint="set at least routes.default")
    if not mock_upstream:
        click.echo("smoke: sending real requests to the configured providers (this uses your quota); "
                   "--mock-upstream runs offline", err=True)

    def progress(outcome) -> None:
        click.echo(smoke.progress_line(outcome), err=True)

    outcomes, notes = smoke.run(loaded, via=via, mock_upstream=mock_upstream, all_models=all_models,
                                ccr=ccr_path, progress=progress)
    for note in notes:
        click.echo(f"note: {note}", err=True)
    if as_json:
        click.echo(smoke.as_json(outcomes, notes, via, mock_upstream))
    else:
        click.echo(smoke.table(outcomes))
        failed = [o for o in outcomes if not o.ok]
        click.echo(f"\n{len(outcomes) - len(failed)} of {len(outcomes)} routes reached their model "
                   f"(via {via}{', mock upstream' if mock_upstream else ''})")
    if any(not o.ok for o in outcomes):
        sys.exit(1)
