"""JSON5 parser that remembers where every value and key is in the text.

CCR 2.0.0 reads ``config.json`` with the npm ``json5`` package (2.2.x, https://spec.json5.org).
This module accepts and rejects the same texts and builds the same values, as plain Python
data, and also records the 1-based (line, column) of every value and every object key, so
that lint messages can point at the offending text::

    data, value_marks, key_marks = parse(text)

- ``data``: dict (insertion order kept), list, str, int, float, bool or None.  A number
  without a fraction or exponent is an int (``600000``, ``0x1F``, ``+1``); any other is a
  float (``1.5``, ``1e3``, ``5.``, ``.5``, ``Infinity``, ``NaN``).  When a key repeats, the
  last value wins, as in JavaScript (the key keeps its first position).
- ``value_marks``: path -> (line, column) of the first character of the value (the quote
  of a string, the sign of a number, the bracket of a container).  A path is a tuple of
  dict keys (str) and list indices (int); the root is ``()``.
- ``key_marks``: path of an object member -> (line, column) of its key.

Lines end at LF, CRLF, CR, U+2028 and U+2029; columns count code points.  A byte order
mark at the very start of the text takes no column.

Where this parser differs from npm json5 (on purpose, or because Python is not JavaScript):
- integers stay exact Python ints (JavaScript would round them to doubles), ``-0`` is 0;
- object keys keep the text's order (JavaScript puts integer-like keys such as "2" first);
- unquoted keys are checked against Python's Unicode tables (``unicodedata``), not the
  Unicode 10 tables inside npm json5, so letters added to Unicode after 10.0 are accepted;
- nesting deeper than ``MAX_DEPTH`` objects/arrays is refused (npm json5 has no limit; the
  paths of such a document would need memory growing with the square of the depth, and the
  code that reads the data recurses).

The parser is a loop over an explicit stack (no recursion).  Common text is read by two
compiled regular expressions, one object member or array element (with the ASCII whitespace
and comments before it) per match; anything else (escapes, other whitespace, unusual
numbers, errors) goes through a slower general path that also writes the error messages.
Lines and columns are worked out once, at the end, for all marks together.  The cyclic
garbage collector is paused while parsing: the parser makes no cycles, and collections
triggered by its hundreds of thousands of new containers cost a third of the time.
"""

from __future__ import annotations

import gc
import re
from itertools import accumulate, repeat
from operator import sub
from typing import Any

from ccrgen.common.limits import MAX_NESTING_DEPTH

__all__ = ["parse", "parse_plain_json", "NOT_PLAIN", "PlainJsonMarks", "Json5Error", "MAX_DEPTH"]

# Deepest nesting of objects and arrays that parse() accepts: the same limit as for YAML
# specs and request files (everything behind the loaders may then recurse safely).
MAX_DEPTH = MAX_NESTING_DEPTH


class Json5Error(Exception):
    """Text that is not JSON5; ``line`` and ``column`` are 1-based."""

    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(message, line, column)
        self.message = message
        self.line = line
        self.column = column

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column}: {self.message}"


# --- Lexical pieces ---------------------------------------------------------------------

# JSON5 WhiteSpace and LineTerminator: TAB VT FF SP NBSP BOM, any Zs, LF CR LS PS.
_WS_CLASS = "\t\n\x0b\x0c\r \xa0\ufeff\u1680\u2000-\u200a\u202f\u205f\u3000\u2028\u2029"
_LINE_TERMINATORS = "\n\r\u2028\u2029"
# The patterns are compiled on first use (`_compile`), not at import: they take ~10 ms
# to compile, and `ccrgen lint` of a plain-JSON config.json may never need them.

# Whitespace and comments.  Only ever used on its own (never followed by more pattern),
# so it cannot backtrack badly.  An unterminated /* stops it in front of the '/'.
_SKIP_PATTERN = rf"(?:[{_WS_CLASS}]+|//[^{_LINE_TERMINATORS}]*|/\*[\s\S]*?\*/)*"

# Fast path: plain ASCII whitespace, strings without escapes (or surrogates, which the
# slow path pairs up as JavaScript's UTF-16 strings do), ASCII identifier keys,
# JSON-style numbers, literals and opening brackets.  Each part is unambiguous, so a
# failed match costs time linear in what was tried.
_FS = (
    "[ \t\n\r]*(?:(?://[^\n\r\u2028\u2029]*(?![^\n\r\u2028\u2029])"  # a // comment, to the line's end
    r"|/\*[^*]*\*+(?:[^/*][^*]*\*+)*/"  # a /* comment */, to the first */
    ")[ \t\n\r]*)*"
)
_FKEY = r"""("([^"\\\n\r\ud800-\udfff]*)"|'([^'\\\n\r\ud800-\udfff]*)'|([A-Za-z_$][A-Za-z0-9_$]*))"""
_FVAL = (
    r"""("([^"\\\n\r\ud800-\udfff]*)"|'([^'\\\n\r\ud800-\udfff]*)'"""
    r"""|(-?(?:0|[1-9][0-9]{0,999}))((?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)(?![0-9A-Za-z_$.])"""
    r"""|([\[{])|(true|false|null)(?![0-9A-Za-z_$]))"""
)
# Groups: 1 ',' 2 '}' 3 key (4 "..." 5 '...' 6 identifier) 7 value (8 "..." 9 '...'
# 10 integer part 11 fraction+exponent 12 '{' or '[' 13 literal)
_OBJ_PATTERN = _FS + "(?:(,)" + _FS + ")?(?:(})|" + _FKEY + _FS + ":" + _FS + _FVAL + ")"
# Groups: 1 ',' 2 ']' 3 value (4 "..." 5 '...' 6 integer part 7 fraction+exponent
# 8 '{' or '[' 9 literal)
_ARR_PATTERN = _FS + "(?:(,)" + _FS + ")?(?:(])|" + _FVAL + ")"

_LITERALS = {"true": True, "false": False, "null": None}
_WORD_VALUES = {"true": True, "false": False, "null": None, "Infinity": float("inf"), "NaN": float("nan")}

_COMPILED = False


def _compile() -> None:
    """Compile the patterns of the parser (once per process)."""
    global _COMPILED, _SKIP, _OBJ_MATCH, _ARR_MATCH, _NUMBER, _NUMBER_RUN, _WORD, _HEX2, _HEX4
    global _PLAIN, _SIMPLE_STRING, _SURROGATE, _ID_ASCII_START, _ID_ASCII_CONTINUE, unicodedata
    import unicodedata
    _SKIP = re.compile(_SKIP_PATTERN).match
    _OBJ_MATCH = re.compile(_OBJ_PATTERN).match
    _ARR_MATCH = re.compile(_ARR_PATTERN).match
    _NUMBER = re.compile(
        r"[+-]?(?:0[xX][0-9a-fA-F]+|(?:(?:0|[1-9][0-9]*)(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
        r"|Infinity|NaN)"
    ).match
    _NUMBER_RUN = re.compile(r"[+-]?(?:[0-9A-Za-z_$.]|(?<=[eE])[+-])*").match
    _WORD = re.compile(r"[\w$]+").match
    _HEX2 = re.compile(r"[0-9a-fA-F]{2}").match
    _HEX4 = re.compile(r"[0-9a-fA-F]{4}").match
    _PLAIN = {'"': re.compile(r'[^"\\\n\r]*').match, "'": re.compile(r"[^'\\\n\r]*").match}
    _SIMPLE_STRING = {
        '"': re.compile(r'"([^"\\\n\r\ud800-\udfff]*)"').match,
        "'": re.compile(r"'([^'\\\n\r\ud800-\udfff]*)'").match,
    }
    _SURROGATE = re.compile("[\ud800-\udfff]").search
    _ID_ASCII_START = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*").match
    _ID_ASCII_CONTINUE = re.compile(r"[A-Za-z0-9_$]+").match
    _COMPILED = True


_LONE_TERMINATOR = r"\r(?!\n)|[\u2028\u2029]"  # compiled only for a text that has one
_LF_FINDER = re.compile("\n").finditer

_ESCAPES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}
# npm json5 2.2.3 (lib/unicode.js): ID_Start = Lu Ll Lt Lm Lo Nl, ID_Continue adds
# Mn Mc Nd Pc; plus '$', '_' and, inside a name, ZWNJ and ZWJ.
_ID_START_CATEGORIES = frozenset({"Lu", "Ll", "Lt", "Lm", "Lo", "Nl"})
_ID_CONTINUE_CATEGORIES = _ID_START_CATEGORIES | {"Mn", "Mc", "Nd", "Pc"}

_OPEN_OBJECT = object()  # what the value scanners return for '{'
_OPEN_ARRAY = object()  # ... and for '['
_CLOSE = object()  # what the step scanners return for '}' or ']'


def _is_id_start(c: str) -> bool:
    return c == "$" or c == "_" or unicodedata.category(c) in _ID_START_CATEGORIES


def _is_id_continue(c: str) -> bool:
    return (
        c == "$" or c == "_" or c == "\u200c" or c == "\u200d"
        or unicodedata.category(c) in _ID_CONTINUE_CATEGORIES
    )


# --- Positions --------------------------------------------------------------------------


class _LineIndex:
    """Offsets -> 1-based (line, column), every line terminator being seen as LF."""

    def __init__(self, text: str) -> None:
        if "\u2028" in text or "\u2029" in text or text.count("\r") != text.count("\r\n"):
            # Same length, same line starts: CR (not before LF), LS and PS become LF.
            text = re.sub(_LONE_TERMINATOR, "\n", text)
        self.text = text
        # before_line[n]: offset of the LF that ends line n - 1; for line 1, a virtual LF
        # just before the text, or on the BOM, so that a leading BOM takes no column.
        before_line = [-1, 0 if text.startswith("\ufeff") else -1]
        before_line.extend(m.start() for m in _LF_FINDER(text))
        self.before_line = before_line

    def positions(self, offsets: list[int]) -> list[tuple[int, int]]:
        """(line, column) of each offset; `offsets` must be in increasing order.

        Each gap between neighbouring offsets is searched once, in C-level loops.
        """
        # Line: 1 + the LFs before the offset (running sum of the LFs in each gap).
        lines = list(accumulate(map(self.text.count, repeat("\n"), [0, *offsets], offsets), initial=1))
        del lines[0]
        columns = map(sub, offsets, map(self.before_line.__getitem__, lines))
        return list(zip(lines, columns))

    def position(self, offset: int) -> tuple[int, int]:
        """(line, column) of one offset, as positions() gives it: the line is the last one
        whose LF before it is before the offset (a binary search; bisect's import would
        cost more than the few searches lint makes)."""
        before_line = self.before_line
        lo, hi = 1, len(before_line)  # before_line[lo] < offset <= before_line[hi] (hi: past the end)
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if before_line[mid] < offset:
                lo = mid
            else:
                hi = mid
        return lo, offset - before_line[lo]


def _line_col(text: str, pos: int) -> tuple[int, int]:
    return _LineIndex(text).positions([pos])[0]


# --- Errors -----------------------------------------------------------------------------


def _error(text: str, pos: int, message: str) -> Json5Error:
    line, column = _line_col(text, pos)
    return Json5Error(message, line, column)


def _where(text: str, pos: int) -> str:
    line, column = _line_col(text, pos)
    return f"line {line}, column {column}"


def _char(c: str) -> str:
    if c.isprintable() and not c.isspace():
        return f'"{c}"' if c == "'" else f"'{c}'"
    name = unicodedata.name(c, "")
    return f"U+{ord(c):04X}" + (f" ({name})" if name else "")


def _describe(text: str, pos: int) -> str:
    """What is at `pos`, for 'expected X, found Y'."""
    if pos >= len(text):
        return "end of input"
    c = text[pos]
    if c in "\"'":
        end = pos + 1
        while end < len(text) and end - pos < 40 and text[end] not in c + _LINE_TERMINATORS:
            end += 1
        snippet = text[pos:end + 1] if end < len(text) and text[end] == c else text[pos:end] + "..."
        return f"the string {snippet}"
    m = _WORD(text, pos)
    if m:
        word = m.group()
        return f"'{word[:40]}...'" if len(word) > 40 else f"'{word}'"
    if c in _LINE_TERMINATORS:
        return "a line break"
    return _char(c)


def _key_text(key: str) -> str:
    text = repr(key)
    return text if len(text) <= 42 else text[:40] + "..."


def _opened_at(text: str, open_pos: int, kind: str) -> str:
    return f"the {kind} opened at {_where(text, open_pos)}"


def _after_member_error(text: str, pos: int, is_obj: bool, open_pos: int) -> Json5Error:
    kind, close = ("object", "}") if is_obj else ("array", "]")
    thing = "object member" if is_obj else "array element"
    message = f"expected ',' or '{close}' after {thing}, found {_describe(text, pos)}"
    c = text[pos:pos + 1]
    if not c:
        message += f" ({_opened_at(text, open_pos, kind)} is never closed)"
    elif c in "}]":
        message += f" ({_opened_at(text, open_pos, kind)} is closed with '{close}')"
    elif c in "\"'{[-+." or _WORD(text, pos):
        message += " (missing ',' before it?)"
    elif c == "/":
        message += " (comments start with // or /*)"
    return _error(text, pos, message)


# --- General (slow) path ----------------------------------------------------------------


def _skip(text: str, pos: int) -> int:
    """Position after the whitespace and comments at `pos`."""
    pos = _SKIP(text, pos).end()
    if text.startswith("/*", pos):
        raise _error(text, pos, "unterminated comment: this '/*' has no closing '*/'")
    return pos


def _bad_escape(text: str, pos: int, digits: int) -> str:
    """The text of a broken \\x or \\u escape at `pos`: up to its first non-hex character."""
    end = pos + 2
    while end < min(len(text), pos + 2 + digits) and text[end] in "0123456789abcdefABCDEF":
        end += 1
    return text[pos:end]


def _string(text: str, pos: int) -> tuple[str, int]:
    """The string literal starting at `pos` (a quote): (value, end)."""
    quote = text[pos]
    m = _SIMPLE_STRING[quote](text, pos)
    if m:
        return m.group(1), m.end()
    plain = _PLAIN[quote]
    n = len(text)
    start = pos
    parts = []
    pos += 1
    while True:
        end = plain(text, pos).end()
        if end > pos:
            parts.append(text[pos:end])
            pos = end
        if pos >= n:
            raise _error(
                text, pos,
                f"unterminated string: found end of input before the closing {_char(quote)}"
                f" (the string starts at {_where(text, start)})",
            )
        c = text[pos]
        if c == quote:
            pos += 1
            break
        if c != "\\":  # CR or LF
            raise _error(
                text, pos,
                f"unterminated string: found a line break before the closing {_char(quote)}"
                f" (the string starts at {_where(text, start)}; escape line breaks as \\n)",
            )
        e = text[pos + 1:pos + 2]
        if not e:
            pos += 1
            continue  # reports the end of input above
        if e in _ESCAPES:
            parts.append(_ESCAPES[e])
            pos += 2
        elif e == "0":
            if text[pos + 2:pos + 3] in ("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"):
                raise _error(text, pos, "invalid escape: '\\0' may not be followed by a digit (no octal escapes)")
            parts.append("\0")
            pos += 2
        elif e in ("1", "2", "3", "4", "5", "6", "7", "8", "9"):
            raise _error(text, pos, f"invalid escape '\\{e}' (octal escapes are not allowed)")
        elif e == "x":
            if not _HEX2(text, pos + 2):
                raise _error(
                    text, pos,
                    f"invalid escape '{_bad_escape(text, pos, 2)}': '\\x' must be followed by 2 hex digits",
                )
            parts.append(chr(int(text[pos + 2:pos + 4], 16)))
            pos += 4
        elif e == "u":
            if not _HEX4(text, pos + 2):
                raise _error(
                    text, pos,
                    f"invalid escape '{_bad_escape(text, pos, 4)}': '\\u' must be followed by 4 hex digits",
                )
            parts.append(chr(int(text[pos + 2:pos + 6], 16)))
            pos += 6
        elif e == "\r":
            pos += 3 if text.startswith("\n", pos + 2) else 2  # line continuation
        elif e in ("\n", "\u2028", "\u2029"):
            pos += 2  # line continuation
        else:
            parts.append(e)  # \" \' \\ \/ and any other character stand for themselves
            pos += 2
    value = "".join(parts)
    if _SURROGATE(value):
        # JavaScript strings are UTF-16: a high surrogate followed by a low one (escaped
        # or not) is one character.  Lone surrogates stay as they are.
        value = value.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")
    return value, pos


def _starts_identifier(text: str, pos: int) -> bool:
    c = text[pos:pos + 1]
    if not c:
        return False
    if c < "\x80":
        return c == "\\" or c == "$" or c == "_" or ("a" <= c <= "z") or ("A" <= c <= "Z")
    return _is_id_start(c)


def _identifier(text: str, pos: int) -> tuple[str, int]:
    """The unquoted key (ECMAScript IdentifierName) at `pos`: (name, end)."""
    parts: list[str] = []
    n = len(text)
    while pos < n:
        m = (_ID_ASCII_CONTINUE if parts else _ID_ASCII_START)(text, pos)
        if m:
            parts.append(m.group())
            pos = m.end()
            continue
        c = text[pos]
        if c == "\\":
            if not (text.startswith("u", pos + 1) and _HEX4(text, pos + 2)):
                raise _error(
                    text, pos,
                    f"invalid escape '{_bad_escape(text, pos, 4)}' in an unquoted key"
                    " (only \\uXXXX escapes are allowed there)",
                )
            u = chr(int(text[pos + 2:pos + 6], 16))
            if not (_is_id_continue(u) if parts else _is_id_start(u)):
                raise _error(
                    text, pos,
                    f"invalid identifier character: '{text[pos:pos + 6]}' ({_char(u)}) may not be used"
                    f" {'in' if parts else 'to start'} an unquoted key; put the key in quotes",
                )
            parts.append(u)
            pos += 6
            continue
        if c >= "\x80" and (_is_id_continue(c) if parts else _is_id_start(c)):
            parts.append(c)
            pos += 1
            continue
        break
    return "".join(parts), pos


def _number(text: str, pos: int, m: re.Match) -> tuple[object, int]:
    s = m.group()
    end = m.end()
    follow = text[end:end + 1]
    if follow and (follow.isalnum() or follow in "_$.\\" or (follow >= "\x80" and _is_id_continue(follow))):
        run = _NUMBER_RUN(text, pos).group()
        if len(run) > 40:
            run = run[:40] + "..."
        why = ""
        if re.match(r"[+-]?0[0-9]", run):
            why = " (leading zeros are not allowed)"
        elif re.match(r"[+-]?0[xX]$", run) or re.match(r"[+-]?0[xX][0-9a-fA-F]*[g-zG-Z]", run):
            why = " ('0x' must be followed by hex digits)"
        elif re.search(r"[eE][+-]?$", run):
            why = " (an exponent needs digits)"
        raise _error(text, pos, f"invalid number '{run}'{why}")
    tail = s.lstrip("+-")
    if tail == "Infinity":
        return (float("-inf") if s[0] == "-" else float("inf")), end
    if tail == "NaN":
        return float("nan"), end
    if tail[:2] in ("0x", "0X"):
        return int(s, 16), end
    if "." in s or "e" in s or "E" in s:
        return float(s), end
    try:
        return int(s), end
    except ValueError:  # more digits than int() takes (sys.get_int_max_str_digits)
        return float(s), end


def _value(text: str, pos: int, expected: str) -> tuple[object, int]:
    """The value token at `pos`: (value, end); an opening bracket gives a marker object."""
    c = text[pos:pos + 1]
    if c == '"' or c == "'":
        return _string(text, pos)
    if c == "{":
        return _OPEN_OBJECT, pos + 1
    if c == "[":
        return _OPEN_ARRAY, pos + 1
    m = _NUMBER(text, pos)
    if m:
        return _number(text, pos, m)
    m = _WORD(text, pos)
    if m and m.group() in _WORD_VALUES:
        return _WORD_VALUES[m.group()], m.end()
    message = f"{expected}, found {_describe(text, pos)}"
    if m and not c.isdigit():
        message += " (strings must be in quotes)"
    elif c and c in "+-.":
        message += " (not a number)"
    elif c == "/":
        message += " (comments start with // or /*)"
    raise _error(text, pos, message)


def _object_step(text: str, pos: int, first: bool, open_pos: int):
    """One member of an object, or its end: (key, key_pos, value, value_pos, end)."""
    pos = _skip(text, pos)
    c = text[pos:pos + 1]
    after = "'{'"
    if not first:
        if c == "}":
            return _CLOSE, 0, None, 0, pos + 1
        if c != ",":
            raise _after_member_error(text, pos, True, open_pos)
        pos = _skip(text, pos + 1)
        c = text[pos:pos + 1]
        after = "','"
    if c == "}":
        return _CLOSE, 0, None, 0, pos + 1
    key_pos = pos
    quoted = c == '"' or c == "'"
    if quoted:
        key, pos = _string(text, pos)
    elif _starts_identifier(text, pos):
        key, pos = _identifier(text, pos)
    else:
        message = f"expected a key or '}}' after {after}, found {_describe(text, pos)}"
        if not c:
            message += f" ({_opened_at(text, open_pos, 'object')} is never closed)"
        elif c.isdigit() or c in "-+.":
            message += " (keys that are not names must be in quotes)"
        elif c == "]":
            message += f" ({_opened_at(text, open_pos, 'object')} is closed with '}}')"
        raise _error(text, pos, message)
    colon = _skip(text, pos)
    if not text.startswith(":", colon):
        message = f"expected ':' after key {_key_text(key)}, found {_describe(text, colon)}"
        found = text[colon:colon + 1]
        if not quoted and colon == pos and found and found not in "}],{[\"'" and not found.isspace():
            message += " (a key with such characters must be in quotes)"
        raise _error(text, colon, message)
    pos = _skip(text, colon + 1)
    value, end = _value(text, pos, f"expected a value for key {_key_text(key)}")
    return key, key_pos, value, pos, end


def _array_step(text: str, pos: int, first: bool, open_pos: int):
    """One element of an array, or its end: (value, value_pos, end)."""
    pos = _skip(text, pos)
    c = text[pos:pos + 1]
    after = "'['"
    if not first:
        if c == "]":
            return _CLOSE, 0, pos + 1
        if c != ",":
            raise _after_member_error(text, pos, False, open_pos)
        pos = _skip(text, pos + 1)
        c = text[pos:pos + 1]
        after = "','"
    if c == "]":
        return _CLOSE, 0, pos + 1
    if not c:
        raise _error(
            text, pos,
            f"expected a value or ']' after {after}, found end of input"
            f" ({_opened_at(text, open_pos, 'array')} is never closed)",
        )
    if c == "}":
        raise _error(
            text, pos,
            f"expected a value or ']' after {after}, found '}}'"
            f" ({_opened_at(text, open_pos, 'array')} is closed with ']')",
        )
    value, end = _value(text, pos, f"expected a value or ']' after {after}")
    return value, pos, end


# --- The parser -------------------------------------------------------------------------


def _scan(text: str):
    """(data, value paths, value offsets, key paths, key offsets), in text order."""
    obj_match = _OBJ_MATCH
    arr_match = _ARR_MATCH
    literals = _LITERALS
    OPEN_OBJECT = _OPEN_OBJECT
    OPEN_ARRAY = _OPEN_ARRAY
    CLOSE = _CLOSE
    value_paths: list = []
    value_offsets: list[int] = []
    key_paths: list = []
    key_offsets: list[int] = []
    add_value_path = value_paths.append
    add_value_offset = value_offsets.append
    add_key_path = key_paths.append
    add_key_offset = key_offsets.append
    stack: list = []

    pos = _skip(text, 0)
    if pos >= len(text):
        what = "the text is empty" if not text.strip() else "the text holds only whitespace and comments"
        raise _error(text, pos, f"expected a value, found end of input ({what})")
    value, end = _value(text, pos, "expected a value")
    add_value_path(())
    add_value_offset(pos)
    open_pos = pos
    pos = end
    if value is OPEN_OBJECT:
        cur: dict | list = {}
        is_obj = True
    elif value is OPEN_ARRAY:
        cur = []
        is_obj = False
    else:
        cur = None
    root = value if cur is None else cur
    path: tuple = ()
    first = True

    while cur is not None:
        if is_obj:
            m = obj_match(text, pos)
            if m is not None:
                comma, close, _, kdq, ksq, kid, _, dq, sq, ip, fr, op, lit = m.groups()
                if (comma is None) if first else (comma is not None or close is not None):
                    pos = m.end()
                    if close is not None:
                        key = CLOSE
                    else:
                        key = kdq if kdq is not None else (ksq if ksq is not None else kid)
                        key_pos = m.start(3)
                        value_pos = m.start(7)
                        if dq is not None:
                            value = dq
                        elif ip is not None:
                            value = float(ip + fr) if fr else int(ip)
                        elif op is not None:
                            value = OPEN_OBJECT if op == "{" else OPEN_ARRAY
                        elif lit is not None:
                            value = literals[lit]
                        else:
                            value = sq
                else:
                    m = None
            if m is None:
                key, key_pos, value, value_pos, pos = _object_step(text, pos, first, open_pos)
            if key is CLOSE:
                if not stack:
                    break
                cur, path, is_obj, open_pos = stack.pop()
                first = False
                continue
            p = path + (key,)
            add_key_path(p)
            add_key_offset(key_pos)
            add_value_path(p)
            add_value_offset(value_pos)
            first = False
            if value is OPEN_OBJECT or value is OPEN_ARRAY:
                child: dict | list = {} if value is OPEN_OBJECT else []
                cur[key] = child
            else:
                cur[key] = value
                continue
        else:
            m = arr_match(text, pos)
            if m is not None:
                comma, close, _, dq, sq, ip, fr, op, lit = m.groups()
                if (comma is None) if first else (comma is not None or close is not None):
                    pos = m.end()
                    if close is not None:
                        value = CLOSE
                    else:
                        value_pos = m.start(3)
                        if dq is not None:
                            value = dq
                        elif ip is not None:
                            value = float(ip + fr) if fr else int(ip)
                        elif op is not None:
                            value = OPEN_OBJECT if op == "{" else OPEN_ARRAY
                        elif lit is not None:
                            value = literals[lit]
                        else:
                            value = sq
                else:
                    m = None
            if m is None:
                value, value_pos, pos = _array_step(text, pos, first, open_pos)
            if value is CLOSE:
                if not stack:
                    break
                cur, path, is_obj, open_pos = stack.pop()
                first = False
                continue
            p = path + (len(cur),)
            add_value_path(p)
            add_value_offset(value_pos)
            first = False
            if value is OPEN_OBJECT or value is OPEN_ARRAY:
                child = {} if value is OPEN_OBJECT else []
                cur.append(child)
            else:
                cur.append(value)
                continue
        # A new object or array starts: go down into it.
        if len(stack) >= MAX_DEPTH - 1:
            raise _error(
                text, value_pos,
                f"nesting too deep: more than {MAX_DEPTH} levels of objects and arrays",
            )
        stack.append((cur, path, is_obj, open_pos))
        cur = child
        path = p
        is_obj = value is OPEN_OBJECT
        open_pos = value_pos
        first = True

    pos = _skip(text, pos)
    if pos < len(text):
        message = f"expected end of input after the top-level value, found {_describe(text, pos)}"
        if text[pos] in "}]":
            message += " (one closing bracket too many?)"
        elif text[pos] == "/":
            message += " (comments start with // or /*)"
        raise _error(text, pos, message)
    return root, value_paths, value_offsets, key_paths, key_offsets


def _exists(root, path: tuple) -> bool:
    node = root
    for step in path:
        if isinstance(node, dict):
            if not isinstance(step, str) or step not in node:
                return False
        elif isinstance(node, list):
            if not isinstance(step, int) or step >= len(node):
                return False
        else:
            return False
        node = node[step]
    return True


def parse(text: str) -> tuple[Any, dict[tuple, tuple[int, int]], dict[tuple, tuple[int, int]]]:
    """Parse JSON5 `text`: (data, value_marks, key_marks); raises Json5Error.

    See the module docstring for what the three parts hold.
    """
    if not isinstance(text, str):
        raise TypeError(f"parse() takes a str, not {type(text).__name__}")
    if not _COMPILED:
        _compile()
    # The parser makes no reference cycles; collecting while it allocates hundreds of
    # thousands of containers would only cost time (a third of it on big files).
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        data, value_paths, value_offsets, key_paths, key_offsets = _scan(text)
        lines = _LineIndex(text)
        value_marks = dict(zip(value_paths, lines.positions(value_offsets)))
        key_marks = dict(zip(key_paths, lines.positions(key_offsets)))
        if len(key_marks) != len(key_paths):
            # A repeated key replaced an earlier value: forget the marks under the old one.
            value_marks = {p: lc for p, lc in value_marks.items() if _exists(data, p)}
            key_marks = {p: lc for p, lc in key_marks.items() if _exists(data, p)}
        return data, value_marks, key_marks
    except Json5Error:
        raise
    except MemoryError:
        raise Json5Error("out of memory while parsing", 1, 1) from None
    except Exception as exc:  # a bug here must still surface as a Json5Error
        raise Json5Error(f"internal error in the JSON5 parser: {type(exc).__name__}: {exc}", 1, 1) from exc
    finally:
        if gc_was_enabled:
            gc.enable()


# --- Plain JSON: json.loads, and marks found on demand -----------------------------------
#
# Most config.json files are plain JSON (ccrgen writes them so). For such a text the C
# parser of the json module builds the same data as parse(), several times faster, and
# no mark is worked out until one is asked for: `PlainJsonMarks` finds the offsets of a
# container's members the first time a path goes through it (skipping the values with the
# json module's C scanner) and keeps them. Its marks are parse()'s, exactly.

NOT_PLAIN = object()  # what parse_plain_json() gives for a text it leaves to parse()
_JSON_SCAN = None  # the json module's C scanner, and its whitespace pattern ([ \t\n\r]*)
_JSON_WS = None


def parse_plain_json(text: str):
    """The value of `text` if it is plain JSON that parse() would read as the same value
    (json.loads accepts it, no surrogate is written as such, nesting within MAX_DEPTH),
    else NOT_PLAIN (parse() then reads it, or says why not)."""
    import json

    if text.startswith("\ufeff") or _has_surrogate(text):
        return NOT_PLAIN
    try:
        data = json.loads(text)
    except (ValueError, RecursionError, MemoryError):  # not JSON (JSONDecodeError), too big a number, too deep
        return NOT_PLAIN
    if (text.count("{") + text.count("[") > MAX_DEPTH) and _depth(data) > MAX_DEPTH:
        return NOT_PLAIN  # parse() refuses it
    return data


def _has_surrogate(text: str) -> bool:
    # A raw surrogate next to an escaped one is paired by parse(), not by json.loads.
    return not text.isascii() and re.search("[\ud800-\udfff]", text) is not None


def _depth(data) -> int:
    """The deepest nesting of objects and arrays in `data` (no recursion)."""
    deepest = 0
    stack = [(data, 1)] if isinstance(data, (dict, list)) else []
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        for item in (node.values() if isinstance(node, dict) else node):
            if isinstance(item, (dict, list)):
                stack.append((item, depth + 1))
    return deepest


class PlainJsonMarks:
    """The marks of a text parse_plain_json() read, each (line, column) as parse() gives it."""

    def __init__(self, text: str, data) -> None:
        self.text = text
        self.data = data
        self._lines: _LineIndex | None = None
        self._members: dict[tuple, tuple[dict, dict]] = {}  # container path -> (value offsets, key offsets)

    def locate(self, path: tuple, *, key: bool = False) -> tuple[int, int]:
        """The mark of the key at `path` (with key=True, when it is an object member), else
        of the value at `path`, else of the nearest enclosing value (the root at worst)."""
        _json_scanner()
        node, at, key_at = self.data, _JSON_WS(self.text, 0).end(), None
        prefix: tuple = ()
        for i, part in enumerate(path):
            step = _step(node, part)
            if step is _MISSING_STEP:
                key_at = None
                break
            values, keys = self._children(prefix, at)
            at, key_at = values[step], keys.get(step)
            node = node[step]
            prefix += (step,)
        if key and key_at is not None and len(prefix) == len(path):
            at = key_at
        if self._lines is None:
            self._lines = _LineIndex(self.text)
        return self._lines.position(at)

    def _children(self, path: tuple, at: int) -> tuple[dict, dict]:
        found = self._members.get(path)
        if found is None:
            found = self._members[path] = _members(self.text, at)
        return found


_MISSING_STEP = object()


def _step(node, part):
    """The key or index of `node` that the path part `part` stands for, compared as the
    paths of parse()'s marks compare (by == and hash), or _MISSING_STEP."""
    if isinstance(node, dict):
        try:
            return part if part in node else _MISSING_STEP
        except TypeError:  # an unhashable part
            return _MISSING_STEP
    if isinstance(node, list) and isinstance(part, (int, float)) and 0 <= part < len(node) and part == int(part):
        return int(part)
    return _MISSING_STEP


def _json_scanner():
    global _JSON_SCAN, _JSON_WS
    if _JSON_SCAN is None:
        from json.decoder import WHITESPACE, JSONDecoder

        _JSON_SCAN, _JSON_WS = JSONDecoder().scan_once, WHITESPACE.match
    return _JSON_WS, _JSON_SCAN


def _members(text: str, at: int) -> tuple[dict, dict]:
    """(offset of each member's value, offset of each key) of the object or array at `at`;
    a repeated key has the marks of its last occurrence, as in parse()."""
    from json.decoder import scanstring

    ws, scan = _json_scanner()
    values: dict = {}
    keys: dict = {}
    i = ws(text, at + 1).end()
    if text[at] == "{":
        if text[i] == "}":
            return values, keys
        while True:
            name, j = scanstring(text, i + 1)
            j = ws(text, ws(text, j).end() + 1).end()  # past the ':'
            keys[name] = i
            values[name] = j
            i = ws(text, scan(text, j)[1]).end()
            if text[i] != ",":
                return values, keys
            i = ws(text, i + 1).end()
    if text[i] == "]":
        return values, keys
    n = 0
    while True:
        values[n] = i
        n += 1
        i = ws(text, scan(text, i)[1]).end()
        if text[i] != ",":
            return values, keys
        i = ws(text, i + 1).end()


# --- Spans (for editing the text in place: `ccrgen lint --fix`) -------------------------


def offset(text: str, line: int, column: int) -> int:
    """The offset in `text` of a 1-based (line, column) mark that parse() gave for it."""
    return _LineIndex(text).before_line[line] + column


def token_end(text: str, pos: int) -> int:
    """The offset just after the value or key starting at `pos`: a string, a number, a
    literal, an unquoted key, or a whole object or array (comments and strings inside
    skipped). `pos` must be the offset of a mark from parse()."""
    if not _COMPILED:
        _compile()
    c = text[pos:pos + 1]
    if c == '"' or c == "'":
        return _string(text, pos)[1]
    if c == "{" or c == "[":
        depth = 0
        while True:
            pos = _skip(text, pos)
            c = text[pos:pos + 1]
            if not c:
                raise _error(text, pos, "unterminated object or array")
            if c == '"' or c == "'":
                pos = _string(text, pos)[1]
                continue
            if c == "{" or c == "[":
                depth += 1
            elif c == "}" or c == "]":
                depth -= 1
                if depth == 0:
                    return pos + 1
            pos += 1
    if _starts_identifier(text, pos):
        return _identifier(text, pos)[1]
    m = _NUMBER(text, pos)
    if m:
        return m.end()
    raise _error(text, pos, f"no value or key starts here ({_describe(text, pos)})")
