"""Route references: `Router` must exist, and every route must name, as `provider,model`,
a provider and a model that CCR 2.0.0 will find."""

from __future__ import annotations

import difflib

from ccrgen.ccr import facts
from ccrgen.lint.rule import Hit, rule


def closest(word: str, choices) -> str | None:
    """The nearest spelling among `choices` (case differences first), or None."""
    choices = [c for c in choices if isinstance(c, str)]
    for choice in choices:
        if choice.lower() == word.lower():
            return choice
    found = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return found[0] if found else None


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
)
def route_unknown_model(ctx):
    providers = ctx.providers_by_name
    for path, value in ctx.routes:
        if "," not in value:
            continue  # CCR010 reports the shape
        provider_name, model = value.split(",", 1)
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
        models = model_names(provider)
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
)
def route_shape(ctx):
    for path, value in ctx.routes:
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
    for name in facts.ROUTE_NAMES:
        value = ctx.router.get(name)
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
)
def router_missing(ctx):
    if not isinstance(ctx.config.get("Router"), dict):
        spelt = [k for k in ctx.config if isinstance(k, str) and k.lower() == "router" and k != "Router"]
        if spelt:
            yield Hit((spelt[0],), f"'{spelt[0]}' is not read by CCR; it needs 'Router'",
                      f"rename '{spelt[0]}' to 'Router'")
        elif "Router" in ctx.config:
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
)
def router_default_missing(ctx):
    router = ctx.config.get("Router")
    if isinstance(router, dict) and not router.get("default"):
        yield Hit(("Router", "default") if "default" in router else ("Router",),
                  "Router has no default route", "set Router.default to 'provider,model'")


ROUTER_KEYS = facts.ROUTE_NAMES + ("longContextThreshold",)


@rule(
    code="CCR013",
    name="router-unknown-key",
    severity="warning",
    summary="`Router` has a key CCR 2.0.0 does not read",
    why="""CCR reads the Router keys by their exact names; `longcontext` or `web_search` is
kept and silently ignored, so the route the user meant to set never takes effect.""",
    fix="Use one of: " + ", ".join(ROUTER_KEYS) + ".",
)
def router_unknown_key(ctx):
    for key in ctx.router:
        if key not in ROUTER_KEYS:
            close = closest(key.replace("_", ""), ROUTER_KEYS)
            yield Hit(("Router", key), f"Router.{key} is not read by CCR 2.0.0",
                      f"did you mean '{close}'?" if close else "remove it")
