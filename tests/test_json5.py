"""ccrgen.ccr.json5: JSON5 as CCR 2.0.0 (npm json5 2.2.x) reads it, with line/column marks."""

from __future__ import annotations

import json
import math
import os
import pickle
import re
import time
import unicodedata

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ccrgen.ccr.json5 import MAX_DEPTH, Json5Error, parse

# --- Helpers ---------------------------------------------------------------------------


def same(a, b) -> bool:
    """Equal, and of the same types all the way down (1 != 1.0 != True), NaN == NaN,
    dict keys in the same order."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    return a == b


def walk(value, path=()):
    """(path, value) of every value, and the paths of every object member."""
    values, members = [(path, value)], []
    if isinstance(value, dict):
        for k, v in value.items():
            members.append(path + (k,))
            sub_values, sub_members = walk(v, path + (k,))
            values += sub_values
            members += sub_members
    elif isinstance(value, list):
        for i, v in enumerate(value):
            sub_values, sub_members = walk(v, path + (i,))
            values += sub_values
            members += sub_members
    return values, members


def offset_of(text: str, line: int, column: int) -> int:
    """The offset of a 1-based (line, column): the test's own, independent reckoning."""
    starts = [0] + [m.end() for m in re.finditer(r"\r\n|[\n\r\u2028\u2029]", text)]
    bom = 1 if text.startswith("\ufeff") and line == 1 else 0
    return starts[line - 1] + column - 1 + bom


def error_of(text: str) -> Json5Error:
    with pytest.raises(Json5Error) as info:
        parse(text)
    err = info.value
    assert not err.message.startswith("internal error"), err
    return err


def json_values(text_strategy=st.text()):
    scalars = (
        st.none() | st.booleans() | st.integers() | st.integers(-(2**70), 2**70)
        | st.floats() | text_strategy
    )
    return st.recursive(
        scalars,
        lambda children: st.lists(children, max_size=6) | st.dictionaries(text_strategy, children, max_size=6),
        max_leaves=25,
    )


# --- Plain JSON: same values as the json module, marks on the right text -----------------


def check_marks_against_json(text: str, data, value_marks, key_marks) -> None:
    values, members = walk(data)
    assert set(value_marks) == {p for p, _ in values}
    assert set(key_marks) == set(members)
    decoder = json.JSONDecoder()
    for path, value in values:
        at = offset_of(text, *value_marks[path])
        assert same(decoder.raw_decode(text, at)[0], value), (path, value_marks[path])
    for path in members:
        at = offset_of(text, *key_marks[path])
        assert decoder.raw_decode(text, at)[0] == path[-1], (path, key_marks[path])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    value=json_values(),
    indent=st.sampled_from([None, 0, 1, 2, 4, "\t"]),
    ensure_ascii=st.booleans(),
    compact=st.booleans(),
    newline=st.sampled_from(["\n", "\r\n"]),
)
def test_plain_json_matches_the_json_module(value, indent, ensure_ascii, compact, newline):
    separators = (",", ":") if compact else None
    text = json.dumps(value, indent=indent, ensure_ascii=ensure_ascii, separators=separators)
    text = text.replace("\n", newline)  # json escapes newlines inside strings
    data, value_marks, key_marks = parse(text)
    assert same(data, json.loads(text))
    check_marks_against_json(text, data, value_marks, key_marks)


@settings(max_examples=100, deadline=None)
@given(value=json_values(st.text(st.characters(codec="utf-8") | st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF))))
def test_escaped_surrogates_pair_up_like_the_json_module(value):
    # ensure_ascii writes every surrogate as \\uXXXX; a high one followed by a low one
    # is one character, in JavaScript and in the json module alike.
    text = json.dumps(value, ensure_ascii=True)
    assert same(parse(text)[0], json.loads(text))


# --- JSON5 text: a generator of every feature -------------------------------------------

FILLERS = [
    "", "", " ", "  ", "\n", "\t", "\r\n", "\r", "\u2028", "\u2029", "\v", "\f", "\xa0", "\ufeff",
    "\u3000", "\u2003", "\u1680", "// a comment\n", "//\r", "/* c */", "/* multi\nline * / */", "/**/",
]
IDENTIFIER = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*\Z")
SIMPLE_ESCAPES = {"\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v"}


def render_string(data, s: str) -> str:
    quote = data.draw(st.sampled_from(['"', "'"]))
    out = [quote]
    for i, c in enumerate(s):
        if data.draw(st.integers(0, 9)) == 0:
            out.append(data.draw(st.sampled_from(["\\\n", "\\\r\n", "\\\r", "\\\u2028", "\\\u2029"])))
        forms = []
        if c not in (quote, "\\", "\n", "\r"):
            forms.append(c)
        if c in SIMPLE_ESCAPES:
            forms.append(SIMPLE_ESCAPES[c])
        if c == "\0" and not s[i + 1:i + 2].isdigit():
            forms.append("\\0")
        if ord(c) < 256:
            forms.append(f"\\x{ord(c):02x}")
        if ord(c) < 0x10000:
            forms.append(f"\\u{ord(c):04X}")
        else:
            units = c.encode("utf-16-be")
            forms.append(f"\\u{units[:2].hex()}\\u{units[2:].hex()}")
        if c not in "bfnrtvux0123456789\n\r\u2028\u2029":
            forms.append("\\" + c)
        out.append(data.draw(st.sampled_from(forms)))
    out.append(quote)
    return "".join(out)


def render_key(data, key: str) -> str:
    if IDENTIFIER.match(key) and data.draw(st.booleans()):
        if data.draw(st.booleans()):  # one character as a \\u escape
            i = data.draw(st.integers(0, len(key) - 1))
            key = key[:i] + f"\\u{ord(key[i]):04x}" + key[i + 1:]
        return key
    return render_string(data, key)


def render_number(data, x) -> str:
    if isinstance(x, int):
        forms = [str(x)]
        if x >= 0:
            forms += ["+" + str(x), "0x" + format(x, "x"), "0X" + format(x, "X"), "+0x" + format(x, "x")]
        else:
            forms.append("-0x" + format(-x, "X"))
        return data.draw(st.sampled_from(forms))
    if math.isnan(x):
        return data.draw(st.sampled_from(["NaN", "+NaN", "-NaN"]))
    if math.isinf(x):
        return "-Infinity" if x < 0 else data.draw(st.sampled_from(["Infinity", "+Infinity"]))
    s = repr(x)
    forms = [s, s.upper()]
    if s.endswith(".0"):
        forms.append(s[:-1])  # 5. is 5.0
    if s.startswith("0."):
        forms.append(s[1:])  # .5 is 0.5
    if s.startswith("-0."):
        forms.append("-" + s[2:])
    if not s.startswith("-"):
        forms.append("+" + s)
    return data.draw(st.sampled_from(forms))


def render(data, value) -> str:
    def ws() -> str:
        return data.draw(st.sampled_from(FILLERS))

    if value is None or isinstance(value, bool):
        return {None: "null", True: "true", False: "false"}[value]
    if isinstance(value, (int, float)):
        return render_number(data, value)
    if isinstance(value, str):
        return render_string(data, value)
    if isinstance(value, list):
        items = [ws() + render(data, v) + ws() for v in value]
        trailing = "," + ws() if items and data.draw(st.booleans()) else ""
        return "[" + ",".join(items) + trailing + ws() + "]"
    items = [ws() + render_key(data, k) + ws() + ":" + ws() + render(data, v) + ws() for k, v in value.items()]
    trailing = "," + ws() if items and data.draw(st.booleans()) else ""
    return "{" + ",".join(items) + trailing + ws() + "}"


FIRST_CHARS = {type(None): "n", bool: "tf", int: "+-0123456789", float: "+-.0123456789IN", str: "\"'",
               dict: "{", list: "["}

json5_values = json_values(st.text(st.characters(codec="utf-8"), max_size=8) | st.from_regex(IDENTIFIER, fullmatch=True))


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=json5_values, data=st.data())
def test_json5_text_round_trips(value, data):
    text = data.draw(st.sampled_from(["", "\ufeff"])) + FILLERS[2] + render(data, value) + FILLERS[4]
    parsed, value_marks, key_marks = parse(text)
    assert same(parsed, value)
    values, members = walk(parsed)
    assert set(value_marks) == {p for p, _ in values}
    assert set(key_marks) == set(members)
    for path, v in values:
        assert text[offset_of(text, *value_marks[path])] in FIRST_CHARS[type(v)], path
    for path in members:
        first = text[offset_of(text, *key_marks[path])]
        assert first in "\"'\\" or IDENTIFIER.match(first), path


# --- npm-json5-like oracle: the json5 package from PyPI, when installed -----------------

MUTATION_CHARS = list("\"'{}[],:/*\\\n\r0xXeE.+-_$aIN ") + ["\u2028", "\ufeff", "\x00", "é", "Infinity", "//", "/*"]


def pair_surrogates(value):
    """PyPI json5 keeps \\uD83D\\uDE00 as two code points; JavaScript (and we) see one."""
    if isinstance(value, str):
        return value.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")
    if isinstance(value, list):
        return [pair_surrogates(v) for v in value]
    if isinstance(value, dict):
        return {pair_surrogates(k): pair_surrogates(v) for k, v in value.items()}
    return value


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=json5_values, data=st.data())
def test_same_verdict_and_value_as_pypi_json5(value, data):
    if os.environ.get("CI"):  # .ci/run installs the test extras: missing there is a failure
        import json5
    else:
        json5 = pytest.importorskip(
            "json5", reason="the PyPI json5 package (differential oracle only) is not installed"
        )
    text = render(data, value)
    for _ in range(data.draw(st.integers(0, 3))):  # a few random edits
        i = data.draw(st.integers(0, len(text)))
        edit = data.draw(st.sampled_from(["insert", "delete", "replace"]))
        piece = data.draw(st.sampled_from(MUTATION_CHARS))
        if edit == "insert":
            text = text[:i] + piece + text[i:]
        elif edit == "delete":
            text = text[:i] + text[i + 1:]
        else:
            text = text[:i] + piece + text[i + 1:]
    try:
        expected = ("ok", pair_surrogates(json5.loads(text)))
    except ValueError:
        expected = ("error",)
    try:
        got = ("ok", parse(text)[0])
    except Json5Error as err:
        assert not err.message.startswith("internal error"), err
        if err.message.startswith("invalid identifier character") and expected[0] == "ok":
            return  # PyPI json5 does not check \uXXXX escapes in unquoted keys; npm json5 does
        got = ("error",)
    assert got[0] == expected[0], (text, got, expected)
    if got[0] == "ok":
        assert same(got[1], expected[1]), (text, got, expected)


# --- Arbitrary text: a value or a Json5Error, nothing else --------------------------------


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(MUTATION_CHARS + list("tfulrs1 \t")), max_size=30).map("".join) | st.text(max_size=40))
@example("\\")
@example('"\\')
@example("{\\u")
@example("[1e")
@example("-")
@example("{a\\u0000:1}")
def test_any_text_gives_a_value_or_a_json5_error(text):
    try:
        parse(text)
    except Json5Error as err:
        assert not err.message.startswith("internal error"), err
        assert err.line >= 1 and err.column >= 1
        lines = re.split(r"\r\n|[\n\r\u2028\u2029]", text)
        assert err.line <= len(lines)
        assert err.column <= len(lines[err.line - 1]) + 1


# --- JSON5 features one by one ---------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # numbers
        ("600000", 600000),
        ("-7", -7),
        ("-0", 0),
        ("1.5", 1.5),
        ("-0.0", -0.0),
        ("1e3", 1000.0),
        ("1E-2", 0.01),
        ("2e+2", 200.0),
        ("0x1F", 31),
        ("0XaB", 171),
        ("-0x10", -16),
        ("+0x10", 16),
        ("+1", 1),
        ("-.5", -0.5),
        (".5", 0.5),
        ("5.", 5.0),
        ("5.e1", 50.0),
        (".5e1", 5.0),
        ("Infinity", float("inf")),
        ("+Infinity", float("inf")),
        ("-Infinity", float("-inf")),
        ("NaN", float("nan")),
        ("-NaN", float("nan")),
        ("123456789012345678901234567890", 123456789012345678901234567890),
        ("1" * 5000, float("inf")),  # beyond int()'s digit limit: a double, as in JavaScript
        # literals
        ("true", True),
        ("false", False),
        ("null", None),
        # strings
        ('"double"', "double"),
        ("'single'", "single"),
        ("'it\"s'", 'it"s'),
        ('"it\'s"', "it's"),
        ("'it\\'s'", "it's"),
        (r'"\b\f\n\r\t\v\0\\\/\""', "\b\f\n\r\t\v\0\\/\""),
        (r'"\x41\x7e\xff"', "A~\xff"),
        (r'"\u0041\u00e9\u4e2d"', "Aé中"),
        (r'"\uD83D\uDE00"', "\U0001F600"),
        (r'"\ud83d"', "\ud83d"),
        (r'"\a\c\q\%\é"', "acq%é"),  # any other character stands for itself
        ('"a\\\nb"', "ab"),  # line continuations
        ('"a\\\r\nb"', "ab"),
        ('"a\\\rb"', "ab"),
        ('"a\\\u2028b\\\u2029c"', "abc"),
        ('"tab\there"', "tab\there"),  # raw control characters are allowed
        ('"nul\x00"', "nul\x00"),
        ('"ls\u2028ps\u2029"', "ls\u2028ps\u2029"),  # allowed (npm json5 only warns)
        ('"😀 \U0001F600"', "😀 😀"),
        # comments, whitespace, trailing commas
        ("// c\n1", 1),
        ("1 // c", 1),
        ("/* c */ 1 /* d */", 1),
        ("/* a * b ** / */ 1", 1),
        ("/***/1", 1),
        ("//\u2028 1", 1),
        ("\ufeff1", 1),
        ("\ufeff\ufeff 1", 1),
        ("\t\v\f \xa0\u1680\u2000\u200a\u202f\u205f\u3000\u2028\u2029\r\n1", 1),
        ("[1,]", [1]),
        ("[1, /* c */ ]", [1]),
        ("{a: 1,}", {"a": 1}),
        ("{a: 1, // c\n}", {"a": 1}),
        ("[]", []),
        ("{}", {}),
        ("[[]]", [[]]),
        ("[{}, {}]", [{}, {}]),
        ("{a:{}}", {"a": {}}),
        ("[ /* c */ ]", []),
        ("[1, // a /* b\n 2]", [1, 2]),
        ("[1, /* // */ 2]", [1, 2]),
        ("[1, /* ** / * */ 2]", [1, 2]),
        ("{a: 1, // https://example.com//x\n b: 2}", {"a": 1, "b": 2}),
        ("{a: 1 /* x */ /* y */\n// z\r\n, b: 2}", {"a": 1, "b": 2}),
        # keys
        ("{a: 1}", {"a": 1}),
        ("{$: 1, _: 2, $_a1: 3}", {"$": 1, "_": 2, "$_a1": 3}),
        ("{null: 1, true: 2, Infinity: 3, NaN: 4}", {"null": 1, "true": 2, "Infinity": 3, "NaN": 4}),
        ("{'single': 1}", {"single": 1}),
        ('{"": 1}', {"": 1}),
        ("{café: 1, ключ: 2, 名前: 3, ǅ: 4, ⅷ: 5}", {"café": 1, "ключ": 2, "名前": 3, "ǅ": 4, "ⅷ": 5}),
        ("{a\u0301: 1, a٣: 2, a\u203f: 3, a\u200cb\u200d: 4}", {"a\u0301": 1, "a٣": 2, "a\u203f": 3, "a\u200cb\u200d": 4}),
        ("{𝑥: 1}", {"𝑥": 1}),
        (r"{\u0061b: 1}", {"ab": 1}),
        (r"{a\u0062: 1}", {"ab": 1}),
        (r"{\u0024: 1, \u005f: 2}", {"$": 1, "_": 2}),
        (r"{a\u200c: 1}", {"a\u200c": 1}),
        (r"{\u00e9t\u00e9: 1}", {"été": 1}),
        ("{a:1,b:2}", {"a": 1, "b": 2}),
        ("{a\t:\t1}", {"a": 1}),
        ("{a/*c*/:/*d*/1}", {"a": 1}),
        ('{"__proto__": 1}', {"__proto__": 1}),
        # duplicate keys: the last one wins, the key keeps its first place
        ('{"a": 1, "b": 2, "a": 3}', {"a": 3, "b": 2}),
    ],
)
def test_json5_feature(text, expected):
    assert same(parse(text)[0], expected)


def test_every_unicode_space_separator_is_whitespace():
    spaces = [chr(c) for c in range(0x110000) if unicodedata.category(chr(c)) == "Zs"]
    assert len(spaces) == 17
    assert parse("".join(spaces) + "1" + "".join(spaces))[0] == 1


@pytest.mark.parametrize("c", ["\x1c", "\x1f", "\x85", "\u180e", "\u200b"])
def test_python_whitespace_that_is_not_json5_whitespace(c):
    assert "expected a value" in error_of(c + "1").message


# --- Marks ----------------------------------------------------------------------------

CCR_CONFIG = """\
// Claude Code Router config
/* written by hand,
   with comments */
{
  "LOG": true,
  API_TIMEOUT_MS: 600000,
  'Providers': [
    {
      "name": "openrouter",  // the first one
      "api_base_url": "https://openrouter.ai/api/v1/chat/completions",
      "api_key": "$OPENROUTER_API_KEY",
      "models": ["google/gemini-2.5-pro-preview", "anthropic/claude-sonnet-4"],
      "transformer": {"use": ["openrouter"]},
    },
  ],
  "Router": {"default": "a,b"},
}
"""


def test_marks_on_a_commented_ccr_config():
    data, value_marks, key_marks = parse(CCR_CONFIG)
    assert data["Router"] == {"default": "a,b"}
    assert data["API_TIMEOUT_MS"] == 600000 and type(data["API_TIMEOUT_MS"]) is int
    assert value_marks[()] == (4, 1)
    assert key_marks[("LOG",)] == (5, 3)
    assert value_marks[("LOG",)] == (5, 10)
    assert key_marks[("API_TIMEOUT_MS",)] == (6, 3)
    assert value_marks[("API_TIMEOUT_MS",)] == (6, 19)
    assert key_marks[("Providers",)] == (7, 3)
    assert value_marks[("Providers",)] == (7, 16)
    assert value_marks[("Providers", 0)] == (8, 5)
    assert key_marks[("Providers", 0, "name")] == (9, 7)
    assert value_marks[("Providers", 0, "name")] == (9, 15)
    assert value_marks[("Providers", 0, "models", 1)] == (12, 51)
    assert value_marks[("Providers", 0, "transformer", "use", 0)] == (13, 31)
    assert key_marks[("Router",)] == (16, 3)
    assert value_marks[("Router",)] == (16, 13)
    assert key_marks[("Router", "default")] == (16, 14)
    assert value_marks[("Router", "default")] == (16, 25)
    lines = CCR_CONFIG.splitlines()
    assert lines[15][24:29] == '"a,b"'
    assert list(value_marks)[:4] == [(), ("LOG",), ("API_TIMEOUT_MS",), ("Providers",)]


def test_every_mark_of_the_ccr_config_points_at_its_token():
    data, value_marks, key_marks = parse(CCR_CONFIG)
    values, members = walk(data)
    assert set(value_marks) == {p for p, _ in values}
    assert set(key_marks) == set(members)
    lines = CCR_CONFIG.split("\n")
    for path, value in values:
        line, column = value_marks[path]
        token = lines[line - 1][column - 1:]
        if isinstance(value, str):
            assert token.startswith(json.dumps(value)), path
        elif isinstance(value, (dict, list)):
            assert token[0] == ("{" if isinstance(value, dict) else "["), path
        else:
            assert token.startswith(json.dumps(value)), path
    for path in members:
        line, column = key_marks[path]
        token = lines[line - 1][column - 1:]
        assert token.lstrip("\"'").startswith(path[-1]), path


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r", "\u2028", "\u2029"])
def test_every_line_terminator_starts_a_line(newline):
    text = newline.join(["{", "  // note", '  "a": 1,', "  b: [true,", "     null]", "}"])
    _, value_marks, key_marks = parse(text)
    assert key_marks == {("a",): (3, 3), ("b",): (4, 3)}
    assert value_marks == {(): (1, 1), ("a",): (3, 8), ("b",): (4, 6), ("b", 0): (4, 7), ("b", 1): (5, 6)}


def test_mixed_line_terminators():
    text = "[1,\r\n2,\r3,\n4,\u20285,\u20296,\r\n\r\n7]"
    _, value_marks, _ = parse(text)
    assert [value_marks[(i,)] for i in range(7)] == [(1, 2), (2, 1), (3, 1), (4, 1), (5, 1), (6, 1), (8, 1)]


def test_a_leading_bom_takes_no_column():
    _, value_marks, key_marks = parse('\ufeff{"a": 1,\n "b": 2}')
    assert value_marks[()] == (1, 1)
    assert key_marks[("a",)] == (1, 2)
    assert value_marks[("a",)] == (1, 7)
    assert key_marks[("b",)] == (2, 2)
    # Elsewhere U+FEFF is whitespace that takes its column.
    assert parse(" \ufeff1")[1][()] == (1, 3)
    assert error_of("\ufeff[").column == 2


def test_columns_count_code_points():
    _, value_marks, key_marks = parse('{"😀é中": ["𝑥𝑦", 1]}')
    assert key_marks[("😀é中",)] == (1, 2)
    assert value_marks[("😀é中",)] == (1, 9)
    assert value_marks[("😀é中", 0)] == (1, 10)
    assert value_marks[("😀é中", 1)] == (1, 16)


def test_marks_of_values_on_one_long_line():
    text = json.dumps([{"k": i} for i in range(1000)], separators=(",", ":"))
    data, value_marks, key_marks = parse(text)
    check_marks_against_json(text, data, value_marks, key_marks)


def test_duplicate_keys_keep_the_marks_of_the_last_one():
    text = '{"a": {"x": 1, "y": [1, 2]},\n "b": 2,\n "a": {"x": 3}}'
    data, value_marks, key_marks = parse(text)
    assert data == {"a": {"x": 3}, "b": 2}
    assert list(data) == ["a", "b"]
    assert key_marks == {("a",): (3, 2), ("a", "x"): (3, 8), ("b",): (2, 2)}
    assert value_marks == {(): (1, 1), ("a",): (3, 7), ("a", "x"): (3, 13), ("b",): (2, 7)}


def test_duplicate_keys_with_an_array_replaced_by_a_shorter_one():
    data, value_marks, _ = parse("{a: [1, 2, 3], a: [9]}")
    assert data == {"a": [9]}
    assert value_marks == {(): (1, 1), ("a",): (1, 19), ("a", 0): (1, 20)}


def test_string_keys_and_list_indices_are_told_apart():
    data, value_marks, key_marks = parse('{"0": ["a"]}')
    assert ("0", 0) in value_marks and ("0",) in key_marks
    assert (0,) not in value_marks


# --- Errors -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "column", "fragments"),
    [
        ("", 1, 1, ["expected a value", "end of input", "empty"]),
        ("  // only a comment\n", 2, 1, ["expected a value", "only whitespace and comments"]),
        ('{\n  "a": 1\n  "b": 2\n}', 3, 3, ["expected ',' or '}' after object member", 'found the string "b"', "missing ','"]),
        ("[1 2]", 1, 4, ["expected ',' or ']' after array element", "found '2'"]),
        ('{"a": 1', 1, 8, ["expected ',' or '}'", "end of input", "opened at line 1, column 1 is never closed"]),
        ("[1, 2", 1, 6, ["expected ',' or ']'", "end of input", "never closed"]),
        ("[1, 2,", 1, 7, ["expected a value or ']'", "end of input", "never closed"]),
        ('{"a": 1]', 1, 8, ["found ']'", "closed with '}'"]),
        ("[1}", 1, 3, ["found '}'", "closed with ']'"]),
        ("[}", 1, 2, ["expected a value or ']'", "found '}'"]),
        ("{]", 1, 2, ["expected a key or '}'", "found ']'"]),
        ("{,}", 1, 2, ["expected a key or '}' after '{'", "found ','"]),
        ("[,]", 1, 2, ["expected a value or ']' after '['", "found ','"]),
        ("[1,,2]", 1, 4, ["after ','", "found ','"]),
        ("{a:1,,}", 1, 6, ["expected a key or '}' after ','", "found ','"]),
        ('{"a" 1}', 1, 6, ["expected ':' after key 'a'", "found '1'"]),
        ('{"a":}', 1, 6, ["expected a value for key 'a'", "found '}'"]),
        ("{a-b: 1}", 1, 3, ["expected ':' after key 'a'", "found '-'", "in quotes"]),
        ("{1: 2}", 1, 2, ["expected a key", "found '1'", "in quotes"]),
        ("{" + "k" * 100 + " 1}", 1, 103, ["after key 'kkkkkkkkk", "...,", "found '1'"]),
        ("[1, // x", 1, 9, ["found end of input", "never closed"]),
        ('{"a": yes}', 1, 7, ["expected a value for key 'a'", "found 'yes'", "strings must be in quotes"]),
        ("{a: undefined}", 1, 5, ["found 'undefined'"]),
        ("[nul]", 1, 2, ["found 'nul'"]),
        ("[truex]", 1, 2, ["found 'truex'"]),
        ("[1]]", 1, 4, ["expected end of input after the top-level value", "found ']'"]),
        ("{} {}", 1, 4, ["expected end of input", "found '{'"]),
        ("1 2", 1, 3, ["expected end of input", "found '2'"]),
        ("[1, / 2]", 1, 5, ["found '/'", "comments start with // or /*"]),
        ("[1 /]", 1, 4, ["found '/'", "comments start with // or /*"]),
        ("[1, /* never closed", 1, 5, ["unterminated comment", "'/*'"]),
        ('{\n  "a": "abc\n}', 2, 12, ["unterminated string", "a line break", "starts at line 2, column 8"]),
        ("{'a': 'abc", 1, 11, ["unterminated string", "end of input", "starts at line 1, column 7"]),
        ('"abc\\', 1, 6, ["unterminated string", "starts at line 1, column 1"]),
        ('"a\rb"', 1, 3, ["unterminated string", "a line break"]),
        ("01", 1, 1, ["invalid number '01'", "leading zeros"]),
        ("-012", 1, 1, ["invalid number '-012'", "leading zeros"]),
        ("0x", 1, 1, ["invalid number '0x'", "hex digits"]),
        ("0xG", 1, 1, ["invalid number '0xG'", "hex digits"]),
        ("1e", 1, 1, ["invalid number '1e'", "exponent"]),
        ("1e+", 1, 1, ["invalid number '1e+'", "exponent"]),
        ("[1.2.3]", 1, 2, ["invalid number '1.2.3'"]),
        ("1_000", 1, 1, ["invalid number '1_000'"]),
        ("-", 1, 1, ["expected a value", "found '-'", "not a number"]),
        (".", 1, 1, ["found '.'", "not a number"]),
        ("+-1", 1, 1, ["found '+'"]),
        ("- 1", 1, 1, ["found '-'"]),
        ("[.e1]", 1, 2, ["found '.'"]),
        ('"\\1"', 1, 2, ["invalid escape '\\1'", "octal"]),
        ('"\\01"', 1, 2, ["'\\0' may not be followed by a digit"]),
        ('"\\x4"', 1, 2, ["invalid escape '\\x4'", "2 hex digits"]),
        ('"\\u12G4"', 1, 2, ["invalid escape '\\u12'", "4 hex digits"]),
        ('{\\u0030a: 1}', 1, 2, ["invalid identifier character", "'\\u0030'", "'0'", "start"]),
        ('{a\\u002d: 1}', 1, 3, ["invalid identifier character", "'-'"]),
        ('{a\\x41: 1}', 1, 3, ["invalid escape", "\\uXXXX"]),
        ("{a\\u00: 1}", 1, 3, ["invalid escape '\\u00'"]),
        ("{\u2118: 1}", 1, 2, ["expected a key", "found '\u2118'"]),
        ("[1,\n 2,\n x]", 3, 2, ["found 'x'"]),
        ("\x07", 1, 1, ["found U+0007"]),
        ("\u00ad", 1, 1, ["found U+00AD (SOFT HYPHEN)"]),
    ],
)
def test_error(text, line, column, fragments):
    err = error_of(text)
    assert (err.line, err.column) == (line, column), str(err)
    for fragment in fragments:
        assert fragment in err.message, (fragment, str(err))


def test_error_string_and_attributes():
    err = error_of('{\n  "a": 1,\n  "b": 2\n  "c": 3\n}')
    assert isinstance(err, Exception)
    assert (err.line, err.column) == (4, 3)
    assert str(err).startswith("line 4, column 3: expected ',' or '}' after object member")
    assert err.message in str(err)
    copy = pickle.loads(pickle.dumps(err))
    assert (copy.message, copy.line, copy.column) == (err.message, err.line, err.column)


def test_error_after_crlf_and_bom_lines():
    err = error_of("\ufeff{\r\n\r\n  1\r\n}")
    assert (err.line, err.column) == (3, 3)
    err = error_of("\ufeff{x")
    assert (err.line, err.column) == (1, 3)


def test_a_non_string_is_a_type_error():
    with pytest.raises(TypeError):
        parse(b"{}")  # type: ignore[arg-type]


# --- Nesting ----------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [1, 2, MAX_DEPTH // 2, MAX_DEPTH])
def test_deep_nesting(depth):
    data, value_marks, _ = parse("[" * depth + "]" * depth)
    innermost = data
    for _ in range(depth - 1):
        assert len(innermost) == 1
        innermost = innermost[0]
    assert innermost == []
    assert value_marks[(0,) * (depth - 1)] == (1, depth)
    text = '{"a":' * depth + "1" + "}" * depth
    data, value_marks, key_marks = parse(text)
    assert value_marks[("a",) * depth] == (1, 5 * depth + 1)
    assert key_marks[("a",) * depth] == (1, 5 * depth - 3)


@pytest.mark.parametrize(
    ("text", "column"),
    [("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), MAX_DEPTH + 1), ("[{a:" * 100_000, 2 * MAX_DEPTH + 1)],
)
def test_too_deep_nesting_is_a_json5_error(text, column):
    err = error_of(text)
    assert "nesting too deep" in err.message
    assert (err.line, err.column) == (1, column)


def test_unclosed_deep_nesting_is_a_json5_error():
    err = error_of("[" * (MAX_DEPTH - 1))
    assert "never closed" in err.message


# --- Size -------------------------------------------------------------------------------


def big_ccr_config(providers: int = 1000, models: int = 50) -> dict:
    def model(i: int, j: int) -> str:
        return f"vendor-{i}/model-{j}-instruct-2025-preview"

    return {
        "LOG": True,
        "API_TIMEOUT_MS": 600000,
        "Providers": [
            {
                "name": f"provider-{i}",
                "api_base_url": f"https://api.provider-{i}.example.com/v1/chat/completions",
                "api_key": f"${{PROVIDER_{i}_KEY}}",
                "models": [model(i, j) for j in range(models)],
                "transformer": {
                    "use": ["openrouter", ["maxtoken", {"max_tokens": 16384}]],
                    **{
                        model(i, j): {"use": [["maxtoken", {"max_tokens": 8192 + j, "temperature": 0.7}], "enhancetool"]}
                        for j in range(models)
                    },
                },
            }
            for i in range(providers)
        ],
        "Router": {"default": "provider-0,vendor-0/model-0-instruct-2025-preview"},
    }


def test_a_20_mb_config_parses_and_reports_its_time():
    config = big_ccr_config()
    text = json.dumps(config, indent=3)
    start = time.perf_counter()
    data, value_marks, key_marks = parse(text)
    seconds = time.perf_counter() - start
    print(f"\njson5.parse: {len(text) / 1e6:.1f} MB, {len(value_marks)} values, {len(key_marks)} keys in {seconds:.2f} s")
    assert data == config
    assert value_marks[("Router", "default")] == (text.count("\n") - 1, 18)
    assert value_marks[("Providers", 999, "models", 49)][0] > 0
