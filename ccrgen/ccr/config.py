"""Read a CCR config.json the way CCR 2.0.0 does.

- Parsed as JSON5, keeping the line and column of every value for messages.
- `${NAME}` and `$NAME` (NAME = [A-Z_][A-Z0-9_]*) are replaced by the variable's value
  when it is set and non-empty, else left as the literal text; this happens only for the
  keys the server layer takes from its interpolated copy (facts.INTERPOLATED_KEYS).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Mapping

from ccrgen.ccr import facts
from ccrgen.common.document import Document, format_path
from ccrgen.errors import InputError, Location, SpecError

ENV_REFERENCE = re.compile(r"\$\{([^}]+)\}|\$([A-Z_][A-Z0-9_]*)")
# What a user may have meant as a reference but CCR will not interpolate ($lower_case).
LOWERCASE_REFERENCE = re.compile(r"\$([a-z_][a-zA-Z0-9_]*)")


def load_config_file(path: Path) -> Document:
    from ccrgen.common.inputs import read_text

    return parse_config_text(read_text(Path(path)), str(path))


def parse_config_text(text: str, file: str) -> Document:
    from ccrgen.ccr.json5 import Json5Error, parse

    try:
        data, value_marks, key_marks = parse(text)
    except Json5Error as exc:
        raise InputError(
            f"not valid JSON5: {exc.message}",
            location=Location(file, exc.line, exc.column),
            hint="CCR would refuse to start with this file",
        ) from None
    if not isinstance(data, dict):
        raise InputError("a CCR config must be a JSON object", location=Location(file, 1, 1))
    doc = Document(data=data, file=file)
    doc.value_marks = {p: Location(file, *lc) for p, lc in value_marks.items()}
    doc.key_marks = {p: Location(file, *lc) for p, lc in key_marks.items()}
    if SURROGATE_ESCAPE.search(text) or SURROGATE.search(text):
        _refuse_lone_surrogates(doc)
    return doc


SURROGATE = re.compile("[\ud800-\udfff]")
# The only way a lone surrogate gets into JSON5 text decoded from UTF-8: a \uD800 escape.
SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _refuse_lone_surrogates(doc: Document) -> None:
    """JavaScript keeps `"\\ud800"` as it is; no UTF-8 file (or terminal) can hold it, so
    ccrgen could neither show nor write the value. Walked without recursion."""
    stack = [((), doc.data)]
    while stack:
        path, value = stack.pop()
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            found = (isinstance(key, str) and SURROGATE.search(key)) or (isinstance(item, str) and SURROGATE.search(item))
            if found:
                raise SpecError(
                    f"the text holds a lone UTF-16 surrogate (\\u{ord(found.group()):04x}), which no UTF-8 file can hold",
                    location=doc.locate(path + (key,), key=isinstance(key, str) and bool(SURROGATE.search(key))),
                    path=format_path(path + (key,)),
                    hint="write the character itself, or both halves of its pair (\\ud83d\\ude00)",
                )
            if isinstance(item, (dict, list)):
                stack.append((path + (key,), item))


def interpolate_string(text: str, env: Mapping[str, str]) -> str:
    def replace(match: re.Match) -> str:
        return env.get(match.group(1) or match.group(2)) or match.group(0)

    return ENV_REFERENCE.sub(replace, text)


def interpolate(value: Any, env: Mapping[str, str]) -> Any:
    """Every string in `value`, interpolated as CCR does."""
    if isinstance(value, str):
        return interpolate_string(value, env) if "$" in value else value
    if isinstance(value, list):
        return [interpolate(v, env) for v in value]
    if isinstance(value, dict):
        return {k: interpolate(v, env) for k, v in value.items()}
    return value


def as_ccr_sees_it(config: dict, env: Mapping[str, str]) -> dict:
    """The config as CCR 2.0.0 uses it: interpolated where CCR interpolates, nowhere else."""
    out = dict(config)
    for key in facts.INTERPOLATED_KEYS:
        if key in out:
            out[key] = interpolate(out[key], env)
    return out


def env_references(text: str) -> list[str]:
    """Names of the variables a string refers to, as CCR would read them."""
    return [m.group(1) or m.group(2) for m in ENV_REFERENCE.finditer(text)]


def providers_of(config: dict) -> list:
    """CCR reads `Providers`, and `providers` when there is no `Providers`."""
    providers = config.get("Providers")
    if providers is None:
        providers = config.get("providers")
    return providers if isinstance(providers, list) else []


def providers_key(config: dict) -> str:
    return "Providers" if "Providers" in config or "providers" not in config else "providers"
