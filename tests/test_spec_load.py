"""Reading a YAML spec: values, line/column marks, and the errors a user sees for bad YAML."""

from __future__ import annotations

import pytest

from ccrgen.errors import EXIT_INVALID, EXIT_UNREADABLE, InputError, Location, SpecError
from ccrgen.spec.load import load_yaml_file, parse_yaml

SPEC = """\
# a comment
server:
  port: 4000
providers:
  acme:
    base_url: http://x/v1/chat/completions
    models: [m1, "m2"]
routes:
  default: acme,m1
"""


def test_values_are_read_as_plain_data():
    doc = parse_yaml(SPEC, "spec.yaml")
    assert doc.data == {
        "server": {"port": 4000},
        "providers": {"acme": {"base_url": "http://x/v1/chat/completions", "models": ["m1", "m2"]}},
        "routes": {"default": "acme,m1"},
    }


@pytest.mark.parametrize("path, key, line, column", [
    (("server",), True, 2, 1),
    (("server", "port"), True, 3, 3),
    (("server", "port"), False, 3, 9),
    (("providers", "acme", "base_url"), False, 6, 15),
    (("providers", "acme", "models", 0), False, 7, 14),
    (("providers", "acme", "models", 1), False, 7, 18),
    (("routes", "default"), False, 9, 12),
])
def test_every_key_and_value_knows_its_line_and_column(path, key, line, column):
    doc = parse_yaml(SPEC, "spec.yaml")
    assert doc.locate(path, key=key) == Location("spec.yaml", line, column)


def test_locate_falls_back_to_the_nearest_enclosing_value():
    doc = parse_yaml(SPEC, "spec.yaml")
    assert doc.locate(("providers", "acme", "no_such_key")) == doc.locate(("providers", "acme"))
    assert doc.locate(("nothing", "here")) == Location("spec.yaml", 1 + 1, 1)  # the root mapping


def test_empty_file_is_an_empty_spec():
    assert parse_yaml("", "e.yaml").data == {}
    assert parse_yaml("# only a comment\n", "e.yaml").data == {}


def test_anchors_and_merge_keys_work_and_own_keys_override_merged_ones():
    doc = parse_yaml(
        "base: &b {x: 1, y: 2}\n"
        "child:\n"
        "  <<: *b\n"
        "  x: 3\n"
        "again: *b\n",
        "a.yaml",
    )
    assert doc.data["child"] == {"x": 3, "y": 2}
    assert doc.data["again"] == {"x": 1, "y": 2}
    assert doc.locate(("child", "x")).line == 4


def test_an_aliased_mapping_with_merge_keys_can_be_reused():
    doc = parse_yaml("b: &b {x: 1}\na: &a {<<: *b, x: 2}\nc: *a\nd: {<<: *a}\n", "a.yaml")
    assert doc.data["c"] == {"x": 2} and doc.data["d"] == {"x": 2}


def test_several_merged_mappings_the_first_wins_and_key_order_is_kept():
    doc = parse_yaml("b: &b {x: 1}\nc: &c {x: 2, y: 3}\nd: {<<: [*b, *c], w: 0}\n"
                     "e: {<<: *c, y: 9, z: 1}\n", "m.yaml")
    assert doc.data["d"] == {"x": 1, "y": 3, "w": 0}
    assert list(doc.data["e"].items()) == [("x", 2), ("y", 9), ("z", 1)]


@pytest.mark.parametrize("text, message", [
    ("a: {<<: 5}\n", "merges a mapping or a list of mappings"),
    ("a: &a {k: 1, <<: *a}\n", "merges a mapping into itself"),
])
def test_bad_merge_keys_are_spec_errors(text, message):
    with pytest.raises(SpecError, match=message) as info:
        parse_yaml(text, "m.yaml")
    assert info.value.problems[0].location.line == 1


def test_dates_stay_text_because_json_has_no_dates():
    assert parse_yaml("since: 2024-01-01\n", "d.yaml").data == {"since": "2024-01-01"}


def test_a_binary_value_is_refused_with_its_location():
    with pytest.raises(SpecError) as info:
        parse_yaml("extra:\n  blob: !!binary aGVsbG8=\n", "b.yaml")
    problem = info.value.problems[0]
    assert problem.location == Location("b.yaml", 2, 9)
    assert problem.path == "extra.blob"


@pytest.mark.parametrize("text, line, column", [
    ("a: [1, 2\nb: 3\n", 2, 2),                 # unclosed flow sequence
    ("a: 1\n  b: 2\n", 2, 4),                  # bad indentation
    ("a: 'unterminated\n", 2, 1),
    ("a:\n\t- x\n", 2, 1),                      # a tab used for indentation
])
def test_malformed_yaml_is_an_input_error_with_line_and_column(text, line, column):
    with pytest.raises(InputError) as info:
        parse_yaml(text, "bad.yaml")
    err = info.value
    assert err.exit_code == EXIT_UNREADABLE == 2
    problem = err.problems[0]
    assert problem.location == Location("bad.yaml", line, column)
    assert problem.message.startswith("malformed YAML")


def test_duplicate_keys_name_both_lines():
    with pytest.raises(SpecError) as info:
        parse_yaml("server:\n  port: 1\n  host: h\n  port: 2\n", "dup.yaml")
    problem = info.value.problems[0]
    assert info.value.exit_code == EXIT_INVALID
    assert problem.message == "duplicate key 'port'"
    assert problem.location == Location("dup.yaml", 4, 3)
    assert problem.path == "server.port"
    assert "line 2" in problem.hint


def test_duplicate_keys_within_a_merge_override_are_still_duplicates():
    with pytest.raises(SpecError, match="duplicate key 'x'"):
        parse_yaml("b: &b {x: 1}\nc: {<<: *b, x: 2, x: 3}\n", "a.yaml")


def test_a_spec_must_be_a_mapping():
    with pytest.raises(SpecError) as info:
        parse_yaml("- a\n- b\n", "list.yaml")
    assert info.value.problems[0].location == Location("list.yaml", 1, 1)


def test_complex_keys_are_refused():
    with pytest.raises(SpecError, match="plain scalars"):
        parse_yaml("? [a, b]\n: 1\n", "k.yaml")


def test_unreadable_files_are_input_errors(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        load_yaml_file(tmp_path / "missing.yaml")
    with pytest.raises(InputError, match="is a folder"):
        load_yaml_file(tmp_path)
    latin = tmp_path / "latin1.yaml"
    latin.write_bytes("description: caf\xe9\n".encode("latin-1"))
    with pytest.raises(InputError, match="not UTF-8"):
        load_yaml_file(latin)


def test_the_cli_reports_malformed_yaml_as_file_line_column_and_exits_2(tmp_path, cli):
    spec = tmp_path / "ccrgen.yaml"
    spec.write_text("extends: hicap\nroutes:\n  default: [hicap,gpt-5.2\n", encoding="utf-8")
    result = cli("build", spec, "--out", tmp_path / "out")
    assert result.returncode == 2
    assert f"{spec}:4:1: malformed YAML" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_the_cli_reports_duplicate_keys_and_exits_1(tmp_path, cli):
    spec = tmp_path / "ccrgen.yaml"
    spec.write_text("extends: hicap\nserver:\n  port: 1\n  port: 2\n", encoding="utf-8")
    result = cli("build", spec, "--out", tmp_path / "out")
    assert result.returncode == 1
    assert f"{spec}:4:3: server.port: duplicate key 'port'" in result.stderr
    assert "Traceback" not in result.stderr
