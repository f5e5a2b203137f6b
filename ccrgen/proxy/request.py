"""The edge where a request enters `ccrgen serve`: the raw body of an Anthropic Messages
(or count_tokens) request, parsed and checked once, here. What `parse_request` returns is
a JSON object the rest of the proxy (routing, token counting, translation) can trust
(`decode_body` first undoes a gzip/deflate Content-Encoding, within the size limit):

- strict JSON (no NaN/Infinity) in strict UTF-8, no lone surrogate in any string or key;
- nested at most ccrgen.common.limits.MAX_NESTING_DEPTH levels;
- `messages` a list of objects, each with a string `role` and a string or a list of
  content blocks (objects with a string `type`);
- `model` a string without control characters (it is echoed in response headers and
  log lines), `system` a string or a list of blocks, `tools` a list of objects,
  `stop_sequences` a list of strings, `metadata` an object whose `user_id` is a string,
  `thinking` and `tool_choice` objects, `stream` a boolean, `max_tokens` an integer,
  `temperature`/`top_p`/`top_k` numbers; each may also be absent or null.

Anything else is a `RequestInvalid` (400 `invalid_request_error`, Anthropic's format),
whose message names the field, e.g. `messages.2.content.0.type: must be a string`.
"""

from __future__ import annotations

import json
import re

from ccrgen.common.limits import MAX_NESTING_DEPTH

CONTROL = re.compile(r"[\x00-\x1f\x7f]")
SURROGATE = re.compile(r"[\ud800-\udfff]")
SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")   # the only way a lone surrogate gets into JSON text


class RequestInvalid(ValueError):
    """A request the proxy refuses with 400 before anything else looks at it."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message, self.status = message, status


def decode_body(raw: bytes, content_encoding: str | None, limit: int) -> bytes:
    """The body as the client meant it: `gzip` and `deflate` decompressed here (not by
    aiohttp, which can leave a request with a broken deflate body hanging), at most `limit`
    bytes once decompressed (RequestInvalid 413 above: a gzip bomb costs no more)."""
    import zlib

    encoding = (content_encoding or "").strip().lower()
    if encoding in ("", "identity"):
        return raw
    if encoding not in ("gzip", "x-gzip", "deflate"):
        raise RequestInvalid(f"Content-Encoding {printable(encoding)[:40]!r} is not supported (gzip or deflate)")
    tries = (31,) if "gzip" in encoding else (15, -15)   # deflate: zlib-wrapped, or raw as some clients send
    for wbits in tries:
        decoder = zlib.decompressobj(wbits)
        try:
            body = decoder.decompress(raw, limit + 1)
        except zlib.error:
            continue
        if len(body) > limit:
            raise RequestInvalid(f"request body larger than {limit} bytes once decompressed", 413)
        if decoder.eof:
            return body
    raise RequestInvalid(f"the request body is marked Content-Encoding: {encoding} but is not {encoding} data")


def printable(text) -> str:
    """Safe for a header value or a log line: control characters (CR, LF, NUL...) as `?`."""
    return CONTROL.sub("?", str(text))


def parse_request(raw: bytes) -> dict:
    body = _load_json(raw)
    if not isinstance(body, dict):
        raise RequestInvalid("the request body must be a JSON object (an Anthropic Messages request)")
    _check_tree(body, check_surrogates=bool(SURROGATE_ESCAPE.search(raw)))
    _check_fields(body)
    return body


def reject_constant(name: str):
    """For json.loads(parse_constant=...): NaN and Infinity are not JSON."""
    raise ValueError(f"{name} is not JSON")


# json.loads(text, parse_constant=reject_constant) without building a decoder per call
strict_json = json.JSONDecoder(parse_constant=reject_constant)


def _load_json(raw: bytes | bytearray):
    try:
        # strict UTF-8 first: json.loads(bytes) would also take UTF-16/32 and let an encoded
        # surrogate through ('surrogatepass'); the only way left to write one is a \u escape
        text = raw.decode("utf-8")
        if text.startswith("\ufeff"):   # what json.loads says of it
            raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
        return strict_json.decode(text)
    except RecursionError:
        raise RequestInvalid(f"the request body is nested more than {MAX_NESTING_DEPTH} levels deep") from None
    except UnicodeDecodeError as exc:
        raise RequestInvalid(f"the request body is not UTF-8 text (byte {exc.start})") from None
    except ValueError as exc:  # json.JSONDecodeError, a 5,000-digit integer, NaN
        detail = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
        raise RequestInvalid(f"the request body is not valid JSON ({detail})") from None


def _check_tree(body: dict, *, check_surrogates: bool) -> None:
    """Depth, and lone surrogates, over the whole tree without recursion: one quick pass,
    level by level, that only says whether anything is wrong; when something is, the walk
    that names where (`_explain_tree`) runs."""
    level, depth = [body], 1
    while level:
        if depth > MAX_NESTING_DEPTH:
            return _explain_tree(body, check_surrogates=check_surrogates)
        below = []
        for value in level:
            items = value.values() if type(value) is dict else value
            below += [item for item in items if type(item) is dict or type(item) is list]
            if check_surrogates and _holds_surrogate(value):
                return _explain_tree(body, check_surrogates=check_surrogates)
        level, depth = below, depth + 1


def _holds_surrogate(value) -> bool:
    """A lone surrogate in a key or a string item of `value` (only non-ASCII text can hold one)."""
    texts = [*value.keys(), *value.values()] if type(value) is dict else value
    search = SURROGATE.search
    return any(search(text) for text in texts if type(text) is str and not text.isascii())


def _explain_tree(body: dict, *, check_surrogates: bool) -> None:
    stack = [(body, 1, ())]
    while stack:
        value, depth, path = stack.pop()
        if depth > MAX_NESTING_DEPTH:
            raise RequestInvalid(f"{_where(path)}: nested more than {MAX_NESTING_DEPTH} levels deep")
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            if check_surrogates and isinstance(key, str) and SURROGATE.search(key):
                raise RequestInvalid(f"{_where(path)}: a key holds a lone UTF-16 surrogate (\\u{ord(SURROGATE.search(key).group()):04x})")
            if isinstance(item, (dict, list)):
                stack.append((item, depth + 1, path + (key,)))
            elif check_surrogates and isinstance(item, str) and SURROGATE.search(item):
                found = ord(SURROGATE.search(item).group())
                raise RequestInvalid(f"{_where(path + (key,))}: the text holds a lone UTF-16 surrogate (\\u{found:04x})")


def _where(path: tuple) -> str:
    return ".".join(str(part) for part in path) or "the request body"


# -- the fields the proxy reads -----------------------------------------------------------

def _check_fields(body: dict) -> None:
    model = _optional(body, "model", str, "a string")
    if model is not None and CONTROL.search(model):
        raise RequestInvalid("model: must not contain control characters (CR, LF, NUL...)")
    messages = body.get("messages")
    if not isinstance(messages, list):
        raise RequestInvalid("messages: an Anthropic Messages request needs a list of messages")
    for index, message in enumerate(messages):   # the message's path is written only for an error
        if not isinstance(message, dict) or not isinstance(message.get("role"), str):
            _check_message(message, f"messages.{index}")
        content = message.get("content")
        if content is not None and not isinstance(content, str):
            _check_blocks(content, f"messages.{index}.content")
    system = body.get("system")
    if system is not None and not isinstance(system, str):
        _check_blocks(system, "system")
    tools = _optional(body, "tools", list, "a list of tools")
    for index, tool in enumerate(tools or []):
        where = f"tools.{index}"
        _need(tool, dict, where, "an object")
        _optional(tool, "name", str, "a string", where)
        _optional(tool, "type", str, "a string", where)
        _optional(tool, "description", str, "a string", where)
        _optional(tool, "input_schema", dict, "an object", where)
    for index, stop in enumerate(_optional(body, "stop_sequences", list, "a list of strings") or []):
        _need(stop, str, f"stop_sequences.{index}", "a string")
    metadata = _optional(body, "metadata", dict, "an object")
    if metadata is not None:
        _optional(metadata, "user_id", str, "a string", "metadata")
    _optional(body, "thinking", dict, "an object")
    choice = _optional(body, "tool_choice", dict, "an object")
    if choice is not None:
        _optional(choice, "type", str, "a string", "tool_choice")
        _optional(choice, "name", str, "a string", "tool_choice")
    _optional(body, "stream", bool, "true or false")
    _optional(body, "max_tokens", int, "an integer")
    for key in ("temperature", "top_p", "top_k"):
        _optional(body, key, (int, float), "a number")


def _check_message(message, where: str) -> None:
    _need(message, dict, where, "an object with `role` and `content`")
    _need(message.get("role"), str, f"{where}.role", "a string")
    content = message.get("content")
    if content is not None and not isinstance(content, str):
        _check_blocks(content, f"{where}.content")


BLOCK_STRINGS = ("text", "id", "name", "tool_use_id", "thinking")
BLOCK_OBJECTS = ("source", "cache_control")


def _check_blocks(blocks, where: str) -> None:
    _need(blocks, list, where, "a string or a list of content blocks")
    for index, block in enumerate(blocks):
        if not _block_ok(block):   # a block's path is written only for an error
            _check_block(block, f"{where}.{index}")
        inner = block.get("content")
        if isinstance(inner, list):
            _check_blocks(inner, f"{where}.{index}.content")


def _block_ok(block) -> bool:
    """What _check_block checks, without building its messages."""
    if not isinstance(block, dict) or not isinstance(block.get("type"), str):
        return False
    get = block.get
    return (all(isinstance(get(key), str) for key in BLOCK_STRINGS if get(key) is not None)
            and all(isinstance(get(key), dict) for key in BLOCK_OBJECTS if get(key) is not None))


def _check_block(block, at: str) -> None:
    _need(block, dict, at, "a content block (an object with `type`)")
    _need(block.get("type"), str, f"{at}.type", "a string")
    for key in BLOCK_STRINGS:
        _optional(block, key, str, "a string", at)
    for key in BLOCK_OBJECTS:
        _optional(block, key, dict, "an object", at)


def _need(value, kind, where: str, what: str):
    if not isinstance(value, kind) or (isinstance(value, bool) and kind in (int, (int, float))):
        raise RequestInvalid(f"{where}: must be {what}, not {_json_type(value)}")
    return value


def _optional(holder: dict, key: str, kind, what: str, where: str = ""):
    value = holder.get(key)
    if value is None:
        return None
    return _need(value, kind, f"{where}.{key}" if where else key, what)


def _json_type(value) -> str:
    if value is None:
        return "null"
    return {bool: "a boolean", int: "a number", float: "a number", str: "a string",
            list: "a list", dict: "an object"}.get(type(value), type(value).__name__)
