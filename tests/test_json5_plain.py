"""The plain-JSON fast path of ccrgen.ccr.json5 (parse_plain_json, PlainJsonMarks) and the
config.json document built on it: the same data and the same marks as the JSON5 parser,
for every text it takes; every other text left to the JSON5 parser."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ccrgen.ccr.config import parse_config_text
from ccrgen.ccr.json5 import MAX_DEPTH, NOT_PLAIN, PlainJsonMarks, parse, parse_plain_json
from ccrgen.common.document import PlainJsonDocument
from ccrgen.spec.loader import load_config

from test_json5 import json_values, same  # noqa: E402  (the JSON5 tests' own strategies)

KEYS = st.sampled_from(["a", "b", "name", "é", "k\"q", "\u2028", "x\\y", ""]) | st.text(max_size=4)


def assert_same_marks(text: str) -> None:
    data = parse_plain_json(text)
    assert data is not NOT_PLAIN, text
    expected, value_marks, key_marks = parse(text)
    assert same(data, expected)
    marks = PlainJsonMarks(text, data)
    for path, mark in value_marks.items():
        assert marks.locate(path) == mark, path
        assert marks.locate(path + ("no such key", 10**6)) == mark, path  # the nearest enclosing value
    for path, mark in key_marks.items():
        assert marks.locate(path, key=True) == mark, path


@settings(max_examples=300, deadline=None)
@given(value=json_values(KEYS), indent=st.sampled_from([None, 0, 1, 2, "\t", " \r\n "]),
       ascii_only=st.booleans(), crlf=st.booleans())
def test_plain_json_has_the_json5_parsers_data_and_marks(value, indent, ascii_only, crlf):
    text = json.dumps(value, indent=indent, ensure_ascii=ascii_only)
    if crlf:
        text = text.replace("\n", "\r\n")
    assert_same_marks(text)


@pytest.mark.parametrize("text", [
    '{"a": {"x": 1}, "b": 2, "a": {"y": [1, {"q": 2}]}}',     # a repeated key: the last one's marks
    '{"a":\r1,\r"b" :\r\n [ 2 ,\r3]}',                        # lone CRs end lines, as in JSON5
    ' \n [1, {"\u2028k": "v\u2029"}, 3]',                     # so do LS and PS inside strings
    '{"n": [NaN, Infinity, -Infinity, -0, 1e400, 1.0, 12345678901234567890123]}',
    '{"esc": "\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9", "\\u0041": 1}',
    "{}", "[]", '"x"', "3", "null",
])
def test_plain_json_edge_cases(text):
    assert_same_marks(text)


@pytest.mark.parametrize("text", [
    "\ufeff{}",                                   # a byte order mark takes no column in JSON5
    "{a: 1}", "{'a': 1}", '{"a": 1,}', '{"a": 1} // c', "[0x10]", "[.5]", "[+1]",
    '["\ud83d\ude00"]',                          # raw surrogates (JSON5 pairs them up, json does not)
    "[" + "9" * 5000 + "]",                       # more digits than int() takes
    "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1),  # deeper than JSON5 accepts
    '{"a": "\t"}',                                # a raw tab in a string: JSON5 only
])
def test_other_texts_are_left_to_the_json5_parser(text):
    assert parse_plain_json(text) is NOT_PLAIN


def test_deepest_nesting_json5_accepts_is_plain_json():
    text = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert parse_plain_json(text) is not NOT_PLAIN


def test_config_document_is_the_json5_documents_twin(tmp_path):
    config = {"LOG": True, "Providers": [{"name": "p", "api_base_url": "https://x.test/v1/chat/completions",
                                          "api_key": "$K", "models": ["m1", "m2"]}],
              "Router": {"default": "p,m1"}}
    text = json.dumps(config, indent=2)
    path = tmp_path / "config.json"
    path.write_text(text, encoding="utf-8")
    loaded = load_config(path, check_types=False)
    assert isinstance(loaded.document, PlainJsonDocument)
    reference = parse_config_text(text, str(path))
    paths = list(reference.value_marks) + [("Providers", 0, "nope"), ("Router", "default", 3), ("nope",)]
    for p in paths:
        assert loaded.document.locate(p) == reference.locate(p), p
        assert loaded.document.locate(p, key=True) == reference.locate(p, key=True), p
    assert loaded.document.value_marks == reference.value_marks
    assert loaded.document.key_marks == reference.key_marks


def test_a_config_with_a_surrogate_escape_takes_the_json5_path(tmp_path):
    path = tmp_path / "config.json"
    path.write_text('{"Providers": [], "x": "\\ud83d\\ude00"}', encoding="utf-8")
    assert not isinstance(load_config(path, check_types=False).document, PlainJsonDocument)


def test_fix_builders_are_the_fixable_codes():
    from ccrgen.lint import fixes
    from ccrgen.lint.engine import FIXABLE_CODES

    assert set(fixes.BUILDERS) == FIXABLE_CODES


def test_lint_of_a_plain_config_needs_neither_the_json5_patterns_nor_the_fix_machinery(tmp_path):
    config = {"Providers": [{"name": "p", "api_base_url": "https://x.test/v1/chat/completions",
                             "api_key": "$K", "models": ["m1"]}], "Router": {"default": "p,m1"}}
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config, indent=2), encoding="utf-8")
    code = (
        "import sys\n"
        "from ccrgen.cli import main\n"
        "try:\n"
        f"    main(['lint', {str(path)!r}])\n"
        "except SystemExit:\n"
        "    pass\n"
        "import ccrgen.ccr.json5 as j\n"
        "print(j._COMPILED, sorted(m for m in ('ccrgen.lint.fix', 'ccrgen.lint.fixes', 'yaml', 'pydantic')"
        " if m in sys.modules))\n"
    )
    env = {**os.environ, "K": "set"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout
    assert out.splitlines()[-1] == "False []"
