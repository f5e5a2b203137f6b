"""Route references: `Router` must exist, and every route must name, as `provider,model`,
a provider and a model that CCR 2.0.0 will find."""

from __future__ import annotations

from ccrgen.ccr import facts
from ccrgen.lint.rule import Hit, rule


def closest(word: str, choices, cutoff: float = 0.6) -> str | None:
    """The nearest spelling among `choices` (case differences first), or None."""
    import difflib

    choices = [c for c in choices if isinstance(c, str)]
    for choice in choices:
        if choice.lower() == word.lower():
            return choice
    found = difflib.get_close_matches(word, choices, n=1, cutoff=cutoff)
    return found[0] if found else None


def _online_variant(provider: dict, model: str, models: list[str]) -> bool:
    from ccrgen.ccr.providers import known_provider

    known = known_provider(provider.get("api_base_url"))
    suffix = known.web_search_suffix if known else None
    return bool(suffix) and model.endswith(suffix) and model[:-len(suffix)] in models


def model_names(provider: dict) -> list[str]:
    models = provider.get("models")
    return [m for m in models if isinstance(m, str)] if isinstance(models, list) else []


@rule(
    code="CCR001",
    name="route-unknown-model",
    severity="error",
    summary="A route names a provider or model that the config does not define",
    why="""CCR 2.0.0 sends the request anyway: an unknown provider answers
`Provider '...' not found`, an unknown model is sent upstream as written and the
provider rejects it, usually only when Claude Code first takes that route.""",
    fix="Name a provider from `Providers` and one of its `models`, as `provider,model`.",
    severity_why="every request on the route fails: `Provider not found`, or a model the provider rejects.",
)
def route_unknown_model(ctx):
    providers = ctx.providers_by_name
    for path, value in ctx.routes:
        if "," not in value:
            continue  # CCR010 reports the shape
        provider_name, model = value.split(",", 1)
        if provider_name != provider_name.strip() or model != model.strip():
            continue  # CCR010 reports the spaces
        provider = providers.get(provider_name)
        if provider is None:
            if any(n.lower() == provider_name.lower() for n in providers):
                continue  # CCR002 reports the case
            owners = [n for n, p in providers.items() if provider_name in model_names(p)]
            if owners:
                hint = f"'{provider_name}' is a model of '{owners[0]}': write '{owners[0]},{provider_name}'"
            else:
                close = closest(provider_name, providers)
                hint = f"did you mean '{close}'?" if close else f"define it under {ctx.providers_key}"
            yield Hit(path, f"unknown provider '{provider_name}' in '{value}'", hint)
            continue
        if "models" not in provider:
            continue  # CCR 2.0.0 then sends any model name as written
        models = model_names(provider)
        if model not in models and _online_variant(provider, model, models):
            continue  # OpenRouter's `:online` variant of a listed model (what CCR049 asks for)
        if model not in models:
            close = closest(model, models)
            yield Hit(path, f"unknown model '{value}'",
                      f"did you mean '{close}'?" if close
                      else f"'{provider_name}' has: {', '.join(models) or 'no models'}")


@rule(
    code="CCR002",
    name="route-provider-case",
    severity="error",
    summary="A route's provider matches a provider's name only when case is ignored",
    why="""CCR 2.0.0 looks providers up by their exact name when it forwards a request, so
`Hicap,claude-sonnet-4.5` does not find the provider `hicap`: every request on that route
answers `Provider 'Hicap' not found`.""",
    fix="Write the provider's name exactly as it is spelt in `Providers`.",
    severity_why="CCR matches provider names exactly: every request on the route fails.",
)
def route_provider_case(ctx):
    providers = ctx.providers_by_name
    for path, value in ctx.routes:
        if "," not in value:
            continue
        provider_name = value.split(",", 1)[0]
        if provider_name in providers:
            continue
        same = [n for n in providers if n.lower() == provider_name.lower()]
        if same:
            yield Hit(path, f"no provider is named '{provider_name}' (CCR matches names exactly)",
                      f"write '{same[0]},{value.split(',', 1)[1]}'")


@rule(
    code="CCR003",
    name="model-name-comma",
    severity="error",
    summary="A model name contains a comma",
    why="""CCR splits `provider,model` on its first comma only when it reads a route, but an
explicit `/model provider,model` request is split on every comma, so such a model cannot be
chosen explicitly, and a name with a comma is almost always two names typed as one.""",
    fix="Give each model as its own list item: `models: [a, b]`, not `models: ['a,b']`.",
    severity_why="no provider serves a model named `a,b`: a route to it is rejected upstream, and it cannot be chosen with `/model`.",
)
def model_name_comma(ctx):
    for path, provider in ctx.providers:
        models = provider.get("models")
        if isinstance(models, list):
            for i, model in enumerate(models):
                if isinstance(model, str) and "," in model:
                    yield Hit(path + ("models", i), f"model name '{model}' contains a comma",
                              "split it into separate models")


@rule(
    code="CCR010",
    name="route-not-provider-model",
    severity="error",
    summary="A route is not written as `provider,model`",
    why="""CCR splits a route on its first comma into provider and model. A value without a
comma, with an empty side, or with spaces around the names makes every request on that
route fail with `Provider '...' not found`, or sends a model name the provider rejects.""",
    fix="Write the route as `provider,model`, e.g. `hicap,claude-sonnet-4.5`.",
    severity_why="CCR cannot split the route into a provider it knows and a model: every request on it fails.",
)
def route_shape(ctx):
    from ccrgen.ccr.config import ENV_REFERENCE

    for path, value in ctx.routes:
        if "$" in value and ENV_REFERENCE.search(value):
            continue  # CCR071: CCR reads Router as written, so the reference itself is the route
        provider, _, model = value.partition(",")
        if "," not in value:
            owners = [n for n, p in ctx.providers_by_name.items() if value in model_names(p)]
            hint = (f"write '{owners[0]},{value}'" if owners
                    else "write the provider's name, a comma, then the model")
            yield Hit(path, f"'{value}' is not 'provider,model'", hint)
        elif not provider.strip() or not model.strip():
            yield Hit(path, f"'{value}' has an empty provider or model", "write 'provider,model'")
        elif provider != provider.strip() or model != model.strip():
            yield Hit(path, f"'{value}' has spaces around the provider or model name",
                      f"write '{provider.strip()},{model.strip()}'")
    router = ctx.raw.get("Router")
    for name in facts.ROUTE_NAMES if isinstance(router, dict) else ():
        value = router.get(name)
        if value is not None and not isinstance(value, str):
            yield Hit(("Router", name), f"Router.{name} is a {type(value).__name__}, not a 'provider,model' string",
                      "write one 'provider,model' string; alternatives go under `fallback`")


@rule(
    code="CCR011",
    name="router-missing",
    severity="error",
    summary="The config has no `Router`",
    why="""Without `Router` every request fails inside CCR with
"Cannot read properties of undefined (reading 'default')". CCR reads only `Router`,
spelt with a capital R.""",
    fix="Add `\"Router\": {\"default\": \"provider,model\"}`.",
    severity_why="every request fails inside CCR.",
)
def router_missing(ctx):
    if not isinstance(ctx.raw.get("Router"), dict):
        spelt = [k for k in ctx.raw if isinstance(k, str) and k.lower() == "router" and k != "Router"]
        if spelt:
            yield Hit((spelt[0],), f"'{spelt[0]}' is not read by CCR; it needs 'Router'",
                      f"rename '{spelt[0]}' to 'Router'")
        elif "Router" in ctx.raw:
            yield Hit(("Router",), "Router is not an object", "write Router as {\"default\": \"provider,model\"}")
        else:
            yield Hit((), "no Router: every request will fail", "add Router with a default route")


@rule(
    code="CCR012",
    name="router-default-missing",
    severity="error",
    summary="`Router.default` is missing or empty",
    why="""Every request that no other rule routes goes to `Router.default`; without it CCR
forwards `undefined` and the request fails.""",
    fix="Set `Router.default` to `provider,model`.",
    severity_why="every request no other route takes fails.",
)
def router_default_missing(ctx):
    router = ctx.raw.get("Router")
    if isinstance(router, dict) and not router.get("default"):  # a default of the wrong type: CCR010
        yield Hit(("Router", "default") if "default" in router else ("Router",),
                  "Router has no default route", "set Router.default to 'provider,model'")
