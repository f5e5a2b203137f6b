"""`ccrgen smoke`: send one request down every route and show where each landed."""

from __future__ import annotations

import click

from ccrgen.commands.options import config_file_option, format_option, load_source, preset_option, spec_argument


@click.command("smoke")
@spec_argument
@config_file_option
@preset_option
@click.option("--mock-upstream", is_flag=True, help="Replace every provider with the built-in mock (offline).")
@click.option("--via", type=click.Choice(["ccrgen", "ccr"]), default="ccrgen", show_default=True,
              help="Send the requests through ccrgen's proxy, or through a real CCR in a temp HOME.")
@click.option("--ccr", "ccr_path", metavar="PATH", help="The CCR to use with --via ccr (default: `ccr` on PATH).")
@click.option("--all-models", is_flag=True, help="Also send an explicit provider,model request for every model.")
@format_option
def command(spec, config_file, preset, mock_upstream, via, ccr_path, all_models, format_):
    """Send one request per configured route (default, background, think, long context
    just over the threshold, web search, image) through the proxy, and print a table:
    route, expected model, the model that reached the upstream, HTTP status, latency, result.

    \b
    A route is ok only when the routed model answered with a 2xx and the request carried
    the auth its provider takes (with --mock-upstream the mock answers as each provider
    would: Hicap 401 without `api-key`, others without a Bearer token). A route whose
    transformers ccrgen serve does not implement is "not verified" (use --via ccr); one
    that succeeded only through its fallback is reported as such; a route with no model
    is skipped. Progress lines go to stderr, the table (or --json) to stdout.

    \b
    Exit codes: 0 every tested route ok; 1 a route failed, is not verified or needed its
    fallback; 4 a provider or CCR could not be reached (and nothing else failed).
    Without --mock-upstream the real providers answer (and it says so first).
    """
    import sys

    from ccrgen.proxy import smoke
    from ccrgen.errors import InputError

    as_json = format_ == "json"
    loaded = load_source(spec, config_file, preset)
    if not smoke.tested(smoke.scenarios(loaded.config, all_models)):
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
        lines = smoke.findings(outcomes)
        if lines:
            click.echo("\n" + "\n".join(lines))
        click.echo("\n" + smoke.summary(outcomes, via, mock_upstream))
    sys.exit(smoke.exit_code(outcomes))
