"""`extends:` and the merge rules: maps merge, lists replace, `key+` appends, `null` removes;
every value keeps the location of the file that set it."""

from __future__ import annotations

from pathlib import Path

import pytest

from ccrgen.errors import InputError, Location, SpecError
from ccrgen.spec.load import parse_yaml
from ccrgen.spec.merge import merge_documents, normalise
from ccrgen.spec.resolve import resolve_file


def merged(base: str, over: str):
    return merge_documents(parse_yaml(base, "base.yaml"), parse_yaml(over, "over.yaml"))


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


BASE = """\
server:
  port: 3000
  host: 127.0.0.1
providers:
  acme:
    base_url: http://acme.test/v1/chat/completions
    api_key: $ACME_KEY
    models: [a1, a2]
    transformer:
      use: [openrouter]
routes:
  default: acme,a1
  think: acme,a2
"""


# --- the rules, on documents ------------------------------------------------------------

def test_maps_merge_key_by_key_recursively():
    doc = merged("a: {x: 1, y: {p: 1, q: 2}}\n", "a: {y: {q: 3, r: 4}, z: 5}\n")
    assert doc.data == {"a": {"x": 1, "y": {"p": 1, "q": 3, "r": 4}, "z": 5}}


def test_lists_replace():
    assert merged("l: [1, 2, 3]\n", "l: [9]\n").data == {"l": [9]}


def test_scalars_and_type_changes_replace():
    assert merged("a: 1\nb: {x: 1}\nc: [1]\n", "a: two\nb: [x]\nc: {k: v}\n").data == {
        "a": "two", "b": ["x"], "c": {"k": "v"}}


def test_key_plus_appends_to_the_list_below():
    assert merged("l: [1, 2]\n", "l+: [3, 4]\n").data == {"l": [1, 2, 3, 4]}


def test_key_plus_with_nothing_below_starts_a_list():
    assert merged("a: 1\n", "l+: [3]\n").data == {"a": 1, "l": [3]}


def test_key_plus_on_something_that_is_not_a_list_is_an_error_at_the_overlay():
    with pytest.raises(SpecError) as info:
        merged("a: {x: 1}\n", "a+: [1]\n")
    problem = info.value.problems[0]
    assert "not a list" in problem.message
    assert problem.location == Location("over.yaml", 1, 5)
    assert problem.path == "a"
    assert "a:" in problem.hint
    with pytest.raises(SpecError, match="this value is not a list"):
        merged("l: [1]\n", "l+: 2\n")


def test_null_removes_a_key_at_any_depth():
    doc = merged("a: 1\nb: {x: 1, y: 2}\n", "a: null\nb: {x: ~}\n")
    assert doc.data == {"b": {"y": 2}}


def test_nulls_inside_a_value_taken_whole_are_dropped():
    doc = merged("a: 1\n", "b: {x: null, y: 1, l+: [1]}\n")
    assert doc.data == {"a": 1, "b": {"y": 1, "l": [1]}}


def test_a_single_document_is_normalised_the_same_way():
    doc = normalise(parse_yaml("l+: [1]\nn: null\nm: {k: null, j: 1}\n", "one.yaml"))
    assert doc.data == {"l": [1], "m": {"j": 1}}


def test_marks_follow_the_file_that_set_each_value():
    doc = merged(BASE, "server:\n  port: 4000\nproviders:\n  acme:\n    models+: [a3]\n")
    assert doc.locate(("server", "port")) == Location("over.yaml", 2, 9)
    assert doc.locate(("server", "host")) == Location("base.yaml", 3, 9)
    assert doc.locate(("providers", "acme", "models", 0)) == Location("base.yaml", 8, 14)
    assert doc.locate(("providers", "acme", "models", 2)) == Location("over.yaml", 5, 15)
    assert doc.locate(("routes", "default"), key=True) == Location("base.yaml", 12, 3)


def test_a_replaced_subtree_points_only_at_the_overlay():
    doc = merged(BASE, "providers:\n  acme:\n    transformer:\n      use: [deepseek]\n")
    assert doc.data["providers"]["acme"]["transformer"] == {"use": ["deepseek"]}
    assert doc.locate(("providers", "acme", "transformer", "use", 0)) == Location("over.yaml", 4, 13)


# --- extends, through files -------------------------------------------------------------

def test_extends_a_file_merges_it_under_the_spec(tmp_path):
    write(tmp_path, "base.yaml", BASE)
    spec = write(tmp_path, "spec.yaml", (
        "extends: ./base.yaml\n"
        "server:\n  port: 4000\n"
        "providers:\n  acme:\n    models+: [a3]\n"
        "routes:\n  think: null\n"))
    resolved = resolve_file(spec)
    s = resolved.spec
    assert s.server.port == 4000 and s.server.host == "127.0.0.1"
    assert list(s.providers["acme"].models) == ["a1", "a2", "a3"]
    assert s.routes.default == "acme,a1" and s.routes.think is None
    assert resolved.document.locate(("server", "host")).file == str(tmp_path / "base.yaml")
    assert resolved.document.locate(("server", "port")).file == str(spec)


def test_extends_chains_and_later_entries_win(tmp_path):
    write(tmp_path, "c.yaml", "server: {port: 1, host: c, log_level: info}\n")
    write(tmp_path, "b.yaml", "extends: c.yaml\nserver: {port: 2}\n")
    write(tmp_path, "x.yaml", "server: {host: x}\n")
    spec = write(tmp_path, "a.yaml", "extends: [b.yaml, x.yaml]\nserver: {log_level: warn}\n")
    resolved = resolve_file(spec)
    assert resolved.spec.server.port == 2            # from b, over c
    assert resolved.spec.server.host == "x"          # x comes after b
    assert resolved.spec.server.log_level == "warn"  # the spec itself wins
    doc = resolved.document
    assert doc.locate(("server", "port")).file == str(tmp_path / "b.yaml")
    assert doc.locate(("server", "host")).file == str(tmp_path / "x.yaml")


def test_extends_paths_are_relative_to_the_file_that_names_them(tmp_path):
    (tmp_path / "lib").mkdir()
    write(tmp_path / "lib", "inner.yaml", "server: {port: 7}\n")
    write(tmp_path / "lib", "outer.yaml", "extends: ./inner.yaml\n")
    spec = write(tmp_path, "spec.yaml", "extends: lib/outer.yaml\n")
    assert resolve_file(spec).spec.server.port == 7


def test_extends_cycles_are_reported_not_followed_forever(tmp_path):
    write(tmp_path, "a.yaml", "extends: ./b.yaml\n")
    write(tmp_path, "b.yaml", "extends: ./a.yaml\n")
    with pytest.raises(SpecError, match="loops back on itself") as info:
        resolve_file(tmp_path / "a.yaml")
    assert "a.yaml -> " in info.value.message and "b.yaml" in info.value.message


def test_a_spec_extending_itself_is_a_cycle(tmp_path):
    spec = write(tmp_path, "self.yaml", "extends: ./self.yaml\n")
    with pytest.raises(SpecError, match="loops back"):
        resolve_file(spec)


def test_extends_a_missing_file_names_the_extends_line(tmp_path):
    spec = write(tmp_path, "s.yaml", "server: {port: 1}\nextends:\n  - hicap\n  - ./nope.yaml\n")
    with pytest.raises(InputError) as info:
        resolve_file(spec)
    problem = info.value.problems[0]
    assert "no such file" in problem.message and "nope.yaml" in problem.message
    assert problem.location == Location(str(spec), 4, 5)


def test_a_missing_preset_says_did_you_mean(tmp_path):
    spec = write(tmp_path, "s.yaml", "extends: hicapp\n")
    with pytest.raises(InputError) as info:
        resolve_file(spec)
    problem = info.value.problems[0]
    assert problem.message == "no preset named 'hicapp'"
    assert problem.hint == "did you mean 'hicap'?"
    assert problem.location == Location(str(spec), 1, 10)


def test_a_missing_preset_through_the_cli_exits_2_without_a_traceback(tmp_path, cli):
    spec = write(tmp_path, "s.yaml", "extends: [deepsek]\n")
    result = cli("build", spec, "--out", tmp_path / "out")
    assert result.returncode == 2
    assert f"{spec}:1:11: extends: no preset named 'deepsek'" in result.stderr
    assert "did you mean 'deepseek'?" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_error_in_an_inherited_value_points_at_the_file_that_set_it(tmp_path):
    write(tmp_path, "base.yaml", "server:\n  host: h\n  port: lots\n")
    spec = write(tmp_path, "spec.yaml", "extends: ./base.yaml\nserver: {host: k}\n")
    with pytest.raises(SpecError) as info:
        resolve_file(spec)
    [problem] = info.value.problems
    assert problem.location == Location(str(tmp_path / "base.yaml"), 3, 9)
    assert problem.path == "server.port"


def test_a_route_error_after_extending_a_preset_points_at_the_spec_line(tmp_path, cli):
    spec = write(tmp_path, "s.yaml", "extends: hicap\nroutes:\n  think: hicap,claude-opus-45\n")
    result = cli("build", spec, "--out", tmp_path / "out")
    assert result.returncode == 1
    assert f"{spec}:3:10: routes.think" in result.stderr
    assert "did you mean 'claude-opus-4.5'?" in result.stderr


def test_removing_a_preset_provider_with_null_leaves_routes_dangling_and_says_so(tmp_path, cli):
    spec = write(tmp_path, "s.yaml", (
        "extends: hicap\n"
        "providers:\n  hicap: null\n"
        "  mine:\n    base_url: http://m/v1/chat/completions\n    api_key: $K\n    models: [m]\n"))
    result = cli("build", spec, "--out", tmp_path / "out")
    assert result.returncode == 1
    assert "unknown provider 'hicap'" in result.stderr
    # the spec's `hicap: null` caused it: reported there, with the preset's route as context
    assert f"{spec}:3:10: routes.default (Router.default): unknown provider 'hicap'" in result.stderr
    assert "context: routes.default is set in preset hicap:" in result.stderr
    assert not (tmp_path / "out").exists()


def test_adding_models_to_a_preset_provider_keeps_the_presets_models(tmp_path):
    spec = write(tmp_path, "s.yaml", (
        "extends: hicap\n"
        "providers:\n  hicap:\n    models:\n      my-model: {context_window: 1000}\n"))
    models = list(resolve_file(spec).spec.providers["hicap"].models)
    assert models[-1] == "my-model" and "claude-sonnet-4.5" in models and len(models) == 8


def test_key_plus_adds_names_to_a_map_of_names_and_keeps_their_metadata():
    doc = merged("models: {a: {context_window: 5}, b: {}}\n", "models+: [c, a]\n")
    assert doc.data == {"models": {"a": {"context_window": 5}, "b": {}, "c": {}}}
    assert doc.locate(("models", "c")) == Location("over.yaml", 1, 11)


def test_appending_a_model_name_to_the_hicap_preset(tmp_path):
    spec = write(tmp_path, "s.yaml", "extends: hicap\nproviders:\n  hicap:\n    models+: [gpt-5.2-codex]\n")
    models = resolve_file(spec).spec.providers["hicap"].models
    assert list(models)[-1] == "gpt-5.2-codex" and len(models) == 8
    assert models["gpt-5.2"].context_window == 400000
