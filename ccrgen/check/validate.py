"""Check a config dict against schemas/ccr-config.schema.json (CCR 2.0.0's config shape).

jsonschema is the reference and writes every message. It also costs ~60 ms to import,
a quarter of a whole `ccrgen build`, so a config first goes through
ccrgen/check/_ccr_config_check.py: the same schema compiled ahead of time to plain Python by
fastjsonschema (as validate-pyproject does for pip and setuptools). When that check
accepts, the config is valid and jsonschema is never imported; when it refuses,
jsonschema says why. tests/test_validate.py holds the two to the same verdict on every
config in the corpus and on generated ones, and fails when the compiled file is older
than the schema. ccrgen/check/schema_compile.py makes it: `python -m ccrgen.check.schema_compile`.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from functools import lru_cache

from ccrgen.errors import Problem
from ccrgen.common.resources import data_dir

CCR_SCHEMA_FILE = "ccr-config.schema.json"


def schema_text() -> str:
    return (data_dir("schemas") / CCR_SCHEMA_FILE).read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def _validator():
    from jsonschema import Draft202012Validator

    return Draft202012Validator(json.loads(schema_text()))


# While verdicts_kept() is in force: id(config) -> (config, verdict).
_kept: dict[int, tuple[object, bool]] | None = None


@contextmanager
def verdicts_kept():
    """Within it the compiled check runs once per config object, however many checks ask
    (a build's lint TypeGate and schema problems: 50 ms each for a 1,000-provider config).
    Only around code that changes no config meanwhile: the verdict is kept by identity."""
    global _kept
    outer = _kept
    if outer is None:
        _kept = {}
    try:
        yield
    finally:
        _kept = outer


def compiled_accepts(config) -> bool:
    """The ahead-of-time check's verdict: True means valid under the schema."""
    kept = _kept
    if kept is not None:
        hit = kept.get(id(config))
        if hit is not None and hit[0] is config:
            return hit[1]
    from ccrgen.check import _ccr_config_check as check

    try:
        check.validate(config)
        verdict = True
    except check.JsonSchemaValueException:
        verdict = False
    if kept is not None:
        kept[id(config)] = (config, verdict)
    return verdict


def reference_accepts(config) -> bool:
    """jsonschema's verdict."""
    return _validator().is_valid(config)


def schema_problems(loaded) -> list[Problem]:
    """Every place `loaded.config` breaks CCR's schema, located in the user's file."""
    if compiled_accepts(loaded.config):
        return []
    from ccrgen.common.document import format_path

    problems = []
    for error in sorted(_validator().iter_errors(loaded.config), key=lambda e: list(map(str, e.absolute_path))):
        path = tuple(error.absolute_path)
        problems.append(Problem(
            message=f"not what CCR 2.0.0 expects: {error.message}",
            location=loaded.locate(path),
            path=loaded.describe_path(path) if path else format_path(path),
        ))
    return problems


# What each JSON Schema type is called in messages.
TYPE_NAMES = {"array": "a list", "string": "a string", "object": "an object", "integer": "a whole number",
              "number": "a number", "boolean": "true or false", "null": "null"}


def type_problems(loaded) -> list[Problem]:
    """Every value of `loaded.config` whose *type* is not what CCR 2.0.0 reads (a string for
    a list, NaN for a number, ...), located; other schema breaks (a pattern, a range, a
    missing key) are lint's to report. The loaders refuse a config with such values."""
    if compiled_accepts(loaded.config):
        return []
    problems = []
    for error in _validator().iter_errors(loaded.config):
        if _is_type_error(error):
            path = tuple(error.absolute_path)
            problems.append(Problem(
                message=f"must be {_expected(error)} (got {_shown(error.instance)})",
                location=loaded.locate(path),
                path=loaded.describe_path(path) if path else "the config",
                hint="`ccrgen lint` reports every such value; CCR 2.0.0 misreads or drops it",
            ))
    problems.sort(key=lambda p: (p.location.line or 0, p.location.column or 0) if p.location else (0, 0))
    return problems


def _is_type_error(error) -> bool:
    """A `type` error, or a oneOf/anyOf whose every branch fails on a type somewhere."""
    if error.validator == "type":
        return True
    if error.validator in ("oneOf", "anyOf"):
        branches: dict = {}
        for sub in error.context or ():
            branches[sub.schema_path[0]] = branches.get(sub.schema_path[0], False) or _is_type_error(sub)
        return len(branches) == len(error.validator_value) and all(branches.values())
    return False


def _expected(error) -> str:
    if error.validator == "type":
        kinds = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
        return " or ".join(TYPE_NAMES.get(k, k) for k in kinds)
    kinds = [TYPE_NAMES.get(b.get("type"), "something else") for b in error.validator_value if isinstance(b, dict)]
    return " or ".join(dict.fromkeys(kinds))


def _shown(value) -> str:
    import math

    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value).replace("inf", "Infinity").replace("nan", "NaN")
    if isinstance(value, (dict, list)):
        return "an object" if isinstance(value, dict) else "a list"
    text = repr(value) if not isinstance(value, int) or value.bit_length() < 200 else "a very long number"
    return text if len(text) <= 60 else text[:57] + "..."
