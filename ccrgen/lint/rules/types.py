"""Types: every value checked against CCR 2.0.0's config schema (schemas/ccr-config.schema.json).

The engine runs the rules on the well-typed part of the config only (`TypeGate.typed`): a
value of the wrong type is left out of what the rules read and reported once, here, as
CCR004, at its own location. A valid config costs one call of the ahead-of-time compiled
check (ccrgen/check/validate.py); jsonschema is imported only when that check refuses.
"""

from __future__ import annotations

import math
import re

from ccrgen.lint.rule import reported_elsewhere

CODE = "CCR004"
# Errors that mean "this value is not of the type CCR reads": such values are left out of the
# view the rules read. Others (a pattern, a range, a missing key) leave the value in place.
PRUNING = ("type", "oneOf", "anyOf")
LEAF = object()

reported_elsewhere(
    code=CODE,
    name="wrong-type",
    severity="error",
    summary="A value does not have the type CCR 2.0.0 reads (checked against its config schema)",
    why="""CCR reads every key with a fixed type and does not convert: `models: "deepseek-chat"`
(a string, not a list) makes the provider's registration throw, so CCR drops it;
`transformer.use: "deepseek"` is not a list, so the transformer never runs; a
`longContextThreshold` of `"64K"` is never exceeded, so long context never happens.""",
    fix="Write the value with the type the message names (a list in `[...]`, a number without quotes).",
    severity_why="""A value of the wrong type is misread or thrown away by CCR: what the user wrote
never takes effect. Only "true" written as a string where a boolean is read is a warning: JavaScript
reads it as true, as meant.""",
)


def _jstype(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "number" if not (isinstance(value, float) and not math.isfinite(value)) else repr(value)
    return {str: "a string", list: "a list", dict: "an object"}.get(type(value), type(value).__name__)


EXPECTED = {"array": "a list", "string": "a string", "object": "an object", "integer": "a whole number",
            "number": "a number", "boolean": "true or false"}
SIZED = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kKmM])\s*$")


def _shown(value) -> str:
    text = repr(value) if not isinstance(value, (dict, list)) else _jstype(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _expected(schema: dict) -> str:
    kinds = schema.get("type")
    if isinstance(kinds, str):
        return EXPECTED.get(kinds, kinds)
    if "oneOf" in schema:
        return " or ".join(dict.fromkeys(_expected(s) for s in schema["oneOf"]))
    if "enum" in schema:
        return "one of " + ", ".join(map(str, schema["enum"]))
    return "another type"


def _hint(value, schema: dict) -> str | None:
    want = schema.get("type")
    if want == "array" and isinstance(value, str):
        return f"write [{value!r}]".replace("'", '"')
    if want == "integer" and isinstance(value, str):
        if value.strip().isdigit():
            return f"write {value.strip()} without quotes"
        sized = SIZED.match(value)
        if sized:
            number = float(sized.group(1)) * (1000 if sized.group(2).lower() == "k" else 1_000_000)
            return f"write {int(number)} (a plain number of tokens, without quotes)"
    if want == "integer" and isinstance(value, float) and math.isfinite(value):
        return f"write {round(value)}"
    if want == "boolean" and isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return f"write {value.strip().lower()} without quotes"
    if want == "object" and isinstance(value, str) and value.strip() and "use" in schema.get("properties", {}):
        return f'write {{"use": ["{value.strip()}"]}}'
    if "oneOf" in schema and isinstance(value, dict) and any(
            s.get("type") == "array" for s in schema["oneOf"]):
        return "options go with their transformer's name: [\"name\", {...}]"
    return None


def _message(error) -> tuple[str, str | None]:
    value, schema = error.instance, error.schema
    if error.validator in PRUNING:
        return f"is {_shown(value)}, but CCR 2.0.0 reads {_expected(schema)} here", _hint(value, schema)
    if error.validator == "enum":
        return f"is {_shown(value)}, not one of {', '.join(map(str, schema['enum']))}", None
    return f"{error.message} (CCR 2.0.0's config schema)", None


class TypeGate:
    """The schema's verdict on a config, and the well-typed view the rules read."""

    def __init__(self, config: dict):
        self.config = config
        self.errors: list = []
        self.index_maps: dict[tuple, list[int]] = {}  # list path (as written) -> kept indices
        self.typed = config
        from ccrgen.check.validate import compiled_accepts

        if compiled_accepts(config):
            return
        from ccrgen.check.validate import _validator

        self.errors = [e for e in _validator().iter_errors(config)
                       if e.validator != "required" and not _accepted_by_ccr(e)]
        bad = [tuple(e.absolute_path) for e in self.errors if e.validator in PRUNING]
        if bad:
            self.typed = self._prune(config, _trie(bad), ())

    def _prune(self, node, trie, path):
        if isinstance(node, dict):
            kept = dict(node)
            for key, sub in trie.items():
                if key in kept:
                    if sub is LEAF:
                        del kept[key]
                    else:
                        kept[key] = self._prune(kept[key], sub, path + (key,))
            return kept
        if isinstance(node, list):
            kept, indices = [], []
            for i, item in enumerate(node):
                sub = trie.get(i)
                if sub is LEAF:
                    continue
                kept.append(self._prune(item, sub, path + (i,)) if sub else item)
                indices.append(i)
            self.index_maps[path] = indices
            return kept
        return node

    def original_path(self, path: tuple) -> tuple:
        """A path in the typed view as a path in the config as written."""
        if not self.index_maps:
            return tuple(path)
        out: tuple = ()
        for part in path:
            indices = self.index_maps.get(out)
            if indices is not None and isinstance(part, int) and 0 <= part < len(indices):
                part = indices[part]
            out += (part,)
        return out

    def hits(self):
        """(path as written, message, hint, severity or None) for every schema error, outermost first."""
        for error in sorted(self.errors, key=lambda e: (len(e.absolute_path), list(map(str, e.absolute_path)))):
            message, hint = _message(error)
            yield tuple(error.absolute_path), message, hint, _severity(error)


# Values the schema's enums leave out that CCR 2.0.0 accepts all the same (verified with it):
# pino, its logger, takes `silent`.
ACCEPTED_BEYOND_SCHEMA = {("LOG_LEVEL",): ("silent",)}


def _accepted_by_ccr(error) -> bool:
    return error.validator == "enum" and error.instance in ACCEPTED_BEYOND_SCHEMA.get(tuple(error.absolute_path), ())


def _severity(error) -> str | None:
    """A lower severity where CCR's loose JavaScript reading still does what was meant: the
    string "true" where a boolean is read is truthy, as true is (the string "false" is not
    false, so it stays an error)."""
    if error.validator == "type" and error.schema.get("type") == "boolean" and error.instance == "true":
        return "warning"
    return None


def _trie(paths) -> dict:
    root: dict = {}
    for path in sorted(paths, key=len):
        node = root
        for part in path[:-1]:
            child = node.setdefault(part, {})
            if child is LEAF:
                break
            node = child
        else:
            if path:
                node[path[-1]] = LEAF
    return root
