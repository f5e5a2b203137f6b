"""CCR 2.0.0's `gemini` built-in transformer, as `ccrgen serve` applies it: the OpenAI-shaped
request becomes a Gemini generateContent request, sent to `<api_base_url>/<model>:generateContent`
(`:streamGenerateContent?alt=sse` for a stream) with `x-goog-api-key` instead of a Bearer
token, and Gemini's answer becomes an OpenAI chat completion (or chunks) again.

Learned from CCR's packages/core/src/utils/gemini.util.ts at v2.0.0 (buildRequestBody,
transformResponseOut) and its bundled dist/cli.js; checked request by request against the
real CCR in tests/test_builtins_vs_ccr.py.
"""

from __future__ import annotations

import json
import secrets as _random
import time
import urllib.parse

from ccrgen.proxy.builtins import UNDEFINED, ChainFailed, _number

WEB_SEARCH = "web_search"
NO_CONTENT = "(no content)"


def url_of(body: dict, base_url: str) -> str:
    """`new URL("./<model>:<action>", api_base_url)`."""
    action = "streamGenerateContent?alt=sse" if body.get("stream") else "generateContent"
    return urllib.parse.urljoin(base_url, f"./{_js_string(body.get('model'))}:{action}")


def headers(key: str) -> dict:
    return {"x-goog-api-key": key, "Authorization": UNDEFINED}


def request(body: dict, options: dict) -> dict:
    tools = body.get("tools") if isinstance(body.get("tools"), list) else None
    messages = body.get("messages") if isinstance(body.get("messages"), list) else []
    out = {"contents": _contents(messages), "tools": _tools(tools) or UNDEFINED,
           "generationConfig": _generation(body)}
    choice = body.get("tool_choice")
    if choice:
        out["toolConfig"] = {"functionCallingConfig": _calling(choice)}
    return out


def _tools(tools: list | None) -> list:
    if tools is None:
        return []
    functions = [t.get("function") or {} for t in tools if isinstance(t, dict)]
    declared = [{"name": f.get("name", UNDEFINED), "description": f.get("description", UNDEFINED),
                 "parametersJsonSchema": f.get("parameters", UNDEFINED)}
                for f in functions if f.get("name") != WEB_SEARCH]
    out = [{"functionDeclarations": declared}] if declared else []
    if any(f.get("name") == WEB_SEARCH for f in functions):
        out.append({"googleSearch": {}})
    return out


def _contents(messages: list) -> list:
    results = [m for m in messages if isinstance(m, dict) and m.get("role") == "tool"]
    contents = []
    for message in messages:
        if not isinstance(message, dict) or message.get("role") == "tool":
            continue
        role = "model" if message.get("role") == "assistant" else "user"
        signature = (message.get("thinking") or {}).get("signature") if isinstance(message.get("thinking"), dict) else None
        parts = _parts(message.get("content"), signature)
        calls = message.get("tool_calls")
        if isinstance(calls, list):
            parts += [_function_call(call, signature if number == 0 else None) for number, call in enumerate(calls)]
        contents.append({"role": role, "parts": parts or [{"text": ""}]})
        if role == "model" and isinstance(calls, list):
            contents.append({"role": "user", "parts": [_function_response(call, results) for call in calls]})
    return contents


def _parts(content, signature) -> list:
    if isinstance(content, str):
        part = {"text": content}
        if signature:
            part["thoughtSignature"] = signature
        return [part]
    if isinstance(content, list):
        return [_part(item) for item in content]
    if isinstance(content, dict) and content:
        return [{"text": content["text"]}] if content.get("text") else [{"text": json.dumps(
            content, ensure_ascii=False, separators=(",", ":"))}]
    return []


def _part(item):
    if not isinstance(item, dict):
        return UNDEFINED
    if item.get("type") == "text":
        return {"text": item.get("text") or ""}
    if item.get("type") == "image_url":
        url = (item.get("image_url") or {}).get("url")
        if not isinstance(url, str):
            raise ChainFailed("an image has no URL")
        if url.startswith("http"):
            return {"file_data": {"mime_type": item.get("media_type", UNDEFINED), "file_uri": url}}
        return {"inlineData": {"mime_type": item.get("media_type", UNDEFINED), "data": url.split(",")[-1] or url}}
    return UNDEFINED   # a part of another type: null in CCR's array


def _function_call(call: dict, signature) -> dict:
    function = call.get("function") or {}
    try:
        arguments = json.loads(function.get("arguments") or "{}")
    except (TypeError, ValueError):
        raise ChainFailed("a tool call's arguments are not JSON") from None
    return {"functionCall": {"id": call.get("id") or _tool_id(), "name": function.get("name", UNDEFINED),
                             "args": arguments},
            "thoughtSignature": signature if signature else UNDEFINED}


def _function_response(call: dict, results: list) -> dict:
    result = next((r for r in results if r.get("tool_call_id") == call.get("id")), None)
    return {"functionResponse": {"name": (call.get("function") or {}).get("name", UNDEFINED),
                                 "response": {"result": result.get("content", UNDEFINED) if result else UNDEFINED}}}


def _generation(body: dict) -> dict:
    reasoning = body.get("reasoning") if isinstance(body.get("reasoning"), dict) else {}
    effort = reasoning.get("effort")
    if not effort or effort == "none":
        return {}
    config = {"includeThoughts": True}
    model = _js_string(body.get("model"))
    if "gemini-3" in model:
        config["thinkingLevel"] = effort
    elif "max_tokens" in reasoning and reasoning["max_tokens"] is not UNDEFINED:
        low, high = (128, 32768) if "pro" in model else (0, 24576)
        config["thinkingBudget"] = _clamped(reasoning["max_tokens"], low, high)
    return {"thinkingConfig": config}


def _clamped(value, low: int, high: int):
    """CCR's comparisons: null counts as 0, anything not a number leaves the budget unset."""
    number = 0 if value is None else value
    if isinstance(number, bool):
        number = int(number)
    if not _number(number) or number != number:
        return UNDEFINED
    return number if low <= number <= high else (low if number < low else high)


def _calling(choice) -> dict:
    if choice == "auto":
        return {"mode": "auto"}
    if choice == "none":
        return {"mode": "none"}
    if choice == "required":
        return {"mode": "any"}
    name = ((choice.get("function") or {}).get("name")) if isinstance(choice, dict) else None
    return {"mode": "any", "allowedFunctionNames": [name]} if name else {}


def _js_string(value) -> str:
    return "undefined" if value is None or value is UNDEFINED else str(value)


def _tool_id() -> str:
    return "tool_" + _random.token_hex(6)


# -- the answer ------------------------------------------------------------------------------

def _usage(answer: dict) -> dict:
    meta = answer.get("usageMetadata") if isinstance(answer.get("usageMetadata"), dict) else {}
    return {"completion_tokens": meta.get("candidatesTokenCount") or 0, "prompt_tokens": meta.get("promptTokenCount") or 0,
            "prompt_tokens_details": {"cached_tokens": meta.get("cachedContentTokenCount") or 0},
            "total_tokens": meta.get("totalTokenCount") or 0,
            "output_tokens_details": {"reasoning_tokens": meta.get("thoughtsTokenCount") or 0}}


def _candidate(answer) -> dict | None:
    candidates = answer.get("candidates") if isinstance(answer, dict) else None
    return candidates[0] if isinstance(candidates, list) and candidates and isinstance(candidates[0], dict) else None


def _parts_of(candidate: dict) -> list:
    content = candidate.get("content") if isinstance(candidate.get("content"), dict) else {}
    parts = content.get("parts") if isinstance(content.get("parts"), list) else []
    return [p for p in parts if isinstance(p, dict)]


def _finish(candidate: dict):
    reason = candidate.get("finishReason")
    return reason.lower() if isinstance(reason, str) and reason else None


def _calls(parts: list, prefix: str) -> list:
    return [{"id": (p["functionCall"].get("id") or f"{prefix}{_random.token_hex(6)}"), "type": "function",
             "function": {"name": p["functionCall"].get("name"),
                          "arguments": json.dumps(p["functionCall"].get("args") or {}, ensure_ascii=False,
                                                  separators=(",", ":"))}}
            for p in parts if isinstance(p.get("functionCall"), dict)]


def completion(answer: dict) -> dict:
    """A whole Gemini answer as CCR makes it a chat completion. Its thinking (only when Gemini
    signed it) goes as reasoning_content and thinking_signature, which translate.py shows as
    a thinking block with that signature (CCR puts that block last, translate.py first)."""
    candidate = _candidate(answer)
    if candidate is None:   # CCR fails on it too (a TypeError, answered 500)
        from ccrgen.proxy.translate import UpstreamFormatError

        raise UpstreamFormatError("the provider's answer is not a Gemini generateContent answer")
    parts = _parts_of(candidate)
    thought = "".join(p["text"] for p in parts if p.get("text") and p.get("thought") is True)
    rest = [p for p in parts if not (p.get("text") and p.get("thought") is True)]
    signature = next((p["thoughtSignature"] for p in parts if p.get("thoughtSignature")), None)
    message = {"role": "assistant", "content": "\n".join(str(p["text"]) for p in rest if p.get("text"))}
    calls = _calls(rest, "tool_")
    if calls:
        message["tool_calls"] = calls
    if signature:
        message["reasoning_content"] = thought or NO_CONTENT
        message["thinking_signature"] = signature
    return {"id": answer.get("responseId"), "object": "chat.completion", "created": int(time.time()),
            "model": answer.get("modelVersion"), "usage": _usage(answer),
            "choices": [{"index": 0, "finish_reason": _finish(candidate), "message": message}]}


class GeminiStream:
    """Gemini's stream chunks as CCR makes them chat completion chunks: thoughts as
    reasoning_content (with Gemini's thought signature, or CCR's own when text follows
    thoughts unsigned), "(no content)" where CCR puts it, a Gemini 3 answer's text held
    back until its signature comes. One chunk out per chunk in (CCR sends several, in the
    same order: thinking, text, tool calls). A finish_reason is kept on every chunk that
    has one (CCR keeps it only on chunks with text or tool calls)."""

    def __init__(self) -> None:
        self.thought = False       # CCR's `a`: a thought was sent
        self.signed = False        # `o`: the thinking was signed
        self.answered = False      # `i`: text was sent
        self.held = ""             # `u`: Gemini 3 text waiting for the signature
        self.call_index = -1

    def __call__(self, chunk: dict) -> dict | None:
        candidate = _candidate(chunk)
        if candidate is None:
            return None   # CCR skips a chunk without candidates
        parts = _parts_of(candidate)
        delta: dict = {}
        thoughts = [str(p["text"]) for p in parts if p.get("text") and p.get("thought") is True]
        if thoughts:
            self.thought = True
            delta["reasoning_content"] = "".join(thoughts)
        signature = next((p["thoughtSignature"] for p in parts if p.get("thoughtSignature")), None)
        if signature and not self.signed:
            if not self.thought:
                _append(delta, "reasoning_content", NO_CONTENT)
            delta["thinking_signature"], self.signed = signature, True
            if self.held:
                _append(delta, "content", self.held)
                self.held, self.answered = "", True
        text = "\n".join(str(p["text"]) for p in parts if p.get("text") and p.get("thought") is not True)
        if not text and self.signed and not self.answered:
            _append(delta, "content", NO_CONTENT)
            self.answered = True
        if self.thought and text and not self.signed:
            if "3" in _js_string(chunk.get("modelVersion")):
                self.held += text
                return self._chunk(chunk, delta, _finish(candidate))
            delta["thinking_signature"], self.signed = f"ccr_{int(time.time() * 1000)}", True
        if text:
            _append(delta, "content", text)
            self.answered = True
        calls = _calls(parts, "ccr_tool_")
        for call in calls:
            self.call_index += 1
            delta.setdefault("tool_calls", []).append(dict(call, index=self.call_index))
        return self._chunk(chunk, delta, _finish(candidate), usage=bool(text or calls))

    @staticmethod
    def _chunk(chunk: dict, delta: dict, finish, usage: bool = False) -> dict:
        out = {"id": chunk.get("responseId") or "", "object": "chat.completion.chunk",
               "model": chunk.get("modelVersion") or "",
               "choices": [{"index": 0, "delta": dict(delta, role="assistant"), "finish_reason": finish}]}
        if usage or finish:
            out["usage"] = _usage(chunk)
        return out


def _append(delta: dict, key: str, text: str) -> None:
    delta[key] = delta.get(key, "") + text
