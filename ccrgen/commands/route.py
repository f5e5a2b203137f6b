"""`ccrgen route REQUEST.json`: which route and model CCR 2.0.0 would choose, and why."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from ccrgen.commands.options import config_file_option, echo_json, format_option, is_stdio, load_source, preset_option


@click.command("route")
@click.argument("request", type=click.Path(path_type=Path, dir_okay=False, allow_dash=True))
@click.argument("spec", required=False, type=click.Path(path_type=Path, dir_okay=False, allow_dash=True))
@config_file_option
@preset_option
@format_option
def command(request, spec, config_file, preset, format_):
    """Show the route, provider,model and token count REQUEST (an Anthropic Messages body;
    `-`: stdin) would get from SPEC (default ./ccrgen.yaml), --config FILE or --preset."""
    from ccrgen.ccr.config import as_ccr_sees_it
    from ccrgen.proxy.routing import choose_route

    from ccrgen.errors import InputError

    if is_stdio(request) and (is_stdio(spec) or is_stdio(config_file)):
        raise InputError("only one input can be `-` (stdin)", hint="give the request or the config as a file")
    loaded = load_source(spec, config_file, preset)
    body = _read_request(request)
    decision = choose_route(body, as_ccr_sees_it(loaded.config, os.environ))
    if format_ == "json":
        echo_json({"route": decision.route, "provider": decision.provider, "model": decision.model,
                   "token_count": decision.token_count, "reason": decision.reason})
    else:
        click.echo(f"route:  {decision.route}\nmodel:  {decision.target}\n"
                   f"tokens: {decision.token_count if decision.token_count is not None else 'n/a'}\n"
                   f"why:    {decision.reason}")


def _read_request(path: Path) -> dict:
    """The request file, checked by the same edge as `ccrgen serve`'s requests
    (ccrgen.proxy.request): exit 2 when it is not JSON at all, 1 when a field is wrong."""
    from ccrgen.errors import InputError, Location, SpecError
    from ccrgen.commands.options import read_stdin_bytes
    from ccrgen.common.inputs import read_bytes
    from ccrgen.proxy.request import RequestInvalid, parse_request

    raw = read_stdin_bytes() if is_stdio(path) else read_bytes(path)
    try:
        json.loads(raw)  # only for the line and column of a syntax error
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON: {exc.msg}", location=Location(str(path), exc.lineno, exc.colno)) from None
    except (RecursionError, ValueError):
        pass  # too deep, not UTF-8, a huge number: parse_request says which
    try:
        return parse_request(raw)
    except RequestInvalid as exc:
        unreadable = exc.message.startswith("the request body")
        raise (InputError if unreadable else SpecError)(
            exc.message, location=Location(str(path)),
            hint=None if unreadable else "an Anthropic Messages request: {model, messages: [{role, content}], ...}",
        ) from None
