"""Anthropic Messages <-> OpenAI chat completions, the way a provider behind CCR 2.0.0 sees
them. Pure functions and one small state machine for streams; no I/O.

Requests are exactly what CCR 2.0.0's Anthropic transformer sends (checked field by field
against the real CCR in tests/test_builtins_vs_ccr.py), quirks included, so that a provider
that accepts ccrgen's request accepts CCR's: `stream` is always sent (false when unset),
top_p, stop_sequences and disable_parallel_tool_use are dropped, `tool_choice: any` stays
"any", a tool result that is not a string is sent as its JSON, text parts are passed on as
written, images carry `media_type`, documents are dropped, and an assistant's signed
thinking block goes along as `thinking: {content, signature}`. `reasoning.effort` is CCR's
getThinkLevel with JavaScript's comparisons: Claude Code 2.1's budget-less `thinking`
(`adaptive`, `disabled`) is effort "high" (tests/test_claude_requests_vs_ccr.py).
"""

from __future__ import annotations

import json
import math
import re
import secrets as _random

STOP_REASONS = {"stop": "end_turn", "length": "max_tokens", "tool_calls": "tool_use",
                "function_call": "tool_use", "content_filter": "refusal"}


ABSENT = object()   # a key the request does not have: JavaScript's undefined


def think_level(budget=ABSENT) -> str:
    """CCR's getThinkLevel: the reasoning effort for a thinking budget, compared as JavaScript
    compares (`b <= 0 ? "none" : b <= 1024 ? "low" : b <= 8192 ? "medium" : "high"`). A budget
    that is absent (Claude Code 2.1's `{"type": "adaptive"}` or `{"type": "disabled"}`) or not
    a number is NaN there, every comparison is false, and the effort is "high"; null is 0, a
    numeric string its number."""
    number = _js_number(budget)
    if number <= 0:
        return "none"
    if number <= 1024:
        return "low"
    return "medium" if number <= 8192 else "high"


_JS_SPACE = "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a" \
            "\u2028\u2029\u202f\u205f\u3000\ufeff"
_JS_DECIMAL = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|[+-]?Infinity")
_JS_RADIX = re.compile(r"0([xXoObB])([0-9a-fA-F]+)")


def _js_number(value) -> float:
    """JavaScript's ToNumber, for a value parsed from JSON (or absent)."""
    if value is ABSENT:
        return math.nan
    if value is None:
        return 0.0
    if isinstance(value, (bool, int, float)):
        try:
            return float(value)
        except OverflowError:     # an integer beyond a double
            return math.inf if value > 0 else -math.inf
    if isinstance(value, list):   # an array compares as its join(",")
        return _js_number(_js_join(value))
    if not isinstance(value, str):
        return math.nan           # an object: "[object Object]"
    text = value.strip(_JS_SPACE)
    if not text:
        return 0.0
    if _JS_DECIMAL.fullmatch(text):
        return float(text.replace("Infinity", "inf"))
    radix = _JS_RADIX.fullmatch(text)
    if radix:
        try:
            return float(int(radix.group(2), {"x": 16, "o": 8, "b": 2}[radix.group(1).lower()]))
        except ValueError:
            return math.nan
    return math.nan


def _js_join(items: list) -> str:
    def text(item):
        if item is None:
            return ""
        if isinstance(item, bool):
            return "true" if item else "false"
        if isinstance(item, float) and item.is_integer() and abs(item) < 1e21:
            return str(int(item))
        if isinstance(item, list):
            return _js_join(item)
        return "[object Object]" if isinstance(item, dict) else str(item)
    return ",".join(text(item) for item in items)


# -- request: Anthropic -> OpenAI ---------------------------------------------------------

def request_to_openai(body: dict, model: str) -> dict:
    messages = _system_messages(body.get("system"))
    for message in body.get("messages") or []:
        if isinstance(message, dict) and message.get("role") in ("user", "assistant"):
            messages.extend(_convert_message(message))
    out = {"messages": messages, "model": model}
    for key in ("max_tokens", "temperature"):
        if key in body:
            out[key] = body[key]
    out["stream"] = body.get("stream") or False   # CCR sets a falsy `stream` to false
    tools = body.get("tools")
    if isinstance(tools, list) and tools:
        out["tools"] = [_convert_tool(t) for t in tools if isinstance(t, dict) and t.get("name")]
    choice = body.get("tool_choice")
    if isinstance(choice, dict) and choice.get("type") is not None:
        out["tool_choice"] = _convert_tool_choice(choice)
    thinking = body.get("thinking")
    if isinstance(thinking, dict):   # `if (thinking)`: an empty object is truthy too
        out["reasoning"] = {"effort": think_level(thinking.get("budget_tokens", ABSENT)),
                            "enabled": thinking.get("type") == "enabled"}
    return out


def _system_messages(system) -> list[dict]:
    if isinstance(system, str) and system:
        return [{"role": "system", "content": system}]
    if isinstance(system, list):
        parts = []
        for block in system:
            if isinstance(block, dict) and block.get("type") == "text" and block.get("text"):
                part = {"type": "text", "text": block["text"]}
                if block.get("cache_control"):
                    part["cache_control"] = block["cache_control"]
                parts.append(part)
        if system:
            return [{"role": "system", "content": parts}]
    return []


def _convert_message(message: dict) -> list[dict]:
    role, content = message["role"], message.get("content")
    if isinstance(content, str):
        return [{"role": role, "content": content}]
    if not isinstance(content, list):
        return []
    blocks = [b for b in content if isinstance(b, dict)]
    if role == "assistant":
        return [_assistant_message(blocks)]
    out = [_tool_message(b) for b in blocks if b.get("type") == "tool_result" and b.get("tool_use_id")]
    parts = [p for p in (_user_part(b) for b in blocks) if p]
    if parts:
        out.append({"role": "user", "content": parts})
    return out


def _user_part(block: dict) -> dict | None:
    kind = block.get("type")
    if kind == "text" and block.get("text"):
        return dict(block)   # CCR passes a text part on as the client wrote it
    if kind == "image" and block.get("source"):
        return _image_part(block)
    return None


def _image_part(block: dict) -> dict:
    """CCR's image_url part: a data URL for base64 data, the source's url otherwise, and the
    source's media_type alongside."""
    source = block["source"] if isinstance(block["source"], dict) else {}
    if source.get("type") == "base64":
        url = _data_url(str(source.get("data", "")), source.get("media_type"))
    else:
        url = source.get("url")
    part = {"type": "image_url", "image_url": {"url": url} if url is not None else {}}
    if source.get("media_type") is not None:
        part["media_type"] = source["media_type"]
    return part


def _data_url(data: str, media_type) -> str:
    """CCR's formatBase64: data that is already a data URL keeps only what follows `base64,`."""
    if "base64" in data:
        data = data.split("base64")[-1]
        data = data[1:] if data.startswith(",") else data
    return f"data:{'undefined' if media_type is None else media_type};base64,{data}"


def _tool_message(block: dict) -> dict:
    """A tool result as CCR sends it: string content as is, any other content as its JSON."""
    message = {"role": "tool", "tool_call_id": block["tool_use_id"]}
    if "content" in block:
        content = block["content"]
        message["content"] = content if isinstance(content, str) else json.dumps(
            content, ensure_ascii=False, separators=(",", ":"))
    if "cache_control" in block:
        message["cache_control"] = block["cache_control"]
    return message


def _assistant_message(blocks: list[dict]) -> dict:
    text = "\n".join(b["text"] for b in blocks if b.get("type") == "text" and b.get("text"))
    calls = [{"id": b["id"], "type": "function",
              "function": {"name": b.get("name", ""),
                           "arguments": json.dumps(b.get("input") or {}, ensure_ascii=False,
                                                   separators=(",", ":"))}}
             for b in blocks if b.get("type") == "tool_use" and b.get("id")]
    message = {"role": "assistant", "content": text}
    if calls:
        message["tool_calls"] = calls
    thinking = next((b for b in blocks if b.get("type") == "thinking" and b.get("signature")), None)
    if thinking is not None:
        message["thinking"] = {"content": thinking.get("thinking"), "signature": thinking["signature"]}
    return message


def _convert_tool(tool: dict) -> dict:
    function = {"name": tool["name"], "description": tool.get("description") or ""}
    if isinstance(tool.get("input_schema"), dict):
        function["parameters"] = tool["input_schema"]
    return {"type": "function", "function": function}


def _convert_tool_choice(choice: dict):
    kind = choice.get("type")
    if kind == "tool":
        return {"type": "function", "function": {"name": choice.get("name")}}
    return kind


# -- response: OpenAI -> Anthropic --------------------------------------------------------

def new_message_id() -> str:
    return "msg_" + _random.token_hex(12)


def usage_to_anthropic(usage: dict | None) -> dict:
    usage = usage if isinstance(usage, dict) else {}
    prompt = _count(usage.get("prompt_tokens"))
    details = usage.get("prompt_tokens_details") if isinstance(usage.get("prompt_tokens_details"), dict) else {}
    cached = _count(details.get("cached_tokens"))
    return {"input_tokens": max(0, prompt - cached), "output_tokens": _count(usage.get("completion_tokens")),
            "cache_read_input_tokens": cached}


def _count(value) -> int:
    """A token count from the provider: a non-negative integer, else 0."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def parse_arguments(arguments) -> dict:
    if isinstance(arguments, dict):
        return arguments
    try:
        value = json.loads(arguments or "{}")
    except (TypeError, ValueError):
        return {"_raw_arguments": arguments}
    return value if isinstance(value, dict) else {"value": value}


class UpstreamFormatError(ValueError):
    """The provider answered 2xx with something that is not a chat completion."""


def response_to_anthropic(completion, model: str) -> dict:
    if not isinstance(completion, dict) or not isinstance(completion.get("choices"), list) or not completion["choices"]:
        raise UpstreamFormatError("the provider's answer has no choices")
    choice = completion["choices"][0] if isinstance(completion["choices"][0], dict) else {}
    message = choice.get("message") if isinstance(choice.get("message"), dict) else {}
    calls = message.get("tool_calls") or []
    if not isinstance(calls, list) or not all(isinstance(c, dict) and isinstance(c.get("function") or {}, dict)
                                              for c in calls):
        raise UpstreamFormatError("tool_calls is not a list of calls whose `function` is an object")
    content = []
    reasoning = message.get("reasoning_content") or message.get("reasoning")
    if isinstance(reasoning, str) and reasoning:   # a provider's own signature kept (gemini)
        signature = message.get("thinking_signature")
        content.append({"type": "thinking", "thinking": reasoning,
                        "signature": signature if isinstance(signature, str) and signature else _signature()})
    if isinstance(message.get("content"), str) and message["content"]:
        content.append({"type": "text", "text": message["content"]})
    for call in calls:
        function = call.get("function") or {}
        content.append({"type": "tool_use", "id": _text(call.get("id")) or _tool_id(),
                        "name": _text(function.get("name")), "input": parse_arguments(function.get("arguments"))})
    if not content:
        content.append({"type": "text", "text": ""})
    finish = choice.get("finish_reason")
    stop_reason = STOP_REASONS.get(finish, "end_turn") if isinstance(finish, str) else "end_turn"
    if any(block["type"] == "tool_use" for block in content):
        stop_reason = "tool_use"
    return {"id": new_message_id(), "type": "message", "role": "assistant",
            "model": _text(completion.get("model")) or model, "content": content,
            "stop_reason": stop_reason, "stop_sequence": None,
            "usage": usage_to_anthropic(completion.get("usage"))}


def _text(value) -> str:
    """A string field of the provider's answer ("" when it sent something else)."""
    return value if isinstance(value, str) else ""


def _signature() -> str:
    return "ccrgen-" + _random.token_hex(8)


def _tool_id() -> str:
    return "toolu_" + _random.token_hex(12)


def error_body(message: str, kind: str = "api_error") -> dict:
    return {"type": "error", "error": {"type": kind, "message": message}}


ERROR_TYPES = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
               404: "not_found_error", 413: "request_too_large", 429: "rate_limit_error",
               500: "api_error", 502: "api_error", 503: "overloaded_error", 504: "api_error",
               529: "overloaded_error"}


def error_type_for(status: int) -> str:
    return ERROR_TYPES.get(status, "invalid_request_error" if 400 <= status < 500 else "api_error")


def upstream_error_message(status: int, raw: bytes) -> str:
    """The provider's own message, when its error body has one."""
    text = raw.decode("utf-8", "replace").strip()
    try:
        data = json.loads(text)
    except ValueError:
        return text[:500] or f"HTTP {status}"
    if isinstance(data, dict):
        error = data.get("error", data)
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            return error["message"]
        if isinstance(error, str):
            return error
        if isinstance(data.get("message"), str):
            return data["message"]
    return text[:500]


# -- streams ------------------------------------------------------------------------------

# json.dumps(value, ensure_ascii=False, separators=(",", ":")), without building an encoder per event
_compact = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_json_string = json.encoder.encode_basestring   # how that encoder writes a str


def sse_event(name: str, data: dict) -> bytes:
    return f"event: {name}\ndata: {_compact(data)}\n\n".encode()


# The events every stream has, as sse_event writes them, without a dict and an encoder each
# (tests/test_proxy_fast_paths.py compares them with sse_event's).
_MESSAGE_STOP = sse_event("message_stop", {"type": "message_stop"})


def _block_stop(index: int) -> bytes:
    return f'event: content_block_stop\ndata: {{"type":"content_block_stop","index":{index:d}}}\n\n'.encode()


def _text_block_start(index: int) -> bytes:
    return (f'event: content_block_start\ndata: {{"type":"content_block_start","index":{index:d},'
            f'"content_block":{{"type":"text","text":""}}}}\n\n').encode()


def _message_start(message_id: str, model: str) -> bytes:
    return (f'event: message_start\ndata: {{"type":"message_start","message":{{"id":{_json_string(message_id)},'
            f'"type":"message","role":"assistant","content":[],"model":{_json_string(model)},"stop_reason":null,'
            f'"stop_sequence":null,"usage":{{"input_tokens":0,"output_tokens":0}}}}}}\n\n').encode()


def _message_delta(stop_reason: str, usage: dict) -> bytes:
    """`usage` as usage_to_anthropic gives it (three ints)."""
    return (f'event: message_delta\ndata: {{"type":"message_delta","delta":{{"stop_reason":{_json_string(stop_reason)},'
            f'"stop_sequence":null}},"usage":{{"input_tokens":{int(usage["input_tokens"]):d},'
            f'"output_tokens":{int(usage["output_tokens"]):d},'
            f'"cache_read_input_tokens":{int(usage["cache_read_input_tokens"]):d}}}}}\n\n').encode()


class SseParser:
    """Incremental `text/event-stream` parser: bytes in, the `data` of each event out."""

    def __init__(self, max_event_bytes: int | None = None) -> None:
        self._buffer = b""
        self._data: list[str] = []
        self._data_size = 0
        self.max_event_bytes = max_event_bytes

    def feed(self, chunk: bytes) -> list[str]:
        """The events `chunk` completes; UpstreamFormatError once one event (or a line without
        its end) passes `max_event_bytes`: a provider cannot make the proxy buffer forever."""
        lines = (self._buffer + chunk if self._buffer else chunk).split(b"\n")
        rest = lines.pop()   # after the last line end: the start of a line still to come
        events = []
        data = self._data
        limit = self.max_event_bytes
        for line in lines:
            if line.endswith(b"\r"):
                line = line.rstrip(b"\r")
            if not line:
                if data:
                    events.append("\n".join(data))
                    data = self._data = []
                    self._data_size = 0
            elif line.startswith(b"data:"):
                data.append(line[5:].decode("utf-8", "replace").lstrip(" "))
                self._data_size += len(line)
                if limit and self._data_size > limit:
                    self._too_big()
        self._buffer = rest
        if limit and len(rest) > limit:
            self._too_big()
        return events

    def close(self) -> list[str]:
        rest = self.feed(b"\n\n") if self._buffer or self._data else []
        return rest

    def _too_big(self):
        raise UpstreamFormatError(f"a stream event is larger than {self.max_event_bytes} bytes")


def check_chunk(chunk) -> None:
    """The shape of one streamed chat completion chunk, as far as the translator reads it."""
    if not isinstance(chunk, dict):
        raise UpstreamFormatError("an event is not a JSON object")
    choices = chunk.get("choices") or []
    if not isinstance(choices, list):
        raise UpstreamFormatError("`choices` is not a list")
    for choice in choices:
        if not isinstance(choice, dict) or not isinstance(choice.get("delta") or {}, dict):
            raise UpstreamFormatError("a choice is not an object with a `delta` object")
        calls = (choice.get("delta") or {}).get("tool_calls") or []
        if not isinstance(calls, list):
            raise UpstreamFormatError("`tool_calls` is not a list")
        for call in calls:
            if not isinstance(call, dict) or not isinstance(call.get("function") or {}, dict):
                raise UpstreamFormatError("a tool call's `function` is not an object")
            index = call.get("index", 0)
            if not isinstance(index, int) or isinstance(index, bool):
                raise UpstreamFormatError("a tool call's `index` is not an integer")


class StreamTranslator:
    """OpenAI chat completion chunks in, Anthropic SSE events out, block by block as they
    arrive. `start()` first, `feed(chunk)` per chunk, `finish()` at the end of the stream;
    `cut(message)` when the stream broke before it finished."""

    def __init__(self, model: str) -> None:
        self.model = model
        self.message_id = new_message_id()
        self.index = -1
        self.open_kind: str | None = None        # "text", "thinking" or "tool_use"
        self.tool_blocks: dict[int, int] = {}    # OpenAI tool call index -> block index
        self.open_tool: int | None = None
        self.stop_reason: str | None = None
        self.usage: dict | None = None
        self.saw_tool_use = False
        self.signature: str | None = None         # the open thinking block's signature, if the provider gave one
        self.done = False

    def start(self) -> bytes:
        if isinstance(self.model, str):   # what the generic writer below gives, without building it
            return _message_start(self.message_id, self.model)
        message = {"id": self.message_id, "type": "message", "role": "assistant", "content": [],
                   "model": self.model, "stop_reason": None, "stop_sequence": None,
                   "usage": {"input_tokens": 0, "output_tokens": 0}}
        return sse_event("message_start", {"type": "message_start", "message": message})

    @property
    def finished_cleanly(self) -> bool:
        return self.stop_reason is not None

    def feed(self, chunk: dict) -> bytes:
        """Anthropic events for one chunk; UpstreamFormatError for a chunk that is not one
        (choices not a list, a tool call whose `function` is not an object...)."""
        out = []
        check_chunk(chunk)
        if isinstance(chunk.get("usage"), dict):
            self.usage = chunk["usage"]
        for choice in chunk.get("choices") or []:
            delta = choice.get("delta") or {}
            reasoning = delta.get("reasoning_content") or delta.get("reasoning")
            if reasoning and isinstance(reasoning, str):
                if self.open_kind != "thinking":
                    out += self._ensure("thinking", {"type": "thinking", "thinking": ""})
                out.append(self._text_delta("thinking_delta", "thinking", reasoning))
            if isinstance(delta.get("thinking_signature"), str) and self.open_kind == "thinking":
                self.signature = delta["thinking_signature"]   # a provider's own (gemini), sent at close
            text = delta.get("content")
            if text and isinstance(text, str):
                if self.open_kind != "text":   # else _ensure adds nothing
                    out += self._ensure("text", {"type": "text", "text": ""})
                out.append(self._text_delta("text_delta", "text", text))
            calls = delta.get("tool_calls")
            if calls:
                for call in calls:
                    out += self._tool_call(call)
            finish = choice.get("finish_reason")
            if finish and isinstance(finish, str):
                self.stop_reason = STOP_REASONS.get(finish, "end_turn")
        return b"".join(out)

    def _tool_call(self, call: dict) -> list[bytes]:
        out = []
        position = call.get("index", 0)
        function = call.get("function") or {}
        if position not in self.tool_blocks:
            out += self._close()
            self.index += 1
            self.tool_blocks[position] = self.index
            self.open_kind, self.open_tool = "tool_use", position
            self.saw_tool_use = True
            block = {"type": "tool_use", "id": _text(call.get("id")) or _tool_id(), "name": _text(function.get("name")),
                     "input": {}}
            out.append(sse_event("content_block_start",
                                 {"type": "content_block_start", "index": self.index, "content_block": block}))
        arguments = function.get("arguments")
        if isinstance(arguments, str) and arguments:
            out.append(sse_event("content_block_delta", {
                "type": "content_block_delta", "index": self.tool_blocks[position],
                "delta": {"type": "input_json_delta", "partial_json": arguments}}))
        return out

    def _ensure(self, kind: str, block: dict) -> list[bytes]:
        if self.open_kind == kind:
            return []
        out = self._close()
        self.index += 1
        self.open_kind = kind
        if kind == "text":   # {"type": "text", "text": ""}, the one block callers give for text
            out.append(_text_block_start(self.index))
        else:
            out.append(sse_event("content_block_start",
                                 {"type": "content_block_start", "index": self.index, "content_block": block}))
        return out

    def _delta(self, delta: dict) -> bytes:
        return sse_event("content_block_delta", {"type": "content_block_delta", "index": self.index, "delta": delta})

    def _text_delta(self, kind: str, key: str, text: str) -> bytes:
        """self._delta({"type": kind, key: text}), byte for byte, without a dict and an encoder
        per event: the one string is written as json.dumps(ensure_ascii=False) writes it."""
        return (f'event: content_block_delta\ndata: {{"type":"content_block_delta","index":{self.index:d},'
                f'"delta":{{"type":"{kind}","{key}":{_json_string(text)}}}}}\n\n').encode()

    def _close(self) -> list[bytes]:
        if self.open_kind is None:
            return []
        out = []
        if self.open_kind == "thinking":
            out.append(self._delta({"type": "signature_delta", "signature": self.signature or _signature()}))
            self.signature = None
        out.append(_block_stop(self.index))
        self.open_kind = self.open_tool = None
        return out

    def finish(self) -> bytes:
        if self.done:
            return b""
        self.done = True
        out = self._close()
        if self.index < 0:  # an answer with no content at all still has one (empty) text block
            out += self._ensure("text", {"type": "text", "text": ""}) + self._close()
        stop_reason = "tool_use" if self.saw_tool_use else (self.stop_reason or "end_turn")
        out.append(_message_delta(stop_reason, usage_to_anthropic(self.usage)))
        out.append(_MESSAGE_STOP)
        return b"".join(out)

    def cut(self, message: str, kind: str = "api_error") -> bytes:
        """The stream broke: close what is open and tell the client, as Anthropic does."""
        if self.done:
            return b""
        self.done = True
        return b"".join(self._close()) + sse_event("error", error_body(message, kind))


def events_from_message(message: dict) -> bytes:
    """A whole Anthropic message as the SSE events of a stream (for a provider that
    answered a streaming request with one JSON completion)."""
    start = dict(message, content=[], stop_reason=None, stop_sequence=None,
                 usage={"input_tokens": 0, "output_tokens": 0})
    out = [sse_event("message_start", {"type": "message_start", "message": start})]
    for index, block in enumerate(message["content"]):
        kind = block["type"]
        empty = {"text": {"type": "text", "text": ""}, "thinking": {"type": "thinking", "thinking": ""},
                 "tool_use": {**block, "input": {}}}[kind]
        out.append(sse_event("content_block_start", {"type": "content_block_start", "index": index,
                                                     "content_block": empty}))
        delta = {"text": lambda: {"type": "text_delta", "text": block["text"]},
                 "thinking": lambda: {"type": "thinking_delta", "thinking": block["thinking"]},
                 "tool_use": lambda: {"type": "input_json_delta",
                                      "partial_json": json.dumps(block["input"], ensure_ascii=False)}}[kind]()
        out.append(sse_event("content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta}))
        if kind == "thinking":
            out.append(sse_event("content_block_delta", {"type": "content_block_delta", "index": index,
                                                         "delta": {"type": "signature_delta",
                                                                   "signature": block["signature"]}}))
        out.append(sse_event("content_block_stop", {"type": "content_block_stop", "index": index}))
    out.append(sse_event("message_delta", {"type": "message_delta",
                                           "delta": {"stop_reason": message["stop_reason"], "stop_sequence": None},
                                           "usage": message["usage"]}))
    out.append(sse_event("message_stop", {"type": "message_stop"}))
    return b"".join(out)
