"""schemas/ccrgen.schema.json is generated from the spec models: the committed file must be
what `ccrgen schema` prints now, and it must describe the specs ccrgen accepts."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from ccrgen.spec import model
from ccrgen.spec.schema import SCHEMA_FILE, spec_schema_text

REPO = Path(__file__).resolve().parents[1]
COMMITTED = REPO / "schemas" / SCHEMA_FILE
PRESETS = sorted((REPO / "presets").glob("*.yaml"))


def test_committed_schema_is_what_ccrgen_schema_prints(cli):
    result = cli("schema")
    assert result.returncode == 0, result.stderr
    assert COMMITTED.read_text(encoding="utf-8") == result.stdout, (
        "schemas/ccrgen.schema.json is stale: run `ccrgen schema > schemas/ccrgen.schema.json`")


def test_a_change_to_the_models_makes_the_committed_schema_stale(monkeypatch):
    """The comparison above can fail: a new description in a model changes the output."""
    assert spec_schema_text() == COMMITTED.read_text(encoding="utf-8")
    field = model.Server.model_fields["port"]
    monkeypatch.setattr(field, "description", "PORT, changed by a test")
    model.Server.model_rebuild(force=True)
    model.Spec.model_rebuild(force=True)
    try:
        assert spec_schema_text() != COMMITTED.read_text(encoding="utf-8")
    finally:
        monkeypatch.undo()
        model.Server.model_rebuild(force=True)
        model.Spec.model_rebuild(force=True)
    assert spec_schema_text() == COMMITTED.read_text(encoding="utf-8")


def validator():
    schema = json.loads(COMMITTED.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.mark.parametrize("preset", PRESETS, ids=[p.stem for p in PRESETS])
def test_every_bundled_preset_is_valid_under_the_schema(preset):
    """Editors that use the schema (the $schema line `ccrgen init` writes) accept the presets."""
    data = yaml.safe_load(preset.read_text(encoding="utf-8"))
    assert [e.message for e in validator().iter_errors(data)] == []


def test_the_schema_rejects_keys_types_and_values_the_loader_rejects():
    v = validator()
    assert not v.is_valid({"providerz": {}})                       # unknown key
    assert not v.is_valid({"server": {"port": "abc"}})              # wrong type
    assert not v.is_valid({"server": {"log_level": "verbose"}})     # not a level
    assert not v.is_valid({"providers": {"p": {"base_urll": "u"}}})  # unknown provider key
    assert not v.is_valid({"routes": {"default": 5}})


@pytest.mark.parametrize("text", [
    "extends: hicap\n",                                         # one preset, by name
    "extends: [hicap, ./mine.yaml]\n",
    "providers:\n  p: {base_url: u, api_key: $K, models: [a, b]}\n",  # models as a list
    "providers:\n  hicap:\n    models:\n      new-model: {context_window: 1000}\n",  # an overlay
    "providers:\n  hicap:\n    models+: [x]\n",                  # key+ appends
    "providers:\n  hicap: null\nroutes:\n  think: null\n",        # null removes
    "server: null\n",
], ids=["extends-name", "extends-list", "models-list", "overlay", "append", "remove", "remove-section"])
def test_the_schema_accepts_the_short_forms_and_the_merge_syntax(text):
    """What the loader accepts in a file, an editor using the schema must accept too."""
    data = yaml.safe_load(text)
    assert [e.message for e in validator().iter_errors(data)] == []


def test_the_starter_spec_from_init_is_valid_under_its_own_schema(cli, tmp_path):
    assert cli("init", cwd=tmp_path).returncode == 0
    data = yaml.safe_load((tmp_path / "ccrgen.yaml").read_text(encoding="utf-8"))
    assert [e.message for e in validator().iter_errors(data)] == []
