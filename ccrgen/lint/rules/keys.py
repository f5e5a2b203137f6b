"""Unknown and misspelt keys, at every level CCR 2.0.0 reads by name: the top level,
`Router`, `fallback`, each provider and each `transformers` entry."""

from __future__ import annotations

from ccrgen.ccr import facts
from ccrgen.lint.rule import Hit, rule
from ccrgen.lint.rules.routes import closest

ROUTER_KEYS = facts.ROUTE_NAMES + ("longContextThreshold",)
SURE = 0.75   # how similar a key must be to one CCR reads to be called its misspelling
PROVIDER_KEYS = ("name", "api_base_url", "api_key", "models", "transformer", "tokenizer")
TRANSFORMER_ENTRY_KEYS = ("path", "options")
# Keys that are comments by a common JSON convention ("_comment", "//"): CCR ignores them, as meant.
COMMENT_PREFIXES = ("_", "//", "#")
# Keys CCR ignores that are harmless where users write them (a label next to a path).
TOLERATED = {"transformers[]": ("name",)}
# CCR 1.x's top-level keys: CCR014 reports a config still in that shape, as a whole.
LEGACY_KEYS = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_MODEL", "usePlugins")

# Spellings users write for a key, from other tools' configs (OpenAI SDK, LiteLLM, CCR 1.x...),
# that difflib's similarity alone does not find.
ALIASES = {
    "transformers": "transformer", "api_base": "api_base_url", "base_url": "api_base_url",
    "baseURL": "api_base_url", "baseUrl": "api_base_url", "url": "api_base_url",
    "api_url": "api_base_url", "endpoint": "api_base_url", "apiBase": "api_base_url",
    "apiKey": "api_key", "apikey": "api_key", "key": "api_key", "token": "api_key",
    "model": "models", "model_list": "models", "option": "options", "file": "path",
    "long_context": "longContext", "longcontext": "longContext", "web_search": "webSearch",
    "websearch": "webSearch", "longContextThreshhold": "longContextThreshold",
    "long_context_threshold": "longContextThreshold", "thinking": "think",
}


def meant(key: str, known) -> str | None:
    """The known key a misspelt one was meant to be, or None."""
    alias = ALIASES.get(key)
    if alias in known:
        return alias
    # A misspelling is an error, so only a close one counts (`paht` for `path`, not
    # `compact_threshold` for `longContextThreshold`).
    return closest(key, known, SURE) or closest(key.replace("_", "").replace("-", ""), known, SURE)


def unknown_key_hits(path: tuple, keys, known, where: str, tolerated=()):
    """A Hit per key CCR does not read: an error with a did-you-mean when it is a misspelling
    of a key CCR reads, a warning when it resembles none (it may be meant for another tool)."""
    for key in keys:
        if not isinstance(key, str) or key in known or key in tolerated or key.startswith(COMMENT_PREFIXES):
            continue
        close = meant(key, known)
        if close and close != key:
            yield Hit(path + (key,), f"'{key}' is not read by CCR 2.0.0 in {where}, so it is ignored",
                      f"did you mean '{close}'?")
        else:
            yield Hit(path + (key,), f"'{key}' is not a key CCR 2.0.0 reads in {where}",
                      "remove it if it is not for another tool", severity="warning")


@rule(
    code="CCR013",
    name="router-unknown-key",
    severity="error",
    summary="`Router` has a key CCR 2.0.0 does not read",
    why="""CCR reads the Router keys by their exact names; `longcontext` or `web_search` is
kept and silently ignored, so the route the user meant to set never takes effect.""",
    fix="Use one of: " + ", ".join(ROUTER_KEYS) + ".",
    severity_why="""an error when the key is a misspelling of a Router key, or a map of routes
nested one level too deep (`"routes": {"think": ...}`): the route the user wrote is silently
ignored; a warning when ccrgen cannot tell what it was meant to be.""",
)
def router_unknown_key(ctx):
    for hit in unknown_key_hits(("Router",), ctx.router, ROUTER_KEYS, "Router"):
        nested = _nested_routes(ctx.router.get(hit.path[-1]))
        if nested:  # `"routes": {"think": ...}`: routes the user meant, one level too deep
            yield Hit(hit.path, f"'{hit.path[-1]}' holds routes ({', '.join(nested)}) that CCR 2.0.0 "
                      "never reads: it reads them only directly under Router",
                      "move them up: Router.think, Router.background, ...")
        else:
            yield hit


def _nested_routes(value) -> list[str]:
    """The keys of a map under Router that name routes (as written, or as a spelling of one) and
    hold a string, as a route does (a misplaced tokenizer's `default: {...}` is not a route)."""
    if not isinstance(value, dict):
        return []
    return [key for key, route in value.items() if isinstance(key, str) and isinstance(route, str)
            and key != "longContextThreshold" and (key in ROUTER_KEYS or meant(key, ROUTER_KEYS))]


@rule(
    code="CCR015",
    name="fallback-unknown-route",
    severity="error",
    summary="`fallback` has a key that is not a route CCR falls back for",
    why="""CCR looks up `fallback[<route it chose>]`: a list under any other key (`long_context`,
`Default`) is never used, so the fallback the user wrote never happens.""",
    fix="Use one of: " + ", ".join(facts.FALLBACK_ROUTES) + ".",
    severity_why="the fallback list the user wrote is silently never used.",
)
def fallback_unknown_route(ctx):
    fallback = ctx.config.get("fallback")
    if isinstance(fallback, dict):
        for hit in unknown_key_hits(("fallback",), fallback, facts.FALLBACK_ROUTES, "fallback"):
            yield Hit(hit.path, hit.message, hit.hint)  # never used, whatever it was meant to be


@rule(
    code="CCR065",
    name="unknown-top-level-key",
    severity="error",
    summary="A top-level key CCR 2.0.0 does not read",
    why="""CCR keeps unknown keys and ignores them, so a misspelt `Api_Key` or a lower-case
`port` changes nothing, without a word.""",
    fix="Fix the spelling, or remove the key.",
    severity_why="""an error when the key is a misspelling of a key CCR reads (the setting is
silently ignored); a warning when it looks like nothing CCR reads (it may be for another tool).""",
)
def unknown_top_level_key(ctx):
    if ctx.loaded.kind == "spec":
        return  # the spec's own schema names unknown keys; pass-through keys are deliberate
    keys = [k for k in ctx.raw if not (isinstance(k, str) and k.lower() == "router" and "Router" not in ctx.raw)]
    legacy = "Providers" not in ctx.raw and "providers" not in ctx.raw
    for key in [k for k in keys if k in LEGACY_KEYS]:
        if not legacy:  # leftovers next to Providers: ignored, and harmless
            yield Hit((key,), f"'{key}' is CCR 1.x's key: CCR 2.0.0 ignores it and uses Providers",
                      "remove it", severity="warning")
    keys = [k for k in keys if k not in LEGACY_KEYS]  # CCR014 reports the old shape
    if is_preset_manifest(ctx):  # its metadata is read by `ccr preset`, next to the config keys
        keys = [k for k in keys if k not in MANIFEST_KEYS]
    yield from unknown_key_hits((), keys, facts.KNOWN_TOP_LEVEL_KEYS, "the config")


# A CCR preset's `manifest.json` (~/.claude-code-router/presets/<name>/): config sections next to
# metadata that `ccr preset list|info|install` reads (CCR 2.0.0's preset loader).
MANIFEST_KEYS = ("name", "version", "description", "author", "homepage", "repository", "license",
                 "keywords", "ccrVersion", "source", "sourceType", "checksum", "schema", "template",
                 "configMappings")


def is_preset_manifest(ctx) -> bool:
    from pathlib import Path

    raw = ctx.raw
    return Path(str(ctx.loaded.file)).name == "manifest.json" and isinstance(raw.get("name"), str) \
        and ("version" in raw or "schema" in raw or "template" in raw)


@rule(
    code="CCR005",
    name="unknown-key",
    severity="error",
    summary="A provider, per-model chain or `transformers` entry has a key CCR 2.0.0 does not read",
    why="""CCR reads a provider's `name`, `api_base_url`, `api_key`, `models`, `transformer` and
`tokenizer`, and a transformer entry's `path` and `options`, by those exact names. Anything
else is ignored: `transformers` (for `transformer`) means the provider's transformers never
run, `api_base` or `baseURL` leaves the provider without a URL, `model` without models.""",
    fix="Rename the key to the one CCR reads (the hint names it).",
    severity_why="""an error when the key is a misspelling of one CCR reads (what the user wrote
is ignored); a warning when it resembles none.""",
)
def unknown_key(ctx):
    for path, provider in ctx.providers:
        yield from unknown_key_hits(path, provider, PROVIDER_KEYS, "a provider")
        chain = provider.get("transformer")
        for model, per_model in (chain.items() if isinstance(chain, dict) else ()):
            if model != "use" and isinstance(per_model, dict):
                for hit in unknown_key_hits(path + ("transformer", model), per_model, ("use",),
                                            "a per-model transformer chain"):
                    yield Hit(hit.path, hit.message, hit.hint)  # nothing else reads it: thrown away
    entries = ctx.config.get("transformers")
    for i, entry in enumerate(entries if isinstance(entries, list) else []):
        if isinstance(entry, dict):
            yield from unknown_key_hits(("transformers", i), entry, TRANSFORMER_ENTRY_KEYS,
                                        "a transformers entry", TOLERATED["transformers[]"])


@rule(
    code="CCR014",
    name="no-providers",
    severity="error",
    summary="The config has no `Providers` (or only an empty list): the legacy 1.x shape",
    why="""CCR 2.0.0 routes only to the providers listed under `Providers`. A config in CCR 1.x's
shape (`OPENAI_API_KEY`, `OPENAI_BASE_URL`, `OPENAI_MODEL` at the top level) or with an empty
list, as `ccr code` writes when its service did not come up in time (issue #1045), has no
provider, so every request fails.""",
    fix="""Add `Providers: [{name, api_base_url, api_key, models}]` and a `Router` naming them
(`ccrgen import` or `ccrgen build --preset NAME` writes one).""",
    severity_why="every request fails: there is no provider to route to.",
)
def no_providers(ctx):
    if ctx.loaded.kind == "spec":
        return
    present = [k for k in ("Providers", "providers") if k in ctx.raw]
    if present:
        value = ctx.raw[present[0]]
        if isinstance(value, list) and not value:
            yield Hit((present[0],), f"{present[0]} is empty: CCR has no provider to route to",
                      "add your providers (ccrgen build --preset NAME writes a config with them)")
        return
    legacy = [k for k in LEGACY_KEYS if k in ctx.raw]
    if legacy:
        yield Hit((legacy[0],), f"no Providers: this is CCR 1.x's shape ({', '.join(legacy)}), "
                  "which CCR 2.0.0 does not read", "move the provider into Providers: "
                  "[{name, api_base_url, api_key, models}] and route to it in Router")
    else:
        yield Hit((), "no Providers: CCR has no provider to route to",
                  "add Providers: [{name, api_base_url, api_key, models}]")
