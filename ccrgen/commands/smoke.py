"""`ccrgen smoke`: send one request down every route and show where each landed.

The requests are run by ccrgen/proxy/smoke.py and judged by ccrgen/proxy/smoke_verdict.py;
everything smoke prints (progress, table, findings, summary, --json) is written here."""

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

    from ccrgen.errors import InputError
    from ccrgen.proxy import smoke
    from ccrgen.proxy.smoke_verdict import exit_code

    as_json = format_ == "json"
    loaded = load_source(spec, config_file, preset)
    if not smoke.tested(smoke.scenarios(loaded.config, all_models)):
        raise InputError(f"{loaded.file}: no routes to test", hint="set at least routes.default")
    if not mock_upstream:
        click.echo("smoke: sending real requests to the configured providers (this uses your quota); "
                   "--mock-upstream runs offline", err=True)

    def progress(outcome) -> None:
        click.echo(progress_line(outcome), err=True)

    outcomes, notes = smoke.run(loaded, via=via, mock_upstream=mock_upstream, all_models=all_models,
                                ccr=ccr_path, progress=progress)
    for note in notes:
        click.echo(f"note: {note}", err=True)
    if as_json:
        click.echo(json_report(outcomes, notes, via, mock_upstream))
    else:
        click.echo(table(outcomes))
        lines = findings(outcomes)
        if lines:
            click.echo("\n" + "\n".join(lines))
        click.echo("\n" + summary(outcomes, via, mock_upstream))
    sys.exit(exit_code(outcomes))


# -- what smoke prints ----------------------------------------------------------------------

def progress_line(outcome) -> str:
    from ccrgen.proxy.smoke_verdict import FAIL, FALLBACK, NOT_VERIFIED, OK, SKIPPED

    if outcome.verdict == SKIPPED:
        return f"skip {outcome.route}: {outcome.note}"
    mark = {OK: "ok  ", FAIL: "FAIL", FALLBACK: "FAIL", NOT_VERIFIED: "not verified"}[outcome.verdict]
    status = outcome.status if outcome.status is not None else "-"
    line = (f"{mark} {outcome.route}: {outcome.expected} -> {outcome.arrived or '-'} (HTTP {status}, "
            f"{outcome.latency_ms:.0f} ms)")
    if outcome.problem:
        line += f": {outcome.problem}"
    for warning in outcome.warnings:
        line += f"\n     warning: {warning}"
    return line


def table(outcomes) -> str:
    from ccrgen.proxy.smoke_verdict import SKIPPED

    rows = [("route", "expected", "reached upstream", "status", "latency", "result")]
    for o in outcomes:
        if o.verdict == SKIPPED:
            rows.append((o.route, "-", "-", "-", "-", "skipped"))
            continue
        result = o.verdict + (" (warning)" if o.warnings and o.ok else "")
        rows.append((o.route, o.expected, o.arrived or "-", str(o.status or "-"), f"{o.latency_ms:.0f} ms", result))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows)


def findings(outcomes) -> list[str]:
    """One line per distinct problem or warning, naming the routes it applies to."""
    from ccrgen.proxy.smoke_verdict import SKIPPED

    grouped: dict[tuple[str, str], list[str]] = {}
    for o in outcomes:
        if o.problem:
            grouped.setdefault((o.verdict, o.problem), []).append(o.route)
        elif o.verdict == SKIPPED:
            grouped.setdefault((SKIPPED, o.note), []).append(o.route)
        for warning in o.warnings:
            grouped.setdefault(("warning", warning), []).append(o.route)
    return [f"{kind} {', '.join(routes)}: {text}" for (kind, text), routes in grouped.items()]


def summary(outcomes, via: str, mock_upstream: bool) -> str:
    from ccrgen.proxy.smoke_verdict import FALLBACK, NOT_VERIFIED, SKIPPED

    tried = [o for o in outcomes if o.tested]
    good = [o for o in tried if o.ok]
    extra = [f"{sum(o.verdict == kind for o in outcomes)} {kind}" for kind in (NOT_VERIFIED, FALLBACK, SKIPPED)
             if any(o.verdict == kind for o in outcomes)]
    return (f"{len(good)} of {len(tried)} routes reached their model (via {via}"
            f"{', mock upstream' if mock_upstream else ''})" + (f"; {', '.join(extra)}" if extra else ""))


def json_report(outcomes, notes: list[str], via: str, mock_upstream: bool) -> str:
    import json
    from dataclasses import asdict

    from ccrgen.proxy.smoke_verdict import exit_code

    def route(o) -> dict:
        out = asdict(o)
        out["attempts"] = [{"provider": a.provider, "model": a.model, "status": a.status, "rejected": a.rejected,
                            "headers_sent": sorted(a.headers)} for a in o.attempts]   # names only: values hold keys
        out["ok"] = o.ok
        return out

    code = exit_code(outcomes)
    return json.dumps({"via": via, "mock_upstream": mock_upstream, "ok": code == 0, "exit_code": code,
                       "notes": notes, "routes": [route(o) for o in outcomes]}, indent=2)
