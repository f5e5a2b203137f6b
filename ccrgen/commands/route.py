"""`ccrgen route REQUEST.json`: which route and model CCR 2.0.0 would choose, and why."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from ccrgen.commands.options import config_file_option, load_source, preset_option


@click.command("route")
@click.argument("request", type=click.Path(path_type=Path, dir_okay=False))
@click.argument("spec", required=False, type=click.Path(path_type=Path, dir_okay=False))
@config_file_option
@preset_option
@click.option("--json", "as_json", is_flag=True, help="Print the decision as JSON.")
def command(request, spec, config_file, preset, as_json):
    """Show the route, provider,model and token count REQUEST (an Anthropic Messages body)
    would get from SPEC (default ./ccrgen.yaml), --config FILE or --preset."""
    from ccrgen.ccr.config import as_ccr_sees_it
    from ccrgen.errors import InputError, Location
    from ccrgen.proxy.routing import choose_route

    loaded = load_source(spec, config_file, preset)
    try:
        body = json.loads(request.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"{request}: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON: {exc.msg}", location=Location(str(request), exc.lineno, exc.colno)) from None
    if not isinstance(body, dict):
        raise InputError("a request must be a JSON object (an Anthropic Messages body)",
                         location=Location(str(request), 1, 1))
    decision = choose_route(body, as_ccr_sees_it(loaded.config, os.environ))
    if as_json:
        click.echo(json.dumps({"route": decision.route, "provider": decision.provider, "model": decision.model,
                               "token_count": decision.token_count, "reason": decision.reason}, indent=2))
    else:
        click.echo(f"route:  {decision.route}\nmodel:  {decision.target}\n"
                   f"tokens: {decision.token_count if decision.token_count is not None else 'n/a'}\n"
                   f"why:    {decision.reason}")
