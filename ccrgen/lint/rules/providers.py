"""Providers: the ones CCR drops without a word, duplicates, endpoints, unused entries."""

from __future__ import annotations

from urllib.parse import urlparse

from ccrgen.lint.rule import Hit, rule
from ccrgen.lint.rules.routes import model_names

REQUIRED = ("name", "api_base_url", "api_key")

# Provider-level transformer -> how its api_base_url must end (None: any URL is fine).
ENDPOINTS = {
    "Anthropic": "/messages",
    "openai-responses": "/responses",
    "gemini": "/models/",
    "vertex-gemini": None,
    "vertex-claude": None,
}
OPENAI_ENDPOINT = "/chat/completions"


def use_names(chain) -> list[str]:
    """Transformer names in a `use` list (entries are NAME or [NAME, {options}])."""
    names = []
    for entry in chain if isinstance(chain, list) else []:
        if isinstance(entry, list) and entry and isinstance(entry[0], str):
            names.append(entry[0])
        elif isinstance(entry, str):
            names.append(entry)
    return names


@rule(
    code="CCR040",
    name="provider-dropped",
    severity="error",
    summary="A provider has no `name`, `api_base_url` or `api_key`, so CCR drops it",
    why="""CCR 2.0.0 skips such a provider without a word at start-up; every route to it then
answers `Provider '...' not found`. A local server that needs no key still needs a
non-empty `api_key` (any text).""",
    fix="Give the provider a name, its full endpoint URL and a key (`$ENV_NAME` or any text for local servers).",
)
def provider_dropped(ctx):
    for path, provider in ctx.providers:
        for key in REQUIRED:
            value = provider.get(key)
            if not isinstance(value, str) or not value.strip():
                what = "missing" if key not in provider else "empty"
                label = provider.get("name") or f"#{path[-1] + 1}"
                hint = ("a local server without auth still needs some text, e.g. \"ollama\""
                        if key == "api_key" else f"set {key}")
                yield Hit(path + ((key,) if key in provider else ()),
                          f"provider '{label}' has {what} {key}: CCR drops it", hint)


@rule(
    code="CCR041",
    name="duplicate-provider",
    severity="error",
    summary="Two providers have the same name (compared case-insensitively)",
    why="""CCR keeps one provider per name: the later entry replaces the earlier one, and its
explicit `provider,model` matching ignores case, so `Hicap` and `hicap` collide.""",
    fix="Rename or merge one of them.",
)
def duplicate_provider(ctx):
    seen: dict[str, str] = {}
    for path, provider in ctx.providers:
        name = provider.get("name")
        if not isinstance(name, str) or not name:
            continue
        if name.lower() in seen:
            yield Hit(path + ("name",), f"provider '{name}' is defined twice (first as '{seen[name.lower()]}')",
                      "rename or merge one of them")
        else:
            seen[name.lower()] = name


@rule(
    code="CCR042",
    name="duplicate-model",
    severity="warning",
    summary="A provider lists the same model twice",
    why="A duplicate is harmless to CCR but usually hides a typo or a stale copy.",
    fix="Remove the repeated entry.",
)
def duplicate_model(ctx):
    for path, provider in ctx.providers:
        seen = set()
        for i, model in enumerate(provider.get("models") or []):
            if isinstance(model, str) and model in seen:
                yield Hit(path + ("models", i), f"model '{model}' is listed twice", "remove one")
            seen.add(model)


@rule(
    code="CCR043",
    name="base-url-not-absolute",
    severity="error",
    summary="`api_base_url` is not an absolute http(s) URL",
    why="""CCR posts to `api_base_url` as given; without a scheme and host every request
fails with an invalid URL error.""",
    fix="Write the full URL, e.g. `https://api.example.com/v1/chat/completions`.",
)
def base_url_not_absolute(ctx):
    for path, provider in ctx.providers:
        url = provider.get("api_base_url")
        if not isinstance(url, str) or not url.strip() or url.startswith("$"):
            continue
        parts = urlparse(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            yield Hit(path + ("api_base_url",), f"'{url}' is not an absolute http(s) URL",
                      "start it with https:// (or http:// for a local server)")


def expected_endpoint(ctx, provider: dict) -> str | None:
    """How the URL must end for the provider's transformers, or None when ccrgen cannot tell."""
    from ccrgen.ccr import facts
    from ccrgen.lint.rules.transformers import custom_transformers

    chain = provider.get("transformer")
    names = use_names(chain.get("use")) if isinstance(chain, dict) else []
    custom = custom_transformers(ctx).loaded
    for name in names:
        if name in ENDPOINTS:
            return ENDPOINTS[name]
        if name in facts.BUILTIN_TRANSFORMERS:
            continue
        source = custom[name].source if name in custom else None
        if source is None or "url" in source.lower():
            return None  # a transformer ccrgen cannot read may set its own URL
    return OPENAI_ENDPOINT


@rule(
    code="CCR044",
    name="base-url-wrong-endpoint",
    severity="warning",
    summary="`api_base_url` does not end in the endpoint its transformers call",
    why="""CCR does not append a path: `https://api.example.com/v1` is posted to as is and
the provider answers 404. OpenAI-compatible providers need the full
`.../chat/completions` URL; `Anthropic` needs `.../messages`, `openai-responses`
`.../responses` and `gemini` the `.../models/` prefix with its trailing slash.""",
    fix="Write the provider's full endpoint URL.",
)
def base_url_wrong_endpoint(ctx):
    for path, provider in ctx.providers:
        url = provider.get("api_base_url")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            continue
        ending = expected_endpoint(ctx, provider)
        bare = url.split("?", 1)[0]
        if ending and not bare.endswith(ending):
            guess = bare.rstrip("/") + (ending if ending != "/models/" else "/models/")
            yield Hit(path + ("api_base_url",), f"'{url}' does not end in '{ending}'",
                      f"did you mean '{guess}'?" if not bare.endswith(ending.rstrip("/")) else
                      f"add the trailing slash: '{bare}/'")


def used_targets(ctx) -> set[tuple[str, str]]:
    return {tuple(v.split(",", 1)) for _, v in ctx.routes if "," in v}


@rule(
    code="CCR046",
    name="unused-provider",
    severity="info",
    summary="No route or fallback uses a provider",
    why="""A provider no route names is reachable only by an explicit `/model provider,model`;
often it is left over, or a route was meant to use it.""",
    fix="Route to it, or remove it.",
)
def unused_provider(ctx):
    used = {provider for provider, _ in used_targets(ctx)}
    for path, provider in ctx.providers:
        name = provider.get("name")
        if isinstance(name, str) and name and name not in used:
            yield Hit(path + ("name",), f"provider '{name}' is not used by any route",
                      "reachable only with /model " + f"{name},<model>")


@rule(
    code="CCR047",
    name="unused-model",
    severity="info",
    summary="Models of a used provider that no route or fallback names",
    why="""Such models are reachable only by an explicit `/model provider,model`; that may be
the intent, or a route was meant to use them.""",
    fix="Route to them, or remove them if nobody picks them by hand.",
)
def unused_model(ctx):
    used = used_targets(ctx)
    used_providers = {provider for provider, _ in used}
    for path, provider in ctx.providers:
        name = provider.get("name")
        if name not in used_providers:
            continue  # CCR046 reports the whole provider
        unused = [m for m in model_names(provider) if (name, m) not in used]
        if unused:
            shown = ", ".join(unused[:5]) + (f" and {len(unused) - 5} more" if len(unused) > 5 else "")
            yield Hit(path + ("models",), f"'{name}' models used by no route: {shown}",
                      f"reachable with /model {name},<model>")
