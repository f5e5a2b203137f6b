"""The fixes `lint --fix` can make, one builder per rule code.

A builder gets a finding and the `Target` (the file's text with its spans, and the loaded
config when the file could be loaded) and returns a `Fix` or None. It works from the data,
never from the finding's wording (except a rule's `did you mean 'X'?`, which names the
candidate), and it edits only a value the user's own file holds: a value that came from a
preset has no span in the file, so it gets no fix.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Callable
from urllib.parse import urlsplit

from ccrgen.lint.fix import Edit, Fix
from ccrgen.lint.source import MISSING

OPENAI_ENDPOINT = "/chat/completions"
# The last path segment of an OpenAI-compatible base that lacks only `/chat/completions`:
# a version (`/v1`, `/v4`, `/v1beta`) or `/openai` (Gemini's, Groq's `/openai/v1` ends in v1).
VERSION_SEGMENT = re.compile(r"v\d+(?:(?:alpha|beta)\d*)?|openai", re.I)
DID_YOU_MEAN = re.compile(r"did you mean '([^']+)'\?|rename '[^']+' to '([^']+)'")


@dataclass
class Target:
    file: str
    source: object                  # lint.source.Json5Source or YamlSource
    loaded: object | None = None    # loader.LoadedConfig, None when the spec did not validate

    def path_of(self, finding, *, key: bool = False) -> tuple | None:
        """Where in this file's own data the finding's value (or key) is; None when it is
        not in this file (e.g. in a preset the spec extends)."""
        if finding.file != self.file or finding.context:
            return None  # elsewhere, or reported at the user's line for a value set elsewhere
        if self.source.kind == "config" and finding.config_path is not None:
            return tuple(finding.config_path)
        if finding.line is None or finding.column is None:
            return None
        if self.source.kind == "config":
            return self.source.path_at(finding.line, finding.column)
        return self.source.path_at(finding.line, finding.column, key=key)

    def config_value(self, path: tuple):
        node = self.loaded.config if self.loaded is not None else MISSING
        for part in path or ():
            try:
                node = node[part]
            except (KeyError, IndexError, TypeError):
                return MISSING
        return node

    def replace_value(self, path: tuple | None, old: str, new: str, title: str, *, safe: bool = True) -> Fix | None:
        """Replace the string `old` at `path` with `new` (None if the file holds something else)."""
        if path is None or new == old or self.source.value(path) != old:
            return None
        span = self.source.value_span(path)
        if span is None:
            return None
        return Fix(title, (Edit(*span, self.source.scalar(new, path)),), safe)

    def rename_key(self, path: tuple | None, new: str, title: str, *, safe: bool = True,
                   extra: tuple[Edit, ...] = ()) -> Fix | None:
        if not path or not isinstance(path[-1], str) or path[-1] == new:
            return None
        if new in self.source.keys(path[:-1]):
            return None  # both spellings present: merging them is the user's call
        span = self.source.key_span(path)
        if span is None:
            return None
        return Fix(title, (Edit(*span, self.source.key(new, path)),) + extra, safe)


Builder = Callable[[object, Target], "Fix | None"]
BUILDERS: dict[str, Builder] = {}


def builder(*codes: str):
    from ccrgen.lint.engine import FIXABLE_CODES

    def register(func: Builder) -> Builder:
        for code in codes:
            if code not in FIXABLE_CODES:  # lint would never look for its fix
                raise RuntimeError(f"{code}: a fix builder for a code not in engine.FIXABLE_CODES")
            BUILDERS[code] = func
        return func
    return register


def has_builder(code: str) -> bool:
    return code in BUILDERS


def attach(findings: list, target: Target) -> list:
    """The findings, each with the fix its builder makes (or none)."""
    out = []
    for f in findings:
        build = BUILDERS.get(f.code)
        fix = build(f, target) if build is not None and f.fix is None else None
        out.append(f.replace(fix=fix) if fix is not None else f)
    return out


# --- Paths ------------------------------------------------------------------------------


@builder("CCR051")
def absolute_transformer_path(finding, target: Target) -> Fix | None:
    """`~/.claude-code-router/x.js` -> `/home/you/.claude-code-router/x.js` (CCR does not
    expand `~`; the user evidently meant their home)."""
    path = target.path_of(finding)
    old = target.source.value(path) if path else MISSING
    if not isinstance(old, str) or not old.startswith("~"):
        return None
    new = os.path.expanduser(old)
    if new.startswith("~"):
        return None  # `~someone` who is not a user here
    return target.replace_value(path, old, new, f"expand '~': '{new}'")


# --- Routes -----------------------------------------------------------------------------


def _provider_names(target: Target) -> list[str]:
    from ccrgen.ccr.config import providers_of

    if target.loaded is None:
        return []
    return [p["name"] for p in providers_of(target.loaded.config)
            if isinstance(p, dict) and isinstance(p.get("name"), str)]


@builder("CCR002")
def route_provider_case(finding, target: Target) -> Fix | None:
    """`Hicap,gpt-5.2` -> `hicap,gpt-5.2`, when exactly one provider has that name in another case."""
    path = target.path_of(finding)
    old = target.source.value(path) if path else MISSING
    if not isinstance(old, str) or "," not in old:
        return None
    provider, model = old.split(",", 1)
    names = _provider_names(target)
    same = sorted({n for n in names if n.lower() == provider.strip().lower()})
    if len(same) != 1 or provider in names:
        return None
    return target.replace_value(path, old, f"{same[0]},{model.strip()}", f"write the provider as '{same[0]}'")


@builder("CCR010")
def route_spaces(finding, target: Target) -> Fix | None:
    """`hicap , gpt-5.2` -> `hicap,gpt-5.2` (CCR keeps the spaces in both names)."""
    path = target.path_of(finding)
    old = target.source.value(path) if path else MISSING
    if not isinstance(old, str) or "," not in old:
        return None
    provider, model = old.split(",", 1)
    if not provider.strip() or not model.strip():
        return None
    new = f"{provider.strip()},{model.strip()}"
    return target.replace_value(path, old, new, f"remove the spaces: '{new}'")


# --- Endpoints --------------------------------------------------------------------------


def _expected_endpoint(target: Target, config_path) -> str | None:
    from ccrgen.lint.rule import LintContext
    from ccrgen.lint.rules.providers import expected_endpoint

    provider = target.config_value(tuple(config_path)[:-1]) if config_path else MISSING
    if not isinstance(provider, dict):
        return None
    return expected_endpoint(LintContext(loaded=target.loaded, env=os.environ), provider)


def endpoint_fix(url: str, ending: str | None) -> tuple[str, bool] | None:
    """(the full endpoint URL, whether that is certain) for a base URL that lacks its
    endpoint, or None when ccrgen cannot tell. Certain: a known provider's documented
    endpoint that the URL is the start of, or a version segment (`/v1`, `/v4`, `/openai`)
    that lacks only `/chat/completions`; a bare unknown host gets `/v1/chat/completions`
    as a guess."""
    from ccrgen.ccr.providers import known_provider

    try:
        parts = urlsplit(url)
    except ValueError:  # not a URL at all ('http://[::1'): no fix to offer
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.fragment:
        return None
    path = parts.path.rstrip("/")
    query = f"?{parts.query}" if parts.query else ""
    base = f"{parts.scheme}://{parts.netloc}"
    known = known_provider(url)
    if ending == OPENAI_ENDPOINT and known and not known.is_native(url) and not query:
        head = base + path
        endpoint = known.chat_url(url)
        if endpoint != head and endpoint.startswith(head + "/"):
            return endpoint, True
    if ending == OPENAI_ENDPOINT:
        if path.endswith(OPENAI_ENDPOINT):
            return None
        last = path.rsplit("/", 1)[-1]
        if VERSION_SEGMENT.fullmatch(last):
            return base + path + OPENAI_ENDPOINT + query, True
        if not path:
            return base + "/v1" + OPENAI_ENDPOINT + query, False  # most providers, not all
        return None
    if ending == "/models/" and path.endswith("/models") and not parts.path.endswith("/"):
        return base + path + "/" + query, True
    return None


@builder("CCR044")
def base_url_endpoint(finding, target: Target) -> Fix | None:
    """`https://api.example.com/v1` -> `.../v1/chat/completions` for an OpenAI-compatible
    provider; a Gemini `.../models` gets its trailing slash. A bare host gets `/v1/chat/completions`
    only as an unsafe fix (some providers have no `/v1`)."""
    if target.loaded is None:
        return None
    path = target.path_of(finding)
    old = target.source.value(path) if path else MISSING
    if not isinstance(old, str) or old != target.config_value(finding.config_path):
        return None
    fixed = endpoint_fix(old, _expected_endpoint(target, finding.config_path))
    if fixed is None:
        return None
    new, certain = fixed
    return target.replace_value(path, old, new, f"write the full endpoint '{new}'", safe=certain)


# --- Misspelt keys ----------------------------------------------------------------------


def suggested_name(finding) -> str | None:
    match = DID_YOU_MEAN.search(finding.hint or "")
    return (match.group(1) or match.group(2)) if match else None


def _normalised(name: str) -> str:
    return re.sub(r"[-_ ]", "", name).lower()


def _one_edit_apart(a: str, b: str) -> bool:
    """One character inserted, removed, replaced, or two neighbours swapped."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = next((k for k in range(len(a)) if a[k] != b[k]), len(a))
    if len(a) < len(b):
        return a[i:] == b[i + 1:]
    return a[i + 1:] == b[i + 1:] or (a[i + 2:] == b[i + 2:] and a[i:i + 2] == b[i:i + 2][::-1])


def rename_is_certain(old: str, new: str) -> bool:
    """Only case or separators differ (`longcontext`, `web_search`), one slip of the finger
    in a name long enough to tell (`transformers`, `api_base_ur`), or another tool's name for
    the key (`baseURL`, `api_base`: lint's table of aliases)."""
    from ccrgen.lint.rules.keys import ALIASES

    return (_normalised(old) == _normalised(new) or ALIASES.get(old) == new
            or (min(len(old), len(new)) >= 5 and _one_edit_apart(old, new)))


@builder("CCR000", "CCR005", "CCR011", "CCR013", "CCR015", "CCR065")
def misspelt_key(finding, target: Target) -> Fix | None:
    """Rename a key a rule reports with one `did you mean` candidate. A provider's
    `transformers` that holds a list (or one name) also becomes `{"use": [...]}`, and a
    `model` that holds one name becomes `models: [name]`."""
    new = suggested_name(finding)
    if not new:
        return None
    path = target.path_of(finding, key=True)
    if target.source.kind == "config" and path and finding.config_path is not None:
        if target.source.value(path) is MISSING:
            return None
    if not path or not isinstance(path[-1], str):
        return None
    old = path[-1]
    extra: tuple[Edit, ...] = ()
    if old == "transformers" and new == "transformer":
        wrap = target.source.wrap_in_use(path)
        if wrap is None:
            return None
        extra = tuple(Edit(s, e, text) for (s, e), text in wrap)
    elif new == "models" and isinstance(target.source.value(path), str):
        extra = _list_of_one(target, path)
        if not extra:
            return None
    return target.rename_key(path, new, f"rename '{old}' to '{new}'",
                             safe=rename_is_certain(old, new), extra=extra)


def _list_of_one(target: Target, path: tuple) -> tuple[Edit, ...]:
    span = target.source.value_span(path)
    return (Edit(span[0], span[0], "["), Edit(span[1], span[1], "]")) if span else ()


# --- Transformers -----------------------------------------------------------------------


@builder("CCR059")
def name_alone(finding, target: Target) -> Fix | None:
    """`["tooluse"]` -> `"tooluse"`: the entry form CCR can use for an instance transformer.
    Safe only when the list held nothing but the name (or empty options): otherwise the
    options, which CCR could never pass, are removed."""
    path = target.path_of(finding)
    if not path or path[-1] != 0:
        return None
    entry_path = path[:-1]
    entry = target.source.value(entry_path)
    name = target.source.value(path)
    if not isinstance(entry, list) or not entry or not isinstance(name, str):
        return None
    span = target.source.value_span(entry_path)
    written = target.source.text[span[0]:span[1]] if span else ""
    if not (written.startswith("[") and written.endswith("]")):
        return None  # a block-style YAML list: replacing its lines is not a one-span edit
    rest = [target.source.value(entry_path + (k,)) for k in range(1, len(entry))]
    safe = all(item == {} or item is None for item in rest)
    return Fix(f"write \"{name}\" alone" + ("" if safe else " (its options are removed)"),
               (Edit(*span, target.source.scalar(name, path)),), safe)


# --- Types ------------------------------------------------------------------------------

# Lists CCR reads that users write as one string: `models: "deepseek-chat"`, `use: "deepseek"`.
LIST_KEYS = ("models", "use")


@builder("CCR004")
def one_name_for_a_list(finding, target: Target) -> Fix | None:
    """`"models": "deepseek-chat"` -> `["deepseek-chat"]`; the same for a `use` list."""
    path = target.path_of(finding)
    if not path or path[-1] not in LIST_KEYS or not isinstance(target.source.value(path), str):
        return None
    if "," in target.source.value(path):
        return None  # `"a,b"`: one name or two? CCR003's business
    edits = _list_of_one(target, path)
    return Fix(f"make {path[-1]} a list", edits) if edits else None


# --- Environment references -------------------------------------------------------------


def _interpolated_here(path: tuple | None, target: Target) -> bool:
    """CCR interpolates only some keys; elsewhere `$NAME` would not help (CCR071)."""
    from ccrgen.ccr import facts

    config_path = path if target.source.kind == "config" else None
    return bool(config_path) and config_path[0] in facts.INTERPOLATED_KEYS


@builder("CCR073")
def foreign_reference(finding, target: Target) -> Fix | None:
    """`${env:NAME}`, `%NAME%`, `$env:NAME`, `process.env.NAME` -> `${NAME}` where CCR
    interpolates. A shell default (`${NAME:-x}`) is dropped, so that one is unsafe."""
    from ccrgen.lint.rules.env import foreign_references

    path = target.path_of(finding)
    old = target.source.value(path) if path else MISSING
    if not isinstance(old, str) or not _interpolated_here(finding.config_path, target):
        return None
    new, dropped_default = old, False
    for pattern, label in foreign_references():
        new, n = pattern.subn(lambda m: "${" + m.group(1) + "}", new)
        dropped_default |= bool(n) and "default" in label
    return target.replace_value(path, old, new, f"write CCR's reference: '{new}'", safe=not dropped_default)


@builder("CCR074")
def missing_dollar(finding, target: Target) -> Fix | None:
    """`"api_key": "DEEPSEEK_API_KEY"` -> `"$DEEPSEEK_API_KEY"`."""
    from ccrgen.lint.rules.env import BARE_NAME

    path = target.path_of(finding)
    old = target.source.value(path) if path else MISSING
    if not isinstance(old, str) or not BARE_NAME.match(old.strip()):
        return None
    return target.replace_value(path, old, "$" + old.strip(), f"refer to the variable: '${old.strip()}'")
