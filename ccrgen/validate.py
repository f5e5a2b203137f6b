"""Check a config dict against schemas/ccr-config.schema.json (CCR 2.0.0's config shape).

jsonschema is the reference and writes every message. It also costs ~60 ms to import,
a quarter of a whole `ccrgen build`, so a config first goes through
ccrgen/_ccr_config_check.py: the same schema compiled ahead of time to plain Python by
fastjsonschema (as validate-pyproject does for pip and setuptools). When that check
accepts, the config is valid and jsonschema is never imported; when it refuses,
jsonschema says why. tests/test_validate.py holds the two to the same verdict on every
config in the corpus and on generated ones, and fails when the compiled file is older
than the schema. ccrgen/schema_compile.py makes it: `python -m ccrgen.schema_compile`.
"""

from __future__ import annotations

import json
from functools import lru_cache

from ccrgen.errors import Problem
from ccrgen.resources import data_dir

CCR_SCHEMA_FILE = "ccr-config.schema.json"


def schema_text() -> str:
    return (data_dir("schemas") / CCR_SCHEMA_FILE).read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def _validator():
    from jsonschema import Draft202012Validator

    return Draft202012Validator(json.loads(schema_text()))


def compiled_accepts(config) -> bool:
    """The ahead-of-time check's verdict: True means valid under the schema."""
    from ccrgen import _ccr_config_check as check

    try:
        check.validate(config)
    except check.JsonSchemaValueException:
        return False
    return True


def reference_accepts(config) -> bool:
    """jsonschema's verdict."""
    return _validator().is_valid(config)


def schema_problems(loaded) -> list[Problem]:
    """Every place `loaded.config` breaks CCR's schema, located in the user's file."""
    if compiled_accepts(loaded.config):
        return []
    from ccrgen.document import format_path

    problems = []
    for error in sorted(_validator().iter_errors(loaded.config), key=lambda e: list(map(str, e.absolute_path))):
        path = tuple(error.absolute_path)
        problems.append(Problem(
            message=f"not what CCR 2.0.0 expects: {error.message}",
            location=loaded.locate(path),
            path=loaded.describe_path(path) if path else format_path(path),
        ))
    return problems
