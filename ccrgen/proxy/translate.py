"""Anthropic Messages <-> OpenAI chat completions, the way a provider behind CCR 2.0.0 sees
them. Pure functions and one small state machine for streams; no I/O.

Requests follow the shape CCR 2.0.0's Anthropic transformer sends (system text parts with
their cache_control, `reasoning: {effort, enabled}` for `thinking`), so a provider that
works through CCR works through ccrgen, with three corrections where CCR sends what OpenAI
rejects or drops what the client asked for: `tool_choice: any` becomes `required`,
`stop_sequences` become `stop`, and a tool result made of text blocks is sent as that text
rather than as the JSON of the blocks. Thinking blocks in the history are not sent (chat
completions have no place for them).
"""

from __future__ import annotations

import json
import secrets as _random

STOP_REASONS = {"stop": "end_turn", "length": "max_tokens", "tool_calls": "tool_use",
                "function_call": "tool_use", "content_filter": "refusal"}


def think_level(budget) -> str:
    """CCR's getThinkLevel: the reasoning effort for a thinking budget."""
    budget = budget if isinstance(budget, (int, float)) else 0
    if budget <= 0:
        return "none"
    if budget <= 1024:
        return "low"
    return "medium" if budget <= 8192 else "high"


# -- request: Anthropic -> OpenAI ---------------------------------------------------------

def request_to_openai(body: dict, model: str) -> dict:
    messages = _system_messages(body.get("system"))
    for message in body.get("messages") or []:
        if isinstance(message, dict) and message.get("role") in ("user", "assistant"):
            messages.extend(_convert_message(message))
    out = {"messages": messages, "model": model}
    for key in ("max_tokens", "temperature", "top_p", "stream"):
        if body.get(key) is not None:
            out[key] = body[key]
    if body.get("stop_sequences"):
        out["stop"] = list(body["stop_sequences"])
    tools = body.get("tools")
    if isinstance(tools, list) and tools:
        out["tools"] = [_convert_tool(t) for t in tools if isinstance(t, dict) and t.get("name")]
    choice = body.get("tool_choice")
    if isinstance(choice, dict):
        out["tool_choice"] = _convert_tool_choice(choice)
        if choice.get("disable_parallel_tool_use"):
            out["parallel_tool_calls"] = False
    thinking = body.get("thinking")
    if isinstance(thinking, dict) and thinking:
        out["reasoning"] = {"effort": think_level(thinking.get("budget_tokens")),
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
        if parts:
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
    out, late_images = [], []
    for block in blocks:
        if block.get("type") == "tool_result" and block.get("tool_use_id"):
            text, images = _tool_result_content(block.get("content"))
            if block.get("is_error") and not text.startswith("Error"):
                text = "Error: " + text
            out.append({"role": "tool", "tool_call_id": block["tool_use_id"], "content": text})
            late_images.extend(images)
    parts = late_images + [p for p in (_user_part(b) for b in blocks) if p]
    if parts:
        out.append({"role": "user", "content": parts})
    return out


def _user_part(block: dict) -> dict | None:
    kind = block.get("type")
    if kind == "text" and block.get("text"):
        part = {"type": "text", "text": block["text"]}
        if block.get("cache_control"):
            part["cache_control"] = block["cache_control"]
        return part
    if kind == "image":
        return _image_part(block)
    if kind == "document" and isinstance(block.get("source"), dict) and block["source"].get("type") == "text":
        return {"type": "text", "text": block["source"].get("data", "")}
    return None


def _image_part(block: dict) -> dict | None:
    source = block.get("source")
    if not isinstance(source, dict):
        return None
    if source.get("type") == "base64":
        url = f"data:{source.get('media_type', 'image/png')};base64,{source.get('data', '')}"
    elif source.get("type") == "url" and source.get("url"):
        url = source["url"]
    else:
        return None
    return {"type": "image_url", "image_url": {"url": url}}


def _tool_result_content(content) -> tuple[str, list[dict]]:
    """A tool result's text, and its images (sent in a user message after the tool messages)."""
    if content is None:
        return "", []
    if isinstance(content, str):
        return content, []
    if isinstance(content, list):
        texts, images = [], []
        for block in content:
            if isinstance(block, dict) and block.get("type") == "text":
                texts.append(str(block.get("text", "")))
            elif isinstance(block, dict) and block.get("type") == "image":
                image = _image_part(block)
                if image:
                    images.append(image)
            else:
                texts.append(json.dumps(block, ensure_ascii=False, separators=(",", ":")))
        return "\n".join(texts), images
    return json.dumps(content, ensure_ascii=False, separators=(",", ":")), []


def _assistant_message(blocks: list[dict]) -> dict:
    text = "\n".join(b["text"] for b in blocks if b.get("type") == "text" and b.get("text"))
    calls = [{"id": b["id"], "type": "function",
              "function": {"name": b.get("name", ""),
                           "arguments": json.dumps(b.get("input") or {}, ensure_ascii=False,
                                                   separators=(",", ":"))}}
             for b in blocks if b.get("type") == "tool_use" and b.get("id")]
    message = {"role": "assistant", "content": text if text or not calls else None}
    if calls:
        message["tool_calls"] = calls
    return message


def _convert_tool(tool: dict) -> dict:
    function = {"name": tool["name"], "description": tool.get("description") or ""}
    if isinstance(tool.get("input_schema"), dict):
        function["parameters"] = tool["input_schema"]
    return {"type": "function", "function": function}


def _convert_tool_choice(choice: dict):
    kind = choice.get("type")
    if kind == "tool" and choice.get("name"):
        return {"type": "function", "function": {"name": choice["name"]}}
    return {"any": "required", "auto": "auto", "none": "none"}.get(kind, "auto")


# -- response: OpenAI -> Anthropic --------------------------------------------------------

def new_message_id() -> str:
    return "msg_" + _random.token_hex(12)


def usage_to_anthropic(usage: dict | None) -> dict:
    usage = usage if isinstance(usage, dict) else {}
    prompt = usage.get("prompt_tokens") or 0
    details = usage.get("prompt_tokens_details") if isinstance(usage.get("prompt_tokens_details"), dict) else {}
    cached = details.get("cached_tokens") or 0
    return {"input_tokens": max(0, prompt - cached), "output_tokens": usage.get("completion_tokens") or 0,
            "cache_read_input_tokens": cached}


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
    content = []
    reasoning = message.get("reasoning_content") or message.get("reasoning")
    if isinstance(reasoning, str) and reasoning:
        content.append({"type": "thinking", "thinking": reasoning, "signature": _signature()})
    if isinstance(message.get("content"), str) and message["content"]:
        content.append({"type": "text", "text": message["content"]})
    for call in message.get("tool_calls") or []:
        function = call.get("function") or {}
        content.append({"type": "tool_use", "id": call.get("id") or _tool_id(), "name": function.get("name", ""),
                        "input": parse_arguments(function.get("arguments"))})
    if not content:
        content.append({"type": "text", "text": ""})
    finish = choice.get("finish_reason")
    stop_reason = STOP_REASONS.get(finish, "end_turn")
    if any(block["type"] == "tool_use" for block in content):
        stop_reason = "tool_use"
    return {"id": new_message_id(), "type": "message", "role": "assistant",
            "model": completion.get("model") or model, "content": content,
            "stop_reason": stop_reason, "stop_sequence": None,
            "usage": usage_to_anthropic(completion.get("usage"))}


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

def sse_event(name: str, data: dict) -> bytes:
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False, separators=(',', ':'))}\n\n".encode()


class SseParser:
    """Incremental `text/event-stream` parser: bytes in, the `data` of each event out."""

    def __init__(self) -> None:
        self._buffer = b""
        self._data: list[str] = []

    def feed(self, chunk: bytes) -> list[str]:
        self._buffer += chunk
        events = []
        while True:
            cut = self._buffer.find(b"\n")
            if cut < 0:
                return events
            line, self._buffer = self._buffer[:cut].rstrip(b"\r"), self._buffer[cut + 1:]
            if not line:
                if self._data:
                    events.append("\n".join(self._data))
                    self._data = []
            elif line.startswith(b"data:"):
                self._data.append(line[5:].decode("utf-8", "replace").lstrip(" "))

    def close(self) -> list[str]:
        rest = self.feed(b"\n\n") if self._buffer or self._data else []
        return rest


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
        self.done = False

    def start(self) -> bytes:
        message = {"id": self.message_id, "type": "message", "role": "assistant", "content": [],
                   "model": self.model, "stop_reason": None, "stop_sequence": None,
                   "usage": {"input_tokens": 0, "output_tokens": 0}}
        return sse_event("message_start", {"type": "message_start", "message": message})

    @property
    def finished_cleanly(self) -> bool:
        return self.stop_reason is not None

    def feed(self, chunk: dict) -> bytes:
        out = []
        if not isinstance(chunk, dict):
            return b""
        if isinstance(chunk.get("usage"), dict):
            self.usage = chunk["usage"]
        for choice in chunk.get("choices") or []:
            if not isinstance(choice, dict):
                continue
            delta = choice.get("delta") if isinstance(choice.get("delta"), dict) else {}
            reasoning = delta.get("reasoning_content") or delta.get("reasoning")
            if isinstance(reasoning, str) and reasoning:
                out += self._ensure("thinking", {"type": "thinking", "thinking": ""})
                out.append(self._delta({"type": "thinking_delta", "thinking": reasoning}))
            text = delta.get("content")
            if isinstance(text, str) and text:
                out += self._ensure("text", {"type": "text", "text": ""})
                out.append(self._delta({"type": "text_delta", "text": text}))
            for call in delta.get("tool_calls") or []:
                out += self._tool_call(call)
            if choice.get("finish_reason"):
                self.stop_reason = STOP_REASONS.get(choice["finish_reason"], "end_turn")
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
            block = {"type": "tool_use", "id": call.get("id") or _tool_id(), "name": function.get("name") or "",
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
        out.append(sse_event("content_block_start",
                             {"type": "content_block_start", "index": self.index, "content_block": block}))
        return out

    def _delta(self, delta: dict) -> bytes:
        return sse_event("content_block_delta", {"type": "content_block_delta", "index": self.index, "delta": delta})

    def _close(self) -> list[bytes]:
        if self.open_kind is None:
            return []
        out = []
        if self.open_kind == "thinking":
            out.append(self._delta({"type": "signature_delta", "signature": _signature()}))
        out.append(sse_event("content_block_stop", {"type": "content_block_stop", "index": self.index}))
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
        out.append(sse_event("message_delta", {"type": "message_delta",
                                               "delta": {"stop_reason": stop_reason, "stop_sequence": None},
                                               "usage": usage_to_anthropic(self.usage)}))
        out.append(sse_event("message_stop", {"type": "message_stop"}))
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
