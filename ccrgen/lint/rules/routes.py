"""Route references: every route must name a provider and a model that exist."""

from __future__ import annotations

import difflib

from ccrgen.ccr import facts
from ccrgen.ccr.config import providers_key, providers_of
from ccrgen.lint.rule import Hit, rule


def _closest(word: str, choices) -> str | None:
    found = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return found[0] if found else None


def iter_routes(config: dict):
    """(config path, value) for every Router route and fallback entry."""
    router = config.get("Router")
    if isinstance(router, dict):
        for name in facts.ROUTE_NAMES:
            value = router.get(name)
            if isinstance(value, str) and value:
                yield ("Router", name), value
    fallback = config.get("fallback")
    if isinstance(fallback, dict):
        for route, chain in fallback.items():
            if isinstance(chain, list):
                for i, value in enumerate(chain):
                    if isinstance(value, str) and value:
                        yield ("fallback", route, i), value


@rule(
    code="CCR001",
    name="route-unknown-model",
    severity="error",
    summary="A route names a provider or model that the config does not define",
    why="""CCR 2.0.0 sends the request anyway: an unknown provider answers
`Provider '...' not found`, an unknown model is sent upstream as written and the
provider rejects it, usually only when Claude Code first takes that route.""",
    fix="Name a provider from `Providers` and one of its `models`, as `provider,model`.",
)
def route_unknown_model(ctx):
    providers = {p.get("name"): p for p in providers_of(ctx.config) if isinstance(p, dict)}
    key = providers_key(ctx.config)
    for path, value in iter_routes(ctx.config):
        if "," not in value:
            continue  # CCR010 reports the shape
        provider_name, model = value.split(",", 1)
        provider = providers.get(provider_name)
        if provider is None:
            close = _closest(provider_name, [n for n in providers if isinstance(n, str)])
            yield Hit(path, f"unknown provider '{provider_name}' in '{value}'",
                      f"did you mean '{close}'?" if close else f"define it under {key}")
            continue
        models = [m for m in provider.get("models") or [] if isinstance(m, str)]
        if model not in models:
            close = _closest(model, models)
            yield Hit(path, f"unknown model '{value}'",
                      f"did you mean '{close}'?" if close
                      else f"'{provider_name}' has: {', '.join(models) or 'no models'}")


@rule(
    code="CCR010",
    name="route-not-provider-model",
    severity="error",
    summary="A route is not written as `provider,model`",
    why="""CCR splits a route on its first comma into provider and model. A value without a
comma, or `model,model`, makes every request on that route fail with
`Provider '...' not found`.""",
    fix="Write the route as `provider,model`, e.g. `hicap,claude-sonnet-4.5`.",
)
def route_shape(ctx):
    for path, value in iter_routes(ctx.config):
        if "," not in value:
            yield Hit(path, f"'{value}' is not 'provider,model'",
                      "write the provider's name, a comma, then the model")
