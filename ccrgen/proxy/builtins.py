"""CCR 2.0.0's built-in transformers, as `ccrgen serve` applies them: the request each one
makes for the provider (learned from CCR's packages/core/src/transformer/*.ts at v2.0.0 and
its bundled dist/cli.js), and the response changes that alter what the client sees.

How CCR runs a provider's chain (packages/core/src/api/routes.ts), reproduced by `Chain`:
- The Anthropic request is first converted to OpenAI's shape (translate.py). CCR's result
  always has the keys max_tokens, temperature, tools and tool_choice, `undefined` when the
  client sent none: a transformer that asks "is the key there?" (customparams) sees them,
  and JSON.stringify drops them at the end. `UNDEFINED` stands for that value here.
- Provider-level `use` runs first, in order; a transformer that returns `{body, config}`
  gives the body and its config replaces the config so far (so the last header set wins
  as a whole: upstream.request_headers). Then the model's `use` runs, and there CCR does
  not unwrap: a custom transformer returning `{body, config}` at model level makes that
  wrapper the request body (upstream.plan lists it as unverified).
- Response side: provider-level transformers' `transformResponseOut`, then model-level, each
  list in reverse order (`ResponseChain`).

Implemented (request side exactly; response side where it changes what the client sees):
  deepseek      max_tokens capped at 8192 (its reasoning_content stream becomes thinking:
                translate.py shows reasoning_content as thinking for every provider)
  tooluse       a system reminder and, with tools, tool_choice "required" plus the ExitTool
                tool; an ExitTool call in the answer becomes the answer's text
  openrouter    cache_control removed (non-Claude models), image parts rewritten as CCR
                does, the transformer's options merged into the body; numeric tool-call ids
                in streams replaced (its `reasoning` deltas: translate.py shows them as thinking)
  maxtoken, sampling, maxcompletiontokens, streamoptions, cleancache, customparams, OpenAI (no-op)
  reasoning     `thinking` and enable_thinking from the request's `reasoning` (or off, with
                `enable: false`); its stream's reasoning_content becomes thinking, as
                translate.py shows it anyway
  forcereasoning  earlier thinking written back between <reasoning_content> tags, the
                instruction to think in tags added; in a stream the tagged text becomes
                thinking and text outside the tags before them is dropped, as CCR does
  enhancetool   request untouched; streamed tool-call arguments held back and sent whole
                (a call still held when the stream ends without finish_reason "tool_calls"
                is lost, as in CCR); JSON5 arguments rewritten as JSON. Its last resort
                (npm jsonrepair) is not reproduced: what JSON5 cannot read goes on as sent
  groq          cache_control and tools' `$schema` removed; streamed tool-call ids replaced
  cerebras      a JSON copy without `reasoning` (or disable_reasoning false), and CCR's
                `{body, config}` answer: its headers replace the set so far (CONFIG_HEADERS).
                At model level CCR sends that wrapper as the body (a provider refuses it)
  vercel        openrouter's request, with every non-URL image made a data URL
  gemini        proxy/gemini.py: Gemini's request format, sent to <api_base_url>/<model>:
                generateContent (or streamGenerateContent?alt=sse) with x-goog-api-key, and
                Gemini's answer turned back into a chat completion, thought signatures kept
  openai-responses  proxy/openai_responses.py: the Responses API's request (input items,
                instructions, flat tools), and its answer or event stream as chat completions
Response-side behaviour left out, on purpose: tooluse, reasoning and forcereasoning in CCR
also drop every stream chunk whose delta is empty (the finish_reason and usage chunks of
many providers), so CCR's client gets stop_reason end_turn and zero usage; ccrgen keeps those
chunks. openrouter and vercel rewrite the finish_reason of a usage chunk; ccrgen keeps the
provider's. A whole (non-stream) answer's reasoning (reasoning, forcereasoning) is put where
CCR 2.0.0's Anthropic converter never reads it, so CCR's client gets no thinking block (and
forcereasoning's tags stay in the text): ccrgen shows reasoning_content as thinking, tags as text.
CCR looks the model's response-side chain up by the `model` of the body it sent: after
gemini (no `model`) or a model-level `{body, config}` answer it runs none (`Chain.responses`).
Every other built-in (vertex-gemini, vertex-claude: Google Cloud credentials; Anthropic) is
not implemented: `upstream.plan` lists it as unverified.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from typing import Callable

from ccrgen.proxy.translate import check_chunk


class _Undefined:
    """JavaScript's `undefined` as a value in a request body: falsy, dropped by `to_json`."""

    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "UNDEFINED"

    def __deepcopy__(self, memo):
        return self


UNDEFINED = _Undefined()

# Keys CCR's Anthropic transformer always puts in the converted request (transformRequestOut).
CCR_REQUEST_KEYS = ("messages", "model", "max_tokens", "temperature", "stream", "tools", "tool_choice")


class ChainFailed(Exception):
    """A request on which CCR's transformer throws: CCR answers 500 and sends nothing."""


def with_ccr_keys(body: dict) -> dict:
    """The converted request as CCR holds it: the keys it always has, `UNDEFINED` when unset."""
    return {**{key: UNDEFINED for key in CCR_REQUEST_KEYS}, **body}


def to_json(value):
    """What JSON.stringify keeps: `UNDEFINED` dropped from objects, null in arrays."""
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items() if v is not UNDEFINED}
    if isinstance(value, list):
        return [None if v is UNDEFINED else to_json(v) for v in value]
    return value


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _cap(body: dict, limit) -> None:
    if body.get("max_tokens") and _number(body["max_tokens"]) and _number(limit) and body["max_tokens"] > limit:
        body["max_tokens"] = limit


# -- request side, one function per transformer: (body, options) -> body --------------------

def maxtoken(body: dict, options: dict) -> dict:
    _cap(body, options.get("max_tokens"))
    return body


def sampling(body: dict, options: dict) -> dict:
    _cap(body, options.get("max_tokens"))
    for key in ("temperature", "top_p", "top_k", "repetition_penalty"):
        if key in options:  # typeof option !== "undefined"
            body[key] = options[key]
    return body


def maxcompletiontokens(body: dict, options: dict) -> dict:
    if body.get("max_tokens"):
        body["max_completion_tokens"] = body.pop("max_tokens")
    return body


def streamoptions(body: dict, options: dict) -> dict:
    if body.get("stream"):
        body["stream_options"] = {"include_usage": True}
    return body


def _drop_cache_control(messages) -> None:
    for message in messages if isinstance(messages, list) else []:
        if not isinstance(message, dict):
            continue
        if isinstance(message.get("content"), list):
            for item in message["content"]:
                if isinstance(item, dict) and item.get("cache_control"):
                    del item["cache_control"]
        elif message.get("cache_control"):
            del message["cache_control"]


def cleancache(body: dict, options: dict) -> dict:
    _drop_cache_control(body.get("messages"))
    return body


def _plain_object(value) -> bool:
    return isinstance(value, dict)


def _deep_merge(into: dict, extra: dict) -> dict:
    merged = dict(into)
    for key, value in extra.items():
        if key in merged and _plain_object(merged[key]) and _plain_object(value):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def customparams(body: dict, options: dict) -> dict:
    """An option fills a key the request lacks, or deep-merges into an object the request
    has; a key the request holds otherwise (even as `undefined`) is left alone."""
    merged = dict(body)
    for key, value in options.items():
        if key not in merged:
            merged[key] = copy.deepcopy(value)
        elif _plain_object(merged[key]) and _plain_object(value):
            merged[key] = _deep_merge(merged[key], value)
    return merged


def deepseek(body: dict, options: dict) -> dict:
    _cap(body, 8192)
    return body


TOOL_MODE_REMINDER = (
    "<system-reminder>Tool mode is active. The user expects you to proactively execute the most suitable tool "
    "to help complete the task. \nBefore invoking a tool, you must carefully evaluate whether it matches the "
    "current task. If no available tool is appropriate for the task, you MUST call the `ExitTool` to exit tool "
    "mode \u2014 this is the only valid way to terminate tool mode.\nAlways prioritize completing the user's task "
    "effectively and efficiently by using tools whenever appropriate.</system-reminder>")
EXIT_TOOL = "ExitTool"
EXIT_TOOL_DESCRIPTION = (
    "Use this tool when you are in tool mode and have completed the task. This is the only valid way to exit "
    "tool mode.\nIMPORTANT: Before using this tool, ensure that none of the available tools are applicable to the "
    "current task. You must evaluate all available options \u2014 only if no suitable tool can help you complete "
    "the task should you use ExitTool to terminate tool mode.\nExamples:\n1. Task: \"Use a tool to summarize this "
    "document\" \u2014 Do not use ExitTool if a summarization tool is available.\n2. Task: \"What\u2019s the weather "
    "today?\" \u2014 If no tool is available to answer, use ExitTool after reasoning that none can fulfill the task.")
EXIT_TOOL_RESPONSE = ("Your response will be forwarded to the user exactly as returned \u2014 the tool will not "
                      "modify or post-process it in any way.")


def tooluse(body: dict, options: dict) -> dict:
    body["messages"].append({"role": "system", "content": TOOL_MODE_REMINDER})
    if body.get("tools"):
        body["tool_choice"] = "required"
        body["tools"].append({"type": "function", "function": {
            "name": EXIT_TOOL, "description": EXIT_TOOL_DESCRIPTION,
            "parameters": {"type": "object",
                           "properties": {"response": {"type": "string", "description": EXIT_TOOL_RESPONSE}},
                           "required": ["response"]}}})
    return body


def openrouter(body: dict, options: dict) -> dict:
    return _openrouter_like(body, options, prefix_every_image=False)


def vercel(body: dict, options: dict) -> dict:
    """openrouter's request, except that a non-URL image becomes a data URL for every model."""
    return _openrouter_like(body, options, prefix_every_image=True)


def _openrouter_like(body: dict, options: dict, prefix_every_image: bool) -> dict:
    claude = "claude" in str(body.get("model") or "")
    for message in body.get("messages") or []:
        content = message.get("content") if isinstance(message, dict) else None
        if not isinstance(content, list):
            if not claude and isinstance(message, dict) and message.get("cache_control"):
                del message["cache_control"]
            continue
        for item in content:
            if not isinstance(item, dict):
                continue
            if not claude and item.get("cache_control"):
                del item["cache_control"]
            if item.get("type") == "image_url":
                url = str((item.get("image_url") or {}).get("url", ""))
                if (claude or prefix_every_image) and not url.startswith("http"):  # even a data: URL again
                    item["image_url"]["url"] = f"data:{_js_text(item.get('media_type'))};base64,{url}"
                item.pop("media_type", None)
    body.update(copy.deepcopy(options))
    return body


def _js_text(value) -> str:
    return "undefined" if value is None or value is UNDEFINED else str(value)


def openai(body: dict, options: dict) -> dict:
    """CCR's `OpenAI` transformer has no transformRequestIn: a name in `use` that does nothing."""
    return body


def reasoning(body: dict, options: dict) -> dict:
    """`enable` (default true): a request with `reasoning` also gets `thinking` (its budget
    from reasoning.max_tokens, unset unless something put it there) and enable_thinking;
    `enable: false` turns thinking off for every request."""
    if not _js_enabled(options):
        body["thinking"] = {"type": "disabled", "budget_tokens": -1}
        body["enable_thinking"] = False
    elif body.get("reasoning"):
        asked = body["reasoning"]
        budget = asked.get("max_tokens", UNDEFINED) if isinstance(asked, dict) else UNDEFINED
        body["thinking"] = {"type": "enabled", "budget_tokens": budget}
        body["enable_thinking"] = True
    return body


def _js_enabled(options: dict) -> bool:
    """`this.options?.enable ?? true`, then used as a condition."""
    enable = options.get("enable")
    return True if enable is None else _js_truthy(enable)


def _js_truthy(value) -> bool:
    if value is UNDEFINED or value is None or value is False:
        return False
    if _number(value):
        return value != 0 and value == value   # NaN is falsy
    if isinstance(value, str):
        return value != ""
    return True   # objects and arrays, even empty ones


REASONING_PROMPT = (
    "Always think before answering. Even if the problem seems simple, always write down your reasoning process "
    "explicitly.\n\nOutput format:\n<reasoning_content>\nYour detailed thinking process goes here\n"
    "</reasoning_content>\nYour final answer must follow after the closing tag above.")
REASONING_OPEN, REASONING_CLOSE = "<reasoning_content>", "</reasoning_content>"
RECENT_THOUGHTS = 10   # CCR writes back the thinking of this many recent assistant turns (and of empty ones)


def forcereasoning(body: dict, options: dict) -> dict:
    """Earlier thinking goes back into the assistant text between reasoning tags, and the
    last user turn (or a new one after a tool result) gets the instruction to think in tags."""
    messages = body["messages"]
    if not messages:
        raise ChainFailed("the request has no messages")
    written_back = 0
    for message in reversed([m for m in messages if isinstance(m, dict) and m.get("role") == "assistant"]):
        thought = message.get("thinking")
        if not thought:
            continue
        text = thought.get("content") if isinstance(thought, dict) else None
        if _js_truthy(text) and (not _js_truthy(message.get("content")) or written_back < RECENT_THOUGHTS):
            written_back += 1
            message["content"] = (f"{REASONING_OPEN}{_js_text(text)}{REASONING_CLOSE}\n"
                                  f"{_js_text(message.get('content'))}")
        del message["thinking"]
    last = messages[-1]
    if last.get("role") == "user":
        if isinstance(last.get("content"), list):
            last["content"].append({"type": "text", "text": REASONING_PROMPT})
        else:
            last["content"] = [{"type": "text", "text": REASONING_PROMPT},
                               {"type": "text", "text": last.get("content") or ""}]
    if last.get("role") == "tool":
        messages.append({"role": "user", "content": [{"type": "text", "text": REASONING_PROMPT}]})
    return body


def enhancetool(body: dict, options: dict) -> dict:
    """Request untouched: enhancetool works on the answer's tool calls only."""
    return body


def groq(body: dict, options: dict) -> dict:
    """cache_control removed everywhere and `$schema` from every tool's parameters."""
    _drop_cache_control(body.get("messages"))
    for tool in body.get("tools") if isinstance(body.get("tools"), list) else []:
        parameters = (tool.get("function") or {}).get("parameters") if isinstance(tool, dict) else None
        if parameters is None:
            raise ChainFailed(f"tool {(tool.get('function') or {}).get('name')!r} has no input_schema")
        if isinstance(parameters, dict):
            parameters.pop("$schema", None)
    return body


def cerebras(body: dict, options: dict) -> dict:
    """A JSON copy of the request (unset keys gone), without `reasoning`, or with
    disable_reasoning false when it had none. CCR's answer is `{body, config}`: its headers
    are in `CONFIG_HEADERS`."""
    copied = to_json(body)
    if copied.get("reasoning"):
        del copied["reasoning"]
    else:
        copied["disable_reasoning"] = False
    return copied


def _bearer_headers(key: str) -> dict:
    return {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}


REQUEST_SIDE: dict[str, Callable[[dict, dict], object]] = {
    "maxtoken": maxtoken, "sampling": sampling, "maxcompletiontokens": maxcompletiontokens,
    "streamoptions": streamoptions, "cleancache": cleancache, "customparams": customparams,
    "deepseek": deepseek, "tooluse": tooluse, "openrouter": openrouter, "OpenAI": openai,
    "reasoning": reasoning, "forcereasoning": forcereasoning, "enhancetool": enhancetool, "groq": groq,
    "cerebras": cerebras, "vercel": vercel,
    "gemini": lambda body, options: _gemini().request(body, options),
    "openai-responses": lambda body, options: _responses_api().request(body, options),
}

# Built-ins whose transformRequestIn answers `{body, config}`: provider key -> the config's
# headers. At provider level CCR takes the body and these headers replace the ones so far; at
# model level CCR sends the wrapper itself as the body, key included, and so does `Chain`.
CONFIG_HEADERS: dict[str, Callable[[str], dict]] = {
    "cerebras": _bearer_headers, "gemini": lambda key: _gemini().headers(key)}
# ... and those whose config also has a `url`: (request as the step gets it, api_base_url) -> URL
CONFIG_URL: dict[str, Callable[[dict, str], str]] = {"gemini": lambda body, base: _gemini().url_of(body, base)}


def _gemini():
    from ccrgen.proxy import gemini

    return gemini


def _responses_api():
    from ccrgen.proxy import openai_responses

    return openai_responses

def implemented(name: str) -> bool:
    return name in REQUEST_SIDE


# -- response side ---------------------------------------------------------------------------

def _exit_tool_text(arguments) -> str:
    try:
        parsed = json.loads(arguments or "{}")
    except (TypeError, ValueError):
        return ""
    return (parsed.get("response") or "") if isinstance(parsed, dict) else ""


def tooluse_completion(completion: dict) -> dict:
    choices = completion.get("choices") if isinstance(completion, dict) else None
    message = choices[0].get("message") if choices and isinstance(choices[0], dict) else None
    calls = message.get("tool_calls") if isinstance(message, dict) else None
    if calls and isinstance(calls[0], dict) and (calls[0].get("function") or {}).get("name") == EXIT_TOOL:
        message["content"] = _exit_tool_text(calls[0]["function"].get("arguments"))
        del message["tool_calls"]
    return completion


class ToolUseStream:
    """ExitTool's streamed call becomes one text delta with its `response` (CCR's tooluse)."""

    def __init__(self) -> None:
        self.exit_index = -1
        self.arguments = ""

    def __call__(self, chunk: dict) -> dict | None:
        choices = chunk.get("choices") if isinstance(chunk.get("choices"), list) else []
        delta = choices[0].get("delta") if choices and isinstance(choices[0], dict) else None
        calls = delta.get("tool_calls") if isinstance(delta, dict) else None
        if not calls or not isinstance(calls[0], dict):
            return chunk
        call, function = calls[0], calls[0].get("function") or {}
        if function.get("name") == EXIT_TOOL:
            self.exit_index = call.get("index")
            return None
        if self.exit_index != -1 and call.get("index") == self.exit_index and function.get("arguments"):
            self.arguments += function["arguments"]
            try:
                parsed = json.loads(self.arguments)
            except ValueError:
                return None
            text = (parsed.get("response") or "") if isinstance(parsed, dict) else ""
            return dict(chunk, choices=[{"delta": {"role": "assistant", "content": text}}])
        return chunk


class OpenrouterStream:
    """Numeric tool-call ids (some OpenRouter vendors send "0") become unique `call_` ids."""

    def __call__(self, chunk: dict) -> dict | None:
        import uuid

        choices = chunk.get("choices") if isinstance(chunk.get("choices"), list) else []
        delta = choices[0].get("delta") if choices and isinstance(choices[0], dict) else None
        calls = delta.get("tool_calls") if isinstance(delta, dict) else None
        if calls and isinstance(calls[0], dict) and _js_int(calls[0].get("id")):
            for call in calls:
                call["id"] = f"call_{uuid.uuid4()}"
        return chunk


def _js_int(value) -> bool:
    """parseInt(value, 10) is a number: the text starts with digits (after an optional sign)."""
    text = str(value).lstrip()
    text = text[1:] if text[:1] in "+-" else text
    return bool(text) and text[0].isdigit()


class GroqStream:
    """Every streamed tool call gets a new unique `call_` id (CCR's groq)."""

    def __call__(self, chunk: dict) -> dict | None:
        import uuid

        for call in _delta_tool_calls(chunk):
            if isinstance(call, dict):
                call["id"] = f"call_{uuid.uuid4()}"
        return chunk


def _first_delta(chunk: dict):
    choices = chunk.get("choices") if isinstance(chunk.get("choices"), list) else []
    return choices[0].get("delta") if choices and isinstance(choices[0], dict) else None


def _delta_tool_calls(chunk: dict) -> list:
    delta = _first_delta(chunk)
    calls = delta.get("tool_calls") if isinstance(delta, dict) else None
    return calls if isinstance(calls, list) else []


def _with_delta(chunk: dict, delta: dict) -> dict:
    return dict(chunk, choices=[dict(chunk["choices"][0], delta=delta)])


def repaired_arguments(arguments) -> str:
    """CCR's enhancetool: valid JSON arguments as they are, "{}" for none, JSON5 (single
    quotes, trailing commas, bare keys...) rewritten as JSON. Its last resort, the npm
    jsonrepair package, is not reproduced: what JSON5 cannot read goes on as sent."""
    if not isinstance(arguments, str) or not arguments.strip() or arguments == "{}":
        return "{}"
    try:
        json.loads(arguments, parse_constant=_refuse)
        return arguments
    except (ValueError, RecursionError):
        pass
    from ccrgen.ccr import json5

    try:
        value = json5.parse(arguments)[0]
    except (json5.Json5Error, RecursionError):
        return arguments
    return json.dumps(_no_nan(value), ensure_ascii=False, separators=(",", ":"))


def _refuse(constant: str):
    raise ValueError(f"{constant} is not JSON")


def _no_nan(value):
    """JSON.stringify writes NaN and the infinities as null."""
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return None
    if isinstance(value, dict):
        return {k: _no_nan(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_no_nan(v) for v in value]
    return value


def enhancetool_completion(completion: dict) -> dict:
    choices = completion.get("choices") if isinstance(completion.get("choices"), list) else []
    message = choices[0].get("message") if choices and isinstance(choices[0], dict) else None
    for call in (message.get("tool_calls") or []) if isinstance(message, dict) else []:
        function = call.get("function") if isinstance(call, dict) else None
        if isinstance(function, dict) and function.get("arguments"):
            function["arguments"] = repaired_arguments(function["arguments"])
    return completion


class EnhanceToolStream:
    """CCR's enhancetool holds a streamed tool call's arguments back and sends them whole:
    in the chunk that starts the next call (whose own first chunk is then not sent: its name
    and id come with its arguments) or in the finish_reason "tool_calls" chunk. A call still
    held when the stream ends otherwise is never sent, arguments included."""

    def __init__(self) -> None:
        self.held: dict | None = None

    def __call__(self, chunk: dict) -> dict | None:
        calls = _delta_tool_calls(chunk)
        if calls and isinstance(calls[0], dict):
            call, function = calls[0], calls[0].get("function") or {}
            index = call.get("index", UNDEFINED)   # CCR tells a missing index from null
            if self.held is None or self.held["index"] is UNDEFINED:
                self.held = self._hold(call, function)
                if function.get("arguments"):
                    function["arguments"] = ""
                return chunk
            if self.held["index"] == index:
                if function.get("arguments"):
                    self.held["arguments"] += str(function["arguments"])
                return None
            whole = self._release(chunk)
            self.held = self._hold(call, function)
            return whole
        choices = chunk.get("choices") if isinstance(chunk.get("choices"), list) else []
        finish = choices[0].get("finish_reason") if choices and isinstance(choices[0], dict) else None
        if finish == "tool_calls" and self.held is not None and self.held["index"] is not UNDEFINED:
            whole = self._release(chunk)
            self.held = None
            return whole
        return chunk

    @staticmethod
    def _hold(call: dict, function: dict) -> dict:
        return {"index": call.get("index", UNDEFINED), "name": function.get("name") or "",
                "id": call.get("id") or "", "arguments": function.get("arguments") or ""}

    def _release(self, chunk: dict) -> dict:
        held = self.held
        delta = {"role": "assistant", "tool_calls": [{
            "function": {"name": held["name"], "arguments": repaired_arguments(held["arguments"])},
            "id": held["id"], "index": held["index"], "type": "function"}]}
        return _with_delta(chunk, delta)


class ForceReasoningStream:
    """CCR's forcereasoning on a stream: the text between <reasoning_content> tags becomes
    thinking, the text after the closing tag the answer (whitespace-only pieces held back
    until more text comes), and any text before the opening tag, or all of it when the
    model never writes the tag, is dropped."""

    def __init__(self) -> None:
        self.state = "searching"
        self.partial = ""       # a piece of a tag cut at the end of the last delta
        self.spaces = ""        # whitespace-only answer text waiting for more

    def __call__(self, chunk: dict) -> dict | None:
        delta = _first_delta(chunk)
        text = delta.get("content") if isinstance(delta, dict) else None
        if not isinstance(text, str):
            return chunk
        thinking, answer = self._split(self.partial + text)
        rest = {k: v for k, v in delta.items() if k != "content"}
        out = {}
        if thinking:
            out.update(rest, reasoning_content=thinking)
        if answer:
            out.update(rest, content=answer)
        return _with_delta(chunk, out)

    def _split(self, text: str) -> tuple[str, str]:
        self.partial = ""
        thinking = answer = ""
        while text:
            if self.state == "searching":
                found = text.find(REASONING_OPEN)
                if found == -1:
                    self.partial = _tag_start_at_end(text, REASONING_OPEN)
                    return thinking, answer
                text, self.state = text[found + len(REASONING_OPEN):], "reasoning"
            elif self.state == "reasoning":
                found = text.find(REASONING_CLOSE)
                if found == -1:
                    self.partial = _tag_start_at_end(text, REASONING_CLOSE)
                    return thinking + text[:len(text) - len(self.partial)], answer
                thinking += text[:found]
                text, self.state = text[found + len(REASONING_CLOSE):], "final"
            else:
                if JS_SPACES.fullmatch(text):
                    self.spaces += text
                else:
                    answer, self.spaces = answer + self.spaces + text, ""
                return thinking, answer
        return thinking, answer


JS_SPACES = re.compile("[ \f\n\r\t\v\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]*")


def _tag_start_at_end(text: str, tag: str) -> str:
    """The longest start of `tag` (shorter than the tag) that `text` ends with."""
    for size in range(len(tag) - 1, 0, -1):
        if text.endswith(tag[:size]):
            return text[-size:]
    return ""


RESPONSE_SIDE: dict[str, tuple[Callable[[dict], dict] | None, Callable[[], Callable] | None]] = {
    "tooluse": (tooluse_completion, ToolUseStream),
    "openrouter": (None, OpenrouterStream),
    "vercel": (None, OpenrouterStream),
    "groq": (None, GroqStream),
    "enhancetool": (enhancetool_completion, EnhanceToolStream),
    "forcereasoning": (None, ForceReasoningStream),
    "gemini": (lambda completion: _gemini().completion(completion), lambda: _gemini().GeminiStream()),
    "openai-responses": (lambda completion: _responses_api().completion(completion),
                         lambda: _responses_api().ResponsesStream()),
}


@dataclass
class ResponseChain:
    """The response-side transformers of one (provider, model), in the order CCR runs them."""

    names: list[str] = field(default_factory=list)

    def completion(self, completion):
        for name in self.names:
            change = RESPONSE_SIDE.get(name, (None, None))[0]
            if change is not None and isinstance(completion, dict):
                completion = change(completion)
        return completion

    def chunk_filters(self) -> list[Callable]:
        return [RESPONSE_SIDE[name][1]() for name in self.names if RESPONSE_SIDE.get(name, (None, None))[1]]

    def wrap(self, translator):
        filters = self.chunk_filters()
        return FilteredTranslator(translator, filters) if filters else translator


class FilteredTranslator:
    """A StreamTranslator whose chunks pass the response chain's filters first."""

    def __init__(self, translator, filters: list[Callable]) -> None:
        self._translator = translator
        self._filters = filters

    def feed(self, chunk) -> bytes:
        check_chunk(chunk)   # the provider's chunk, before any filter reads it (feed checks what they give)
        for keep in self._filters:
            if not isinstance(chunk, dict):
                break
            chunk = keep(chunk)
            if chunk is None:
                return b""
        return self._translator.feed(chunk)

    def __getattr__(self, name):
        return getattr(self._translator, name)


# -- a provider's chain -----------------------------------------------------------------------

@dataclass
class Step:
    name: str
    options: dict
    level: str             # "provider" or "model"
    key: str = field(default="", repr=False)   # the provider's key, for a built-in in CONFIG_HEADERS
    base_url: str = ""                           # the provider's api_base_url, for one in CONFIG_URL


class Outgoing(dict):
    """The request body to send, and the URL a transformer chose for it (None: the provider's)."""

    target_url: str | None = None


@dataclass
class Chain:
    """The built-in steps of one (provider, model), applied to a converted request."""

    steps: list[Step] = field(default_factory=list)

    def __iter__(self):
        return iter(self.steps)

    def __len__(self) -> int:
        return len(self.steps)

    def apply(self, body: dict) -> dict:
        body = with_ccr_keys(body)
        target_url = None
        for step in self.steps:   # cerebras and gemini answer `{body, config}`: the body here, headers upstream
            url = CONFIG_URL[step.name](body, step.base_url) if step.name in CONFIG_URL else None
            if url is not None and step.level == "provider":
                target_url = url
            try:
                body = REQUEST_SIDE[step.name](body, step.options)
            except ChainFailed as exc:
                from ccrgen.proxy.server import ProxyError

                raise ProxyError(500, f"transformer {step.name!r} fails on this request, as it does in "
                                      f"CCR 2.0.0: {exc}") from None
            if step.level == "model" and step.name in CONFIG_HEADERS:   # CCR does not unwrap there
                config = {"headers": CONFIG_HEADERS[step.name](step.key)}
                body = {"body": body, "config": config if url is None else {"url": url, **config}}
        outgoing = Outgoing(to_json(body))
        outgoing.target_url = target_url
        return outgoing

    def responses(self) -> ResponseChain:
        """CCR runs the model's response side only when the request it sent still names the
        model (it looks the model's chain up by the sent body's `model`)."""
        provider = [s.name for s in self.steps if s.level == "provider"]
        model = [s.name for s in self.steps if s.level == "model"] if self._sends_model() else []
        return ResponseChain(list(reversed(provider)) + list(reversed(model)))

    def _sends_model(self) -> bool:
        """Whether the body sent has `model`: gemini's has none, a model-level `{body, config}`
        answer neither; customparams, openrouter and vercel options can put it back."""
        sends = True
        for step in self.steps:
            if step.name == "gemini" or (step.level == "model" and step.name in CONFIG_HEADERS):
                sends = False
            elif step.name in ("customparams", "openrouter", "vercel") and "model" in step.options:
                sends = True
        return sends
