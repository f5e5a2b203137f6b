"""The JSON Schema of the spec language, generated from the pydantic models.

It describes one spec file as written, for editors (the `yaml-language-server: $schema`
line `ccrgen init` writes), so it also accepts what the loader accepts before validation:
the short forms (`extends: NAME`, `models: [a, b]`) and the merge syntax of a file laid
over what it extends (`key: null` removes, `key+: [...]` appends, and no key is required,
since the preset may set it). The loader validates the merged result with the models.
"""

from __future__ import annotations

import json

from ccrgen.spec.model import Spec

SCHEMA_FILE = "ccrgen.schema.json"
APPEND_KEY = r"^.+\+$"


def spec_schema() -> dict:
    schema = Spec.model_json_schema(by_alias=True)
    _short_forms(schema)
    for node in [schema, *schema.get("$defs", {}).values()]:
        _overlay_syntax(node)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "ccrgen spec"
    return schema


def _short_forms(schema: dict) -> None:
    extends = schema["properties"]["extends"]
    items = extends.pop("items")
    extends.pop("type")
    extends["anyOf"] = [{"type": "string"}, {"type": "array", "items": items}]

    models = schema["$defs"]["Provider"]["properties"]["models"]
    models.pop("type")
    by_name = {"type": "object", "additionalProperties": models.pop("additionalProperties")}
    models["anyOf"] = [{"type": "array", "items": {"type": "string"}}, by_name]


def _overlay_syntax(node: dict) -> None:
    """In every mapping: any key may be null, `key+` may hold a list, nothing is required."""
    if node.get("type") != "object" and "properties" not in node:
        return
    node.pop("required", None)
    for name, prop in node.get("properties", {}).items():
        node["properties"][name] = _nullable(prop)
        _nested_maps(node["properties"][name])
    if node.get("additionalProperties") is False:
        node["patternProperties"] = {APPEND_KEY: {"type": "array"}}


def _nested_maps(prop: dict) -> None:
    """A map of models (providers, models...) may remove an entry with null too."""
    for branch in [prop, *prop.get("anyOf", [])]:
        extra = branch.get("additionalProperties")
        if isinstance(extra, dict) and extra:
            branch["additionalProperties"] = _nullable(extra)


def _nullable(prop: dict) -> dict:
    branches = prop.get("anyOf")
    if prop.get("type") == "null" or (branches and any(b.get("type") == "null" for b in branches)):
        return prop
    if branches is not None:
        return {**prop, "anyOf": [*branches, {"type": "null"}]}
    annotations = {k: prop[k] for k in ("default", "description", "title") if k in prop}
    core = {k: v for k, v in prop.items() if k not in annotations}
    return {**annotations, "anyOf": [core, {"type": "null"}]}


def spec_schema_text() -> str:
    return json.dumps(spec_schema(), indent=2, sort_keys=True) + "\n"
