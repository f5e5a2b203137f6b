"""CCR 2.0.0's `openai-responses` built-in transformer, as `ccrgen serve` applies it: the chat
completion request becomes an OpenAI Responses API request (`input` items instead of
`messages`, `instructions`, flat tools, parallel_tool_calls false), sent to the provider's own
api_base_url, and the Responses answer (a `response` object, or its stream of events) becomes a
chat completion (or chunks) again.

Learned from CCR's packages/core/src/transformer/openai.responses.transformer.ts at v2.0.0 and
its bundled dist/cli.js; checked against the real CCR in tests/test_builtins_vs_ccr.py.
Left out, as translate.py has no place for them: url_citation annotations (CCR's client gets
web search result blocks) and image outputs.
"""

from __future__ import annotations

from ccrgen.proxy.builtins import UNDEFINED, ChainFailed

WEB_SEARCH = "web_search"
EDIT_REQUIRED = ["file_path", "old_string", "new_string", "replace_all"]


def request(body: dict, options: dict) -> dict:
    body.pop("temperature", None)
    body.pop("max_tokens", None)
    if body.get("reasoning"):
        asked = body["reasoning"]
        body["reasoning"] = {"effort": asked.get("effort", UNDEFINED) if isinstance(asked, dict) else UNDEFINED,
                             "summary": "detailed"}
    messages = body.get("messages")
    if not isinstance(messages, list):
        raise ChainFailed("the request has no messages")
    items = []
    systems = [m for m in messages if isinstance(m, dict) and m.get("role") == "system"]
    if systems:
        content = systems[0].get("content", UNDEFINED)
        if isinstance(content, list):
            items += [{"role": "system", "content": _system_text(part)} for part in content]
        else:
            body["instructions"] = content
    for message in messages:
        if isinstance(message, dict) and message.get("role") != "system":
            items += _items(message)
    body["input"] = items
    del body["messages"]
    if isinstance(body.get("tools"), list):
        body["tools"] = _tools(body["tools"])
    body["parallel_tool_calls"] = False
    return body


def _system_text(part) -> str:
    if isinstance(part, str):
        return part
    return part.get("text", "") if isinstance(part, dict) and "text" in part else ""


def _items(message: dict) -> list:
    role = message.get("role")
    if isinstance(message.get("content"), list):
        parts = [p for p in (_part(item, role) for item in message["content"]) if p is not None]
        if parts:
            message["content"] = parts
        else:
            del message["content"]
    if role == "tool":
        item = {k: v for k, v in message.items() if k not in ("cache_control", "role", "tool_call_id", "content")}
        item.update(type="function_call_output", call_id=message.get("tool_call_id", UNDEFINED),
                    output=message.get("content", UNDEFINED))
        return [item]
    if role == "assistant" and isinstance(message.get("tool_calls"), list):   # its text is not sent
        return [{"type": "function_call", "arguments": (call.get("function") or {}).get("arguments", UNDEFINED),
                 "name": (call.get("function") or {}).get("name", UNDEFINED), "call_id": call.get("id", UNDEFINED)}
                for call in message["tool_calls"] if isinstance(call, dict)]
    return [message]


def _part(item, role):
    if not isinstance(item, dict):
        return None
    if item.get("type") == "text":
        return {"type": "output_text" if role == "assistant" else "input_text", "text": item.get("text", UNDEFINED)}
    if item.get("type") == "image_url":
        part = {"type": "output_image" if role == "assistant" else "input_image"}
        url = (item.get("image_url") or {}).get("url") if isinstance(item.get("image_url"), dict) else None
        if isinstance(url, str):
            part["image_url"] = url
        return part
    return None


def _tools(tools: list) -> list:
    functions = [t for t in tools if isinstance(t, dict)]
    out = []
    for tool in functions:
        function = tool.get("function") or {}
        name = function.get("name")
        if name == WEB_SEARCH:
            continue
        parameters = function.get("parameters", UNDEFINED)
        if name == "WebSearch":
            properties = parameters.get("properties") if isinstance(parameters, dict) else None
            if not isinstance(properties, dict):
                raise ChainFailed("the WebSearch tool's schema has no properties")
            properties.pop("allowed_domains", None)
        base = {"type": tool.get("type", UNDEFINED), "name": name, "description": function.get("description", UNDEFINED)}
        if name == "Edit":
            out.append(dict(base, parameters={**(parameters if isinstance(parameters, dict) else {}),
                                              "required": list(EDIT_REQUIRED)}, strict=True))
        else:
            out.append(dict(base, parameters=parameters))
    if any((t.get("function") or {}).get("name") == WEB_SEARCH for t in functions):
        out.append({"type": WEB_SEARCH})
    return out


# -- the answer ------------------------------------------------------------------------------

def completion(answer: dict) -> dict:
    """A whole `response` object as CCR makes it a chat completion: the first message's text,
    the first function call (only the first), finish_reason tool_calls or stop."""
    if not isinstance(answer, dict) or answer.get("object") != "response" or not answer.get("output"):
        return answer
    output = [o for o in answer["output"] if isinstance(o, dict)] if isinstance(answer["output"], list) else []
    message = next((o for o in output if o.get("type") == "message"), None)
    call = next((o for o in output if o.get("type") == "function_call"), None)
    text = None
    if message is not None and isinstance(message.get("content"), list):
        text = "".join(str(p.get("text") or "") for p in message["content"]
                       if isinstance(p, dict) and p.get("type") == "output_text")
    out_message = {"role": "assistant", "content": text or None}
    if call is not None:
        out_message["tool_calls"] = [{"id": call.get("call_id") or call.get("id"), "type": "function",
                                      "function": {"name": call.get("name"), "arguments": call.get("arguments")}}]
    usage = answer.get("usage") if isinstance(answer.get("usage"), dict) else None
    return {"id": answer.get("id"), "object": "chat.completion", "model": answer.get("model"),
            "choices": [{"index": 0, "message": out_message, "finish_reason": "tool_calls" if call else "stop"}],
            "usage": {"prompt_tokens": usage.get("input_tokens") or 0, "completion_tokens": usage.get("output_tokens") or 0,
                      "total_tokens": usage.get("total_tokens") or 0} if usage else None}


class ResponsesStream:
    """Responses API stream events as CCR makes them chat completion chunks; events it does
    not convert are dropped. Every function call is tool call index 0, as in CCR."""

    def __call__(self, event: dict) -> dict | None:
        kind = event.get("type")
        item = event.get("item") if isinstance(event.get("item"), dict) else {}
        if kind == "response.output_text.delta":
            return _chunk({"content": event.get("delta") or ""})
        if kind == "response.output_item.added" and item.get("type") == "function_call":
            return _chunk({"role": "assistant", "tool_calls": [{
                "index": 0, "id": item.get("call_id") or item.get("id"), "type": "function",
                "function": {"name": item.get("name") or "", "arguments": ""}}]})
        if kind == "response.output_item.added" and item.get("type") == "message":
            texts = [str(p.get("text") or "") for p in item.get("content") or []
                     if isinstance(p, dict) and p.get("type") == "output_text"]
            text = texts[0] if len(texts) == 1 else None
            return _chunk({"role": "assistant", "content": text}) if text else None
        if kind == "response.function_call_arguments.delta":
            return _chunk({"tool_calls": [{"index": 0, "function": {"arguments": event.get("delta") or ""}}]})
        if kind == "response.completed":
            response = event.get("response") if isinstance(event.get("response"), dict) else {}
            output = response.get("output") if isinstance(response.get("output"), list) else []
            called = any(isinstance(o, dict) and o.get("type") == "function_call" for o in output)
            return _chunk({}, "tool_calls" if called else "stop")
        if kind == "response.reasoning_summary_text.delta":
            return _chunk({"reasoning_content": event.get("delta") or ""})
        if kind == "response.reasoning_summary_part.done" and event.get("part"):
            return _chunk({"thinking_signature": event.get("item_id")})
        return None


def _chunk(delta: dict, finish=None) -> dict:
    return {"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
