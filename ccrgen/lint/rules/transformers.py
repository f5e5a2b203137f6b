"""Transformers: names in `use` lists, custom transformer paths, options."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ccrgen.ccr import facts
from ccrgen.lint.rule import Hit, rule
from ccrgen.lint.rules.routes import closest

# How a transformer file declares the name CCR registers it under.
NAME_IN_SOURCE = re.compile(r"""\bname\s*[=:]\s*(["'`])([^"'`\n]+)\1""")

# Built-ins whose constructor takes options (CCR 2.0.0's transformer sources).
TAKES_OPTIONS = frozenset({"Anthropic", "customparams", "maxtoken", "openrouter", "reasoning",
                           "sampling", "vercel"})


@dataclass
class Custom:
    index: int                      # position in `transformers`
    path: str
    source: str | None              # the file's text when ccrgen could read it


@dataclass
class CustomTransformers:
    loaded: dict[str, Custom] = field(default_factory=dict)   # name -> transformer CCR registers
    unnamed: list[Custom] = field(default_factory=list)       # present, but name unknown to ccrgen


def loadable_path(path: str) -> bool:
    """CCR 2.0.0 `require`s the path as written: no `~` expansion, relative to its own folder."""
    return Path(path).is_absolute()


def _source(ctx, path: str) -> str | None:
    files = getattr(ctx.loaded, "files", {}) or {}
    name = Path(path).name
    if ctx.loaded.kind == "spec" and name in files:
        return files[name]  # written by this build
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def custom_transformers(ctx) -> CustomTransformers:
    def compute():
        found = CustomTransformers()
        entries = ctx.config.get("transformers")
        for i, entry in enumerate(entries if isinstance(entries, list) else []):
            path = entry.get("path") if isinstance(entry, dict) else None
            if not isinstance(path, str) or not loadable_path(path):
                continue  # CCR051/CCR052: CCR cannot load it, so it provides no name
            source = _source(ctx, path)
            if source is None:
                continue  # CCR053: the file is not there, so CCR loads nothing
            match = NAME_IN_SOURCE.search(source)
            custom = Custom(i, path, source)
            if match:
                found.loaded.setdefault(match.group(2), custom)
            else:
                found.unnamed.append(custom)
        return found

    return ctx._once("custom_transformers", compute)


def use_lists(ctx):
    """(config path of a `use` list, provider, the list) for provider and per-model chains."""
    for path, provider in ctx.providers:
        chain = provider.get("transformer")
        if not isinstance(chain, dict):
            continue
        for key, value in chain.items():
            if key == "use":
                yield path + ("transformer", "use"), provider, value
            elif isinstance(value, dict) and isinstance(value.get("use"), list):
                yield path + ("transformer", key, "use"), provider, value["use"]


def use_entries(ctx):
    """(config path of the name, name, options or None) for every entry of every `use` list."""
    for path, _provider, chain in use_lists(ctx):
        if not isinstance(chain, list):
            continue
        for j, entry in enumerate(chain):
            if isinstance(entry, str):
                yield path + (j,), entry, None
            elif isinstance(entry, list) and entry and isinstance(entry[0], str):
                yield path + (j, 0), entry[0], entry[1] if len(entry) > 1 else None


@rule(
    code="CCR050",
    name="unknown-transformer",
    severity="error",
    summary="A `use` list names a transformer that is neither built in nor loaded",
    why="""CCR 2.0.0 silently skips a name it has no transformer for: the request goes out
without the change the transformer was meant to make (for header-auth providers such as
Hicap: with `Authorization: Bearer` instead of the provider's header, and a 401).""",
    fix="Use a built-in name with its exact spelling, or register the custom transformer under `transformers` with an absolute path.",
)
def unknown_transformer(ctx):
    custom = custom_transformers(ctx)
    known = set(facts.BUILTIN_TRANSFORMERS) | set(custom.loaded)
    for path, name, _options in use_entries(ctx):
        if name in known:
            continue
        close = closest(name, known)
        if custom.unnamed:
            paths = ", ".join(c.path for c in custom.unnamed)
            yield Hit(path, f"transformer '{name}' is not built in and ccrgen could not tell which "
                      f"custom transformer provides it", f"check that {paths} loads: `ccrgen doctor`",
                      severity="warning")
        else:
            loaded_paths = {c.path for c in custom.loaded.values()}
            blocked = [p for _, p in _paths(ctx) if p not in loaded_paths]
            own = [p for p in blocked if name.lower() in Path(p).name.lower()]
            if own or (blocked and not close):
                path_ = (own or blocked)[0]
                why = "give its absolute path" if not loadable_path(path_) else "the file is not there"
                hint = f"CCR cannot load {path_}: {why}"
            elif close:
                hint = f"did you mean '{close}'?"
            else:
                hint = "register it under `transformers` with an absolute path"
            yield Hit(path, f"no transformer named '{name}': CCR skips it silently", hint)


@rule(
    code="CCR051",
    name="transformer-path-tilde",
    severity="error",
    summary="A transformer `path` starts with `~`",
    why="""CCR 2.0.0 passes the path to `require` as written; `~` is not expanded, so the
transformer never loads and the providers that use it send requests without it (the setup
guide's own `~/.claude-code-router/...` path has exactly this problem).""",
    fix="Write the absolute path, e.g. `/home/you/.claude-code-router/hicap-transformer.js`.",
)
def transformer_path_tilde(ctx):
    for i, path in _paths(ctx):
        if path.startswith("~"):
            yield Hit(("transformers", i, "path"), f"'{path}' starts with '~', which CCR does not expand",
                      f"write '{Path(path).expanduser()}'")


@rule(
    code="CCR052",
    name="transformer-path-relative",
    severity="error",
    summary="A transformer `path` is relative",
    why="""CCR resolves a relative path against its own install folder, not the config's, so
the file is not found and the transformer is skipped with only a log line.""",
    fix="Write the absolute path of the file.",
)
def transformer_path_relative(ctx):
    for i, path in _paths(ctx):
        if not path.startswith(("~", "$")) and not Path(path).is_absolute():
            yield Hit(("transformers", i, "path"), f"'{path}' is relative: CCR resolves it against its own folder",
                      "write the absolute path")


@rule(
    code="CCR053",
    name="transformer-path-missing",
    severity="error",
    summary="A transformer `path` names a file that does not exist",
    why="""CCR logs `Cannot find module` at start-up and carries on without the transformer;
requests then go out without it.""",
    fix="Fix the path, or install the file there (`ccrgen build --install` writes ccrgen's own).",
)
def transformer_path_missing(ctx):
    files = getattr(ctx.loaded, "files", {}) or {}
    for i, path in _paths(ctx):
        if not loadable_path(path) or (ctx.loaded.kind == "spec" and Path(path).name in files):
            continue
        if not Path(path).is_file():
            yield Hit(("transformers", i, "path"), f"'{path}' does not exist",
                      "fix the path or install the file there")


@rule(
    code="CCR054",
    name="transformer-options-ignored",
    severity="warning",
    summary="Options are given to a built-in transformer that takes none",
    why="""Only some built-ins (Anthropic, customparams, maxtoken, openrouter, reasoning,
sampling, vercel) read options; elsewhere they are silently ignored, so the setting the
user wrote has no effect.""",
    fix="Remove the options, or use a transformer that reads them (e.g. `maxtoken` for `max_tokens`).",
)
def transformer_options_ignored(ctx):
    for path, name, options in use_entries(ctx):
        if options and name in facts.BUILTIN_TRANSFORMERS and name not in TAKES_OPTIONS:
            yield Hit(path, f"'{name}' takes no options; {sorted(options)} are ignored",
                      "remove the options")


def _paths(ctx):
    entries = ctx.config.get("transformers")
    for i, entry in enumerate(entries if isinstance(entries, list) else []):
        if isinstance(entry, dict) and isinstance(entry.get("path"), str):
            yield i, entry["path"]


@rule(
    code="CCR055",
    name="maxtoken-invalid",
    severity="error",
    summary="`maxtoken` is given no positive `max_tokens`",
    why="""CCR's `maxtoken` lowers every request's `max_tokens` to its option: with `0` (or a
negative number) every request asks for no output and the provider rejects it; without the
option the transformer does nothing at all.""",
    fix="Write `[\"maxtoken\", {\"max_tokens\": 65536}]` with the model's output limit.",
)
def maxtoken_invalid(ctx):
    for path, name, options in use_entries(ctx):
        if name != "maxtoken":
            continue
        value = (options or {}).get("max_tokens") if isinstance(options, dict) else None
        if value is None:
            yield Hit(path, "maxtoken has no max_tokens option: it changes nothing",
                      "write [\"maxtoken\", {\"max_tokens\": N}]", severity="warning")
        elif isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            yield Hit(path, f"maxtoken max_tokens is {value!r}: every request would ask for that many tokens",
                      "use the model's output limit, e.g. 65536")
