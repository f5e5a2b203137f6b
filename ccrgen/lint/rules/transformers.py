"""Transformers: names in `use` lists, custom transformer paths, options."""

from __future__ import annotations

import re
from pathlib import Path

from ccrgen.ccr import facts
from ccrgen.lint.rule import Hit, rule
from ccrgen.lint.rules.routes import closest

# How a transformer file declares the name CCR registers it under.
NAME_IN_SOURCE = re.compile(r"""\bname\s*[=:]\s*(["'`])([^"'`\n]+)\1""")

# Built-ins whose constructor takes options (CCR 2.0.0's transformer sources). `Anthropic`
# reads `UseBearer`, but CCR registers it as an instance, so a config can never pass it
# options (CCR059).
TAKES_OPTIONS = frozenset({"Anthropic", "customparams", "maxtoken", "openrouter", "reasoning",
                           "sampling", "vercel"})


class Custom:
    __slots__ = ("index", "path", "source")

    def __init__(self, index: int, path: str, source: str | None) -> None:
        self.index = index          # position in `transformers`
        self.path = path
        self.source = source        # the file's text when ccrgen could read it

    def __eq__(self, other) -> bool:
        return ((self.index, self.path, self.source) == (other.index, other.path, other.source)
                if type(other) is Custom else NotImplemented)

    __hash__ = None

    def __repr__(self) -> str:
        return f"Custom(index={self.index!r}, path={self.path!r}, source=...)"


class CustomTransformers:
    __slots__ = ("loaded", "unnamed")

    def __init__(self, loaded: dict[str, Custom] | None = None, unnamed: list[Custom] | None = None) -> None:
        self.loaded = {} if loaded is None else loaded      # name -> transformer CCR registers
        self.unnamed = [] if unnamed is None else unnamed   # present, but name unknown to ccrgen


def loadable_path(path: str) -> bool:
    """CCR 2.0.0 `require`s the path as written: no `~` expansion, relative to its own folder."""
    return Path(path).is_absolute()


def _source(ctx, path: str) -> str | None:
    files = getattr(ctx.loaded, "files", {}) or {}
    name = Path(path).name
    if ctx.loaded.kind == "spec" and name in files:
        return files[name]  # written by this build
    from ccrgen.errors import CcrgenError
    from ccrgen.common.inputs import read_bytes

    try:  # a regular file, size-limited: never a FIFO or /dev/zero
        return read_bytes(Path(path)).decode("utf-8", errors="replace")
    except CcrgenError:
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
    severity_why="the transformer never runs (a warning only when ccrgen cannot read which name a custom transformer registers).",
)
def unknown_transformer(ctx):
    custom = custom_transformers(ctx)
    known = set(facts.BUILTIN_TRANSFORMERS) | set(custom.loaded)
    for path, name, _options in use_entries(ctx):
        if name in known:
            continue
        close = closest(name, known, 0.75)
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
    severity_why="the transformer or router never loads: CCR carries on without it.",
)
def transformer_path_tilde(ctx):
    for where, path in required_paths(ctx):
        if path.startswith("~"):
            yield Hit(where, f"'{path}' starts with '~', which CCR does not expand",
                      f"write '{Path(path).expanduser()}'")


@rule(
    code="CCR052",
    name="transformer-path-relative",
    severity="error",
    summary="A transformer `path` is relative",
    why="""CCR resolves a relative path against its own install folder, not the config's, so
the file is not found and the transformer is skipped with only a log line.""",
    fix="Write the absolute path of the file.",
    severity_why="the transformer or router never loads: CCR carries on without it.",
)
def transformer_path_relative(ctx):
    for where, path in required_paths(ctx):
        if not path.startswith(("~", "$")) and not Path(path).is_absolute():
            yield Hit(where, f"'{path}' is relative: CCR resolves it against its own folder",
                      _absolute_hint(ctx, path))


def _absolute_hint(ctx, path: str) -> str:
    """'write the absolute path', naming it when the file sits beside the linted file."""
    file = getattr(ctx.loaded, "file", None)
    if not file or str(file) == "-":
        return "write the absolute path"
    beside = (Path(str(file)).resolve().parent / path).resolve()
    return f"write the absolute path: '{beside}'" if beside.is_file() else "write the absolute path"


@rule(
    code="CCR053",
    name="transformer-path-missing",
    severity="error",
    summary="A transformer `path` names a file that does not exist",
    why="""CCR logs `Cannot find module` at start-up and carries on without the transformer;
requests then go out without it.""",
    fix="Fix the path, or install the file there (`ccrgen build --install` writes ccrgen's own).",
    severity_why="the transformer or router never loads: CCR carries on without it.",
)
def transformer_path_missing(ctx):
    for where, path in required_paths(ctx):
        if not _built_here(ctx, path) and loadable_path(path) and not Path(path).is_file():
            yield Hit(where, f"'{path}' does not exist", "fix the path or install the file there")


@rule(
    code="CCR054",
    name="transformer-options-ignored",
    severity="error",
    summary="Options are given to a built-in transformer that takes none",
    why="""Only some built-ins (customparams, maxtoken, openrouter, reasoning, sampling, vercel)
read options; `maxcompletiontokens` silently ignores them, so the setting the user wrote has
no effect. (Options for a built-in CCR registers as an instance, such as tooluse or
Anthropic, do worse: CCR059.)""",
    fix="Remove the options, or use a transformer that reads them (e.g. `maxtoken` for `max_tokens`).",
    severity_why="the options the user wrote are thrown away.",
)
def transformer_options_ignored(ctx):
    for path, name, options in use_entries(ctx):
        if name in facts.INSTANCE_BUILTINS:
            continue  # written as a list, the entry drops the whole provider (CCR059)
        if options and name in facts.BUILTIN_TRANSFORMERS and name not in TAKES_OPTIONS:
            yield Hit(path, f"'{name}' takes no options; {sorted(options)} are ignored",
                      "remove the options")


@rule(
    code="CCR059",
    name="use-entry-not-constructible",
    severity="error",
    summary="A `use` entry is written as `[name, ...]` for a transformer CCR cannot construct from it",
    why="""CCR 2.0.0 reads a `[name, {options}]` entry by calling `new` on what is registered
under the name. Only some built-ins are registered as classes (customparams, maxcompletiontokens,
maxtoken, openrouter, reasoning, sampling, vercel); the others (Anthropic, deepseek, gemini,
tooluse, enhancetool, ...) and every custom transformer from `transformers` are registered as
ready-made instances, and `new` on an instance throws. CCR then logs `provider registered error:
TypeError: o is not a constructor` and leaves the whole provider out: every route to it answers
`Provider '...' not found`. So `["Anthropic", {"UseBearer": true}]`, `["tooluse"]` or
`["my-transformer", {...}]` breaks the provider, whatever the options say.""",
    fix="""Write the name alone (`"tooluse"`, `"Anthropic"`). A custom transformer's options go in its
`transformers` entry (`{"path": ..., "options": {...}}`). CCR 2.0.0 has no way to pass
`UseBearer` to the built-in Anthropic transformer: for a provider that wants a Bearer token on
its Anthropic endpoint, use a custom transformer that sets the header.""",
    severity_why="the provider is never registered: every request routed to it fails.",
)
def use_entry_not_constructible(ctx):
    customs = custom_transformers(ctx).loaded
    for path, _provider, chain in use_lists(ctx):
        if not isinstance(chain, list):
            continue
        for j, entry in enumerate(chain):
            if not (isinstance(entry, list) and entry and isinstance(entry[0], str)):
                continue
            name = entry[0]
            if name in facts.INSTANCE_BUILTINS:
                what = "a built-in CCR registers as an instance"
            elif name in customs and name not in facts.BUILTIN_TRANSFORMERS:
                what = f"a custom transformer (loaded from {customs[name].path})"
            else:
                continue
            options = entry[1] if len(entry) > 1 else None
            hint = f"write \"{name}\" instead of [\"{name}\", ...]"
            if name in customs and name not in facts.BUILTIN_TRANSFORMERS and options:
                hint += f", and put the options in the transformers entry of {customs[name].path}"
            elif name == "Anthropic" and isinstance(options, dict) and options.get("UseBearer"):
                hint += ": CCR 2.0.0 cannot pass UseBearer; a custom transformer can set a Bearer header"
            yield Hit(path + (j, 0), f"'{name}' is {what}: CCR calls `new` on it, which throws, and "
                      f"drops the whole provider ('Provider not found')", hint)


def _paths(ctx):
    entries = ctx.config.get("transformers")
    for i, entry in enumerate(entries if isinstance(entries, list) else []):
        if isinstance(entry, dict) and isinstance(entry.get("path"), str):
            yield i, entry["path"]


def required_paths(ctx):
    """(config path, file path) of every file CCR `require`s: custom transformers and the
    custom router. CCR loads both the same way, so they get the same checks."""
    for i, path in _paths(ctx):
        yield ("transformers", i, "path"), path
    router = ctx.config.get("CUSTOM_ROUTER_PATH")
    if isinstance(router, str) and router.strip():
        yield ("CUSTOM_ROUTER_PATH",), router


def _built_here(ctx, path: str) -> bool:
    files = getattr(ctx.loaded, "files", {}) or {}
    return ctx.loaded.kind == "spec" and Path(path).name in files


# What makes a file loadable by CCR's `require` and usable: CommonJS exports, not ES modules.
EXPORTS = re.compile(r"\bmodule\.exports\b|\bexports\.\w+\s*=")
ES_MODULE = re.compile(r"^\s*export\s+(?:default|class|function|const|async)\b", re.M)


@rule(
    code="CCR058",
    name="required-file-not-commonjs",
    severity="error",
    summary="A transformer or custom router file is not a CommonJS module CCR can `require`",
    why="""CCR 2.0.0 loads these files with `require`: an ES module (`export default ...`) fails
to load, and a file that assigns nothing to `module.exports` gives CCR an empty object, which
is no transformer class and no router function. CCR logs the error and carries on without it.""",
    fix="End the file with `module.exports = YourTransformer;` (or the router function).",
    severity_why="the transformer or router never loads: CCR carries on without it.",
)
def required_file_not_commonjs(ctx):
    for where, path in required_paths(ctx):
        if not loadable_path(path):
            continue
        source = ctx.loaded.files.get(Path(path).name) if _built_here(ctx, path) else _source(ctx, path)
        if source is None:
            continue  # CCR053 (or not readable here)
        if ES_MODULE.search(source) and not EXPORTS.search(source):
            yield Hit(where, f"'{path}' is an ES module: CCR's require() cannot load it",
                      "use module.exports = ... instead of export")
        elif not EXPORTS.search(source):
            yield Hit(where, f"'{path}' exports nothing (no module.exports)",
                      "end it with module.exports = YourTransformer")


def raw_use_lists(ctx):
    """(config path, list) of every `use` list as written (wrong types included)."""
    key = ctx.providers_key
    providers = ctx.raw.get(key)
    for i, provider in enumerate(providers if isinstance(providers, list) else []):
        chain = provider.get("transformer") if isinstance(provider, dict) else None
        if not isinstance(chain, dict):
            continue
        for name, value in chain.items():
            if name == "use" and isinstance(value, list):
                yield (key, i, "transformer", "use"), value
            elif isinstance(value, dict) and isinstance(value.get("use"), list):
                yield (key, i, "transformer", name, "use"), value["use"]


@rule(
    code="CCR056",
    name="use-options-not-paired",
    severity="error",
    summary="Options in a `use` list are not paired with their transformer as `[name, {options}]`",
    why="""CCR 2.0.0 reads a `use` entry as a name or as a `[name, {options}]` pair and drops
anything else without a word: in `["maxtoken", {"max_tokens": 16384}]` the object is a
separate entry, so it is dropped and `maxtoken` runs without `max_tokens`.""",
    fix="Write the pair as one entry: `[[\"maxtoken\", {\"max_tokens\": 16384}]]`.",
    severity_why="the options the user wrote are thrown away.",
)
def use_options_not_paired(ctx):
    for path, chain in raw_use_lists(ctx):
        for j, entry in enumerate(chain):
            if isinstance(entry, dict):
                before = chain[j - 1] if j and isinstance(chain[j - 1], str) else None
                yield Hit(path + (j,), "an options object on its own: CCR drops it"
                          + (f", so '{before}' runs without options" if before else ""),
                          f"write [\"{before}\", {{...}}] as one entry" if before
                          else "put it after its transformer's name: [\"name\", {...}]")
            elif isinstance(entry, list) and (not entry or not isinstance(entry[0], str)):
                yield Hit(path + (j,), "a [name, {options}] entry without a name first: CCR drops it",
                          "write [\"name\", {...}]")


@rule(
    code="CCR057",
    name="model-chain-unknown-model",
    severity="error",
    summary="A per-model transformer key names a model the provider does not list",
    why="""CCR applies `transformer["<model>"]` only to requests for exactly that model of the
provider: a key that is not one of its `models` (a typo, a different case, a stale name) is
never applied.""",
    fix="Name the key exactly as the model is listed in `models`.",
    severity_why="the transformer chain the user wrote is never applied.",
)
def model_chain_unknown_model(ctx):
    from ccrgen.lint.rules.routes import model_names

    for path, provider in ctx.providers:
        chain = provider.get("transformer")
        if not isinstance(chain, dict) or "models" not in provider:
            continue
        models = model_names(provider)
        for key in chain:
            if key != "use" and key not in models:
                close = closest(key, models)
                yield Hit(path + ("transformer", key), f"'{key}' is not one of the provider's models: "
                          "its chain is never applied",
                          f"did you mean '{close}'?" if close else f"models: {', '.join(models) or 'none'}")


@rule(
    code="CCR055",
    name="maxtoken-invalid",
    severity="error",
    summary="`maxtoken` is given no positive `max_tokens`",
    why="""CCR's `maxtoken` lowers every request's `max_tokens` to its option: with `0` (or a
negative number) every request asks for no output and the provider rejects it; without the
option the transformer does nothing at all.""",
    fix="Write `[\"maxtoken\", {\"max_tokens\": 65536}]` with the model's output limit.",
    severity_why="every request is rejected (0 or negative tokens), or the transformer changes nothing (no option): both silently undo what the user wrote.",
)
def maxtoken_invalid(ctx):
    unpaired = {path for path, chain in raw_use_lists(ctx)  # CCR056 names the lost options
                if any(isinstance(e, dict) for e in chain)}
    for path, name, options in use_entries(ctx):
        if name != "maxtoken":
            continue
        value = (options or {}).get("max_tokens") if isinstance(options, dict) else None
        if value is None and path[:-1] in unpaired:
            continue
        if value is None:
            yield Hit(path, "maxtoken has no max_tokens option: it changes nothing",
                      "write [\"maxtoken\", {\"max_tokens\": N}]")
        elif isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            yield Hit(path, f"maxtoken max_tokens is {value!r}: every request would ask for that many tokens",
                      "use the model's output limit, e.g. 65536")
