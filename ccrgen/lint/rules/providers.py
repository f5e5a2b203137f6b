"""Providers: the ones CCR drops without a word, duplicates, endpoints, unused entries."""

from __future__ import annotations

import re
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
# OpenAI-compatible chat endpoints that providers document under another path: CCR posts to
# them as written and they answer in the chat-completions format.
OPENAI_COMPATIBLE_PATHS = ("/v1/text/chatcompletion_v2",)   # MiniMax (api.minimax.io, api.minimaxi.com)
WHITESPACE = re.compile(r"\s")


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
    severity_why="CCR drops the provider without a word: every route to it fails.",
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
    severity_why="one of the two providers is silently dropped.",
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
    severity_why="harmless to CCR, but probably a typo or a stale copy.",
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
    summary="`api_base_url` is not an absolute http(s) URL, or contains spaces",
    why="""CCR posts to `api_base_url` as given; without a scheme and host every request
fails with an invalid URL error, and a space (often a trailing one, pasted with the URL)
makes the URL invalid or a different one.""",
    fix="Write the full URL, e.g. `https://api.example.com/v1/chat/completions`.",
    severity_why="every request to the provider fails with an invalid URL.",
)
def base_url_not_absolute(ctx):
    for path, provider in ctx.providers:
        url = provider.get("api_base_url")
        if not isinstance(url, str) or not url.strip() or url.startswith("$"):
            continue
        if WHITESPACE.search(url):
            yield Hit(path + ("api_base_url",), f"{url!r} contains spaces: CCR posts to it as written",
                      f"write '{''.join(url.split())}'")
            continue
        try:
            parts = urlparse(url)
            netloc = parts.netloc and parts.hostname
        except ValueError:
            parts, netloc = None, None
        if parts is None or parts.scheme not in ("http", "https") or not netloc:
            yield Hit(path + ("api_base_url",), f"'{url}' is not an absolute http(s) URL",
                      "start it with https:// (or http:// for a local server)")


def expected_endpoint(ctx, provider: dict) -> str | None:
    """How the URL must end for the provider's transformers, or None when ccrgen cannot tell."""
    from ccrgen.ccr import facts
    from ccrgen.lint.rules.transformers import custom_transformers

    chain = provider.get("transformer")
    names = use_names(chain.get("use")) if isinstance(chain, dict) else []
    from ccrgen.lint.rules.routes import closest

    customs = custom_transformers(ctx)
    custom = customs.loaded
    for name in names:
        if name not in facts.BUILTIN_TRANSFORMERS and name not in custom:
            meant = closest(name, facts.BUILTIN_TRANSFORMERS)
            if meant and meant.lower() == name.lower():
                name = meant  # CCR050 reports the spelling; judge the URL for the transformer meant
        if name in ENDPOINTS:
            return ENDPOINTS[name]
        if name in facts.BUILTIN_TRANSFORMERS:
            continue
        if name not in custom and not customs.unnamed and not _unloaded_entries(ctx, customs):
            continue  # no transformer has that name: CCR skips it (CCR050), the URL is used as is
        source = custom[name].source if name in custom else None
        if source is None or "url" in source.lower():
            return None  # a transformer ccrgen cannot read may set its own URL
    return OPENAI_ENDPOINT


def _unloaded_entries(ctx, customs) -> bool:
    """Whether some `transformers` entry did not load (its name, and what it would do, unknown)."""
    from ccrgen.lint.rules.transformers import _paths

    loaded = {c.path for c in customs.loaded.values()}
    return any(path not in loaded for _, path in _paths(ctx))


@rule(
    code="CCR044",
    name="base-url-wrong-endpoint",
    severity="error",
    summary="`api_base_url` does not end in the endpoint its transformers call",
    why="""CCR does not append a path: `https://api.example.com/v1` is posted to as is and
the provider answers 404. OpenAI-compatible providers need the full
`.../chat/completions` URL; `Anthropic` needs `.../messages`, `openai-responses`
`.../responses` and `gemini` the `.../models/` prefix with its trailing slash.""",
    fix="Write the provider's full endpoint URL.",
    severity_why="every request to the provider answers 404, because CCR posts to the URL exactly as written; ccrgen says nothing when a custom transformer may set its own URL, and only warns about a trailing slash after the endpoint (some servers ignore it).",
)
def base_url_wrong_endpoint(ctx):
    for path, provider in ctx.providers:
        url = provider.get("api_base_url")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")) or WHITESPACE.search(url):
            continue  # CCR043 reports it
        ending = expected_endpoint(ctx, provider)
        bare = url.split("?", 1)[0]
        if ending == OPENAI_ENDPOINT and bare.endswith(OPENAI_COMPATIBLE_PATHS):
            continue
        if ending and not bare.endswith(ending):
            if not ending.endswith("/") and bare.rstrip("/").endswith(ending):
                yield Hit(path + ("api_base_url",), f"'{url}' has a slash after '{ending}': it works only "
                          "where the server ignores trailing slashes", f"write '{bare.rstrip('/')}'",
                          severity="warning")
                continue
            yield Hit(path + ("api_base_url",), f"'{url}' does not end in '{ending}'",
                      _endpoint_hint(bare, ending))


def _endpoint_hint(bare: str, ending: str) -> str:
    from ccrgen.ccr.providers import known_provider

    known = known_provider(bare)
    if known and ending == "/models/" and known.native:
        if "/openai" in bare:
            return (f"this is {known.label}'s OpenAI-compatible URL, which the {known.native_transformer} "
                    f"transformer cannot call: write '{known.native}', or remove the transformer")
        return f"write '{known.native}'"
    if known and ending == OPENAI_ENDPOINT:
        if known.is_native(bare):
            return (f"this is {known.label}'s native API: add the {known.native_transformer} transformer, "
                    f"or write its OpenAI-compatible URL '{known.chat_url(bare)}'")
        return f"did you mean '{known.chat_url(bare)}'?"
    if ending == OPENAI_ENDPOINT and (bare.endswith("/messages") or bare.rstrip("/").endswith("/anthropic")):
        return ("this is an Anthropic-style URL: add the Anthropic transformer, with the URL ending in /messages "
                "(\"transformer\": {\"use\": [\"Anthropic\"]})")
    if bare.endswith(OPENAI_ENDPOINT) and ending != OPENAI_ENDPOINT:
        return (f"this is an OpenAI-compatible URL, but the provider's transformer calls '...{ending}': "
                "remove that transformer, or write the provider's own URL for it")
    if bare.endswith(ending.rstrip("/")):
        return f"add the trailing slash: '{bare}/'"
    head = bare.rstrip("/")
    if ending in ("/messages", "/responses") and not re.search(r"/v\d+$", head):
        # Anthropic-style and Responses APIs live under a version: `.../anthropic/v1/messages`
        return f"did you mean '{head}/v1{ending}'? (check the provider's docs)"
    return f"did you mean '{head + ending}'?"


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
    severity_why="style: the provider is still reachable with `/model`, nothing breaks.",
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
    severity_why="style: the models are still reachable with `/model`, nothing breaks.",
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


def _chain_names(provider: dict, model: str | None = None) -> set[str]:
    chain = provider.get("transformer")
    if not isinstance(chain, dict):
        return set()
    names = set(use_names(chain.get("use")))
    per_model = chain.get(model) if model else None
    if isinstance(per_model, dict):
        names |= set(use_names(per_model.get("use")))
    return names


# Transformers a provider's OpenAI-compatible endpoint probably needs that the registry
# (ccrgen.ccr.providers) does not list: profile name -> the transformers that do the job.
# CCR builds `role: tool` messages that carry Claude Code's cache_control, and Groq answered
# 400 "property 'cache_control' is unsupported" to them (musistudio/claude-code-router#193,
# #337); `groq` and `cleancache` strip it. Only a warning: one user reports the same config
# working (#202). To move into the registry once that is settled.
PROBABLY_REQUIRES = {"groq": ("groq", "cleancache")}


def _required(known) -> tuple[tuple, bool]:
    """(transformers, one of which the provider needs; whether that is certain)."""
    if known.requires:
        return tuple(known.requires) + ("maxtoken",), True  # DeepSeek: maxtoken lowers max_tokens too
    return PROBABLY_REQUIRES.get(known.name, ()), False


@rule(
    code="CCR048",
    name="provider-needs-transformer",
    severity="error",
    summary="A known provider's endpoint is used without the transformer it needs",
    why="""Some providers reject what Claude Code sends unless a transformer adapts it. DeepSeek's
`deepseek-chat` accepts at most 8192 output tokens and Claude Code asks for 32000: without
the `deepseek` transformer (which lowers `max_tokens`) every request answers 400
`Invalid max_tokens value`. CCR's own README configures DeepSeek with it. Groq has answered
400 `property 'cache_control' is unsupported` to the tool-result messages CCR builds from
Claude Code's requests, unless the `groq` (or `cleancache`) transformer removes it (issues
#193, #337).""",
    fix="Add the transformer: `\"transformer\": {\"use\": [\"deepseek\"]}` (or a `maxtoken` with the limit), `[\"groq\"]` for Groq.",
    severity_why="every request to the provider fails; a warning for Groq, where one user reports the same config working (#202).",
)
def provider_needs_transformer(ctx):
    from ccrgen.ccr.providers import known_provider

    for path, provider in ctx.providers:
        url = provider.get("api_base_url")
        known = known_provider(url)
        required, certain = _required(known) if known else ((), False)
        if not required or not url.split("?", 1)[0].endswith(OPENAI_ENDPOINT):
            continue  # another endpoint (e.g. DeepSeek's Anthropic one) needs no adapting
        models = [m for m in provider.get("models") or [] if isinstance(m, str)] or [None]
        lacking = [m for m in models if not (_chain_names(provider, m) & set(required))]
        if lacking:
            need = required[0]
            yield Hit(path + ("api_base_url",),
                      f"{known.label}'s endpoint without the '{need}' transformer"
                      + (f" (for {', '.join(m for m in lacking if m)})" if lacking != models else "")
                      + (f": {known.label} rejects Claude Code's requests" if certain
                         else f": {known.label} has rejected Claude Code's requests without it"),
                      f"add \"transformer\": {{\"use\": [\"{need}\"]}} to the provider",
                      severity=None if certain else "warning")


SEARCHES_NATIVELY = ("perplexity/",)


@rule(
    code="CCR049",
    name="web-search-model-suffix",
    severity="error",
    summary="`Router.webSearch` routes to an OpenRouter model without the `:online` suffix",
    why="""OpenRouter searches the web only for a model named with `:online`; CCR's README says
the webSearch route needs it. Without it the web_search requests CCR routes there are
answered without any search.""",
    fix="Append `:online` to the model in the route (and to the provider's `models`).",
    severity_why="the web search the route exists for never happens.",
)
def web_search_model_suffix(ctx):
    from ccrgen.ccr.providers import known_provider

    target = ctx.route_target("webSearch")
    if not target:
        return
    provider = ctx.providers_by_name.get(target[0])
    known = known_provider(provider.get("api_base_url")) if provider else None
    info = ctx.model_info("webSearch")
    if info is not None and info.web_search is not None:
        return  # the model's metadata says whether it searches: CCR031 judges it
    if target[1].startswith(SEARCHES_NATIVELY) or "search" in target[1]:
        return  # a model that searches by itself (Perplexity's sonar, *-search-preview)
    if known and known.web_search_suffix and not target[1].endswith(known.web_search_suffix):
        yield Hit(("Router", "webSearch"), f"'{target[1]}' has no '{known.web_search_suffix}' suffix: "
                  f"{known.label} does not search the web for it",
                  f"write '{target[0]},{target[1]}{known.web_search_suffix}'")
