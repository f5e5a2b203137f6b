"""The JSON Schema of the spec language, generated from the pydantic models."""

from __future__ import annotations

import json

from ccrgen.spec.model import Spec

SCHEMA_FILE = "ccrgen.schema.json"


def spec_schema() -> dict:
    schema = Spec.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "ccrgen spec"
    return schema


def spec_schema_text() -> str:
    return json.dumps(spec_schema(), indent=2, sort_keys=True) + "\n"
