"""Check a config dict against schemas/ccr-config.schema.json (CCR 2.0.0's config shape)."""

from __future__ import annotations

import json
from functools import lru_cache

from ccrgen.errors import Problem
from ccrgen.resources import data_dir

CCR_SCHEMA_FILE = "ccr-config.schema.json"


@lru_cache(maxsize=1)
def _validator():
    from jsonschema import Draft202012Validator

    schema = json.loads((data_dir("schemas") / CCR_SCHEMA_FILE).read_text(encoding="utf-8"))
    return Draft202012Validator(schema)


def schema_problems(loaded) -> list[Problem]:
    """Every place `loaded.config` breaks CCR's schema, located in the user's file."""
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
