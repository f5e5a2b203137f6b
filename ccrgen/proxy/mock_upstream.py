"""A mock OpenAI-compatible provider that records what it receives.

It is the one stand-in ccrgen's tests (and `ccrgen serve --mock-upstream`, `ccrgen smoke
--mock-upstream`) use for a real provider: every request is recorded with its headers and
body, so a test can assert on the auth headers and the model that actually arrived.

Answers are in the format of the API the path belongs to: OpenAI chat completions,
streamed (SSE, with a final usage chunk and `[DONE]`) when the request says `stream: true`;
Gemini generateContent on `<model>:generateContent` paths (`:streamGenerateContent`: its
SSE chunks), the model taken from the path; the Responses API on paths ending `/responses`
(a `response` object, or its stream of events for `stream: true`). By default the answer
text is `mock answer from <model>`. A test can script the next answers, one step per request:

    {"text": "hello"}                                   plain text
    {"tool_call": {"name": "Bash", "arguments": {...}}} one tool call (finish_reason tool_calls)
    {"reasoning": "let me think", "text": "42"}         reasoning_content, then text
    {"error": {"status": 500, "message": "boom"}}       an HTTP error in OpenAI's format
    {"delay_before": 0.5, ...}                          wait before answering
    {"pause_stream": {"first": "a", "pause": 0.5, "rest": "b"}}  first chunk, pause, rest
    {"cut_stream": {"first": "a"}}                      first chunk, then the connection drops
    {"malformed": true}                                 a 200 whose body is not JSON
    {"echo_request": true}                              the answer text is the request body
    {"usage": {"prompt_tokens": 70000}}                 override the reported usage
    {"set_cookie": "session=abc"}                       a Set-Cookie header (non-streamed answers)
    {"raw": {"whole": {...}, "events": [...]}}          exactly this answer in the provider's own
                                                        format: `whole` as JSON, `events` as SSE
                                                        for a stream
    {"when": "text", ...}                               only for a request whose body contains
                                                        "text" (others skip it, in order)

(pause_stream and cut_stream shape chat completion streams; other formats answer whole.)

Auth as the real provider checks it: requests to `/p/<provider>/<path>` are answered as
that provider (ccrgen.ccr.providers) answers: Hicap 401 without a usable `api-key` header,
a Bearer provider 401 without a usable `Authorization: Bearer` token (missing, empty, or a
literal `$NAME` never interpolated), an unknown provider like a Bearer one (or by the header
its `Anthropic`/`gemini` transformer sends), a local Ollama never. `provider_url(name, base_url)` gives that URL for a configured provider (keeping the
endpoint's path) and remembers its profile, so a provider found by its base URL's host is
judged as that host would judge it; `serve --mock-upstream` and `smoke --mock-upstream`
point every provider there. Requests to any other path (`chat_url`) are answered without
an auth check. Before the auth check, a request to a path where no real API lives (a bare
host, `/v1`: `no_api_at`) is answered 404; after it, an OpenAI-format body sent to an
Anthropic-style `/messages` endpoint 400 (`wrong_format`). Every request is recorded either way, with the provider it was meant for
and, when refused, why.

HTTP control API: GET/DELETE /_mock/requests, POST /_mock/script (a list of steps),
GET /_mock/health. Run it alone with `ccrgen mock-upstream` or
`python -m ccrgen.proxy.mock_upstream --port 0 --ready-file FILE`.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import itertools
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, unquote, urlparse

from aiohttp import web

from ccrgen.ccr.providers import ProviderProfile, provider_profile

MAX_BODY = 256 * 1024 * 1024
CHAT, GEMINI, RESPONSES, MESSAGES = "openai-chat", "gemini", "openai-responses", "anthropic-messages"
GEMINI_ACTIONS = (":generateContent", ":streamGenerateContent")


def api_of(path: str) -> str:
    """The API a request path belongs to (the format it is answered in)."""
    bare = path.split("?", 1)[0].rstrip("/")
    if bare.endswith(GEMINI_ACTIONS):
        return GEMINI
    if bare.endswith("/messages"):
        return MESSAGES
    return RESPONSES if bare.endswith("/responses") else CHAT


# The endpoints a real provider answers a completion at, by how their path ends. CCR posts to
# api_base_url exactly as written (the gemini transformers append `<model>:<action>`), so a
# base URL that is a bare host, a version (`/v1`, `/v1beta`) or any other folder reaches no API.
API_ENDPOINTS = ("/chat/completions", "/responses", "/messages")


def no_api_at(path: str) -> str | None:
    """Why no real server answers a completion POSTed to `path`, or None."""
    bare = path.split("?", 1)[0].rstrip("/") or "/"
    if bare.endswith(GEMINI_ACTIONS) or bare.endswith(API_ENDPOINTS):
        return None
    return (f"no API at {bare}: CCR posts to api_base_url exactly as written, so it must be "
            "the whole endpoint (e.g. ending in /chat/completions)")


def wrong_format(path: str, body) -> str | None:
    """Why an Anthropic-style `/messages` endpoint refuses `body` (400): it is in OpenAI's chat
    format, as CCR sends it without the Anthropic transformer. Only what Anthropic's API certainly
    refuses counts: a `tool` role message, a tool written as OpenAI's `{type: function,
    function: {...}}`, an `image_url` part. (A `system` role message is not a sign: Claude Code
    itself sends them.) None otherwise."""
    bare = path.split("?", 1)[0].rstrip("/")
    if not (bare.endswith("/messages") and isinstance(body, dict)):
        return None
    messages = body.get("messages") if isinstance(body.get("messages"), list) else []
    tools = body.get("tools") if isinstance(body.get("tools"), list) else []
    if any(isinstance(m, dict) and m.get("role") == "tool" for m in messages):
        sign = "a message with role 'tool'"
    elif any(isinstance(t, dict) and "function" in t for t in tools):
        sign = "a tool written as OpenAI's {type: function, function: {...}}"
    elif any(isinstance(m, dict) and isinstance(m.get("content"), list)
             and any(isinstance(p, dict) and p.get("type") == "image_url" for p in m["content"]) for m in messages):
        sign = "an image_url content part"
    else:
        return None
    return (f"{sign}: an Anthropic-style /messages endpoint got a body in OpenAI's chat format; "
            "add the Anthropic transformer to the provider")


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict            # names lower-cased
    body: object             # parsed JSON, or None when the body was not JSON
    raw: bytes = field(repr=False, default=b"")
    provider: str | None = None   # the provider it was meant for (`/p/<provider>/...`)
    rejected: str | None = None   # why the mock answered 401, as that provider would
    status: int = 200             # what the mock answered

    @property
    def api(self) -> str:
        return api_of(self.path)

    @property
    def model(self) -> str | None:
        """The model asked for: in the body, or (Gemini) in the path's `<model>:<action>`."""
        if self.api == GEMINI:
            return unquote(self.path.split("?", 1)[0].rsplit("/", 1)[-1].rpartition(":")[0]) or None
        return self.body.get("model") if isinstance(self.body, dict) else None

    @property
    def stream(self) -> bool:
        if self.api == GEMINI:
            return ":streamGenerateContent" in self.path
        return bool(isinstance(self.body, dict) and self.body.get("stream"))

    def as_dict(self) -> dict:
        return {"method": self.method, "path": self.path, "headers": self.headers,
                "body": self.body, "model": self.model, "api": self.api, "provider": self.provider,
                "rejected": self.rejected, "status": self.status}


class MockUpstream:
    """The server. Use `async with MockUpstream(host, port)` inside a running loop, or
    `MockUpstream.start_in_thread()` from synchronous code (tests)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self.host = host
        self.port = port
        self.requests: list[RecordedRequest] = []
        self._steps: collections.deque = collections.deque()
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.profiles: dict[str, ProviderProfile] = {}   # provider name -> how it authenticates

    # -- lifecycle ---------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def chat_url(self) -> str:
        return self.url + "/v1/chat/completions"

    def provider_url(self, name, base_url, uses=()) -> str:
        """The URL that stands in for provider `name` (configured with `base_url` and the
        `use` list `uses`): the mock answers there as that provider would, auth included."""
        name = str(name or "")
        self.profiles[name] = provider_profile(name, str(base_url or ""), uses if isinstance(uses, list) else ())
        try:
            path = urlparse(str(base_url or "")).path
        except ValueError:
            path = ""
        # the path as written: a bare host stays bare, and gets the 404 the real host answers
        return f"{self.url}/p/{quote(name, safe='')}{path or '/'}"

    async def start(self) -> "MockUpstream":
        app = web.Application(client_max_size=MAX_BODY)
        app.router.add_get("/_mock/health", self._health)
        app.router.add_get("/_mock/requests", self._list_requests)
        app.router.add_delete("/_mock/requests", self._clear_requests)
        app.router.add_post("/_mock/script", self._post_script)
        app.router.add_get("/v1/models", self._models)
        app.router.add_post("/p/{provider}/{tail:.*}", self._complete_as_provider)
        app.router.add_post("/{tail:.*}", self._complete)
        from ccrgen.common.limits import SERVE_STOP_SECONDS

        self._runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=SERVE_STOP_SECONDS)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port, reuse_address=True)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # the real port when 0 was asked
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> "MockUpstream":
        return await self.start()

    async def __aexit__(self, *exc) -> None:
        await self.stop()

    @classmethod
    def start_in_thread(cls, host: str = "127.0.0.1", port: int = 0):
        """The server on its own loop in a daemon thread (a BackgroundServer: `.stop()`)."""
        from ccrgen.proxy.background import BackgroundServer

        return BackgroundServer(cls(host, port), name="mock upstream")

    # -- scripting ---------------------------------------------------------------------
    def script(self, steps) -> None:
        """Queue answers: one step (a dict) is used per request, in order."""
        if isinstance(steps, dict):
            steps = [steps]
        self._steps.extend(steps)

    def clear(self) -> None:
        self.requests.clear()
        self._steps.clear()

    def _next_step(self, raw: bytes) -> dict:
        """The first queued step meant for this request (no `when`, or its text is in the body)."""
        text = raw.decode("utf-8", "replace")
        for step in self._steps:
            when = step.get("when")
            if when is None or when in text or json.dumps(when)[1:-1] in text:
                self._steps.remove(step)
                return step
        return {}

    # -- control API -------------------------------------------------------------------
    async def _health(self, request):
        return web.json_response({"ok": True, "requests": len(self.requests)})

    async def _list_requests(self, request):
        return web.json_response([r.as_dict() for r in self.requests])

    async def _clear_requests(self, request):
        self.clear()
        return web.json_response({"ok": True})

    async def _post_script(self, request):
        try:
            steps = await request.json()
        except ValueError:
            return web.json_response({"error": "the script must be JSON"}, status=400)
        self.script(steps)
        return web.json_response({"ok": True, "queued": len(self._steps)})

    async def _models(self, request):
        return web.json_response({"object": "list", "data": [{"id": "mock-model", "object": "model"}]})

    # -- completions -------------------------------------------------------------------
    async def _record(self, request: web.Request, provider: str | None = None) -> RecordedRequest:
        raw = await request.read()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        recorded = RecordedRequest(request.method, request.path_qs,
                                   {k.lower(): v for k, v in request.headers.items()}, body, raw, provider)
        self.requests.append(recorded)
        return recorded

    def profile_of(self, provider: str) -> ProviderProfile:
        return self.profiles.get(provider) or provider_profile(provider, "")

    async def _complete_as_provider(self, request: web.Request):
        """A request for one provider: refused as that provider refuses bad auth."""
        provider = request.match_info["provider"]
        recorded = await self._record(request, provider)
        profile = self.profile_of(provider)
        path = "/" + request.match_info["tail"]
        missing = no_api_at(path)
        if missing is not None:
            return self._refuse(recorded, profile, 404, missing)
        problem = profile.auth_problem(recorded.headers)
        if problem is not None:
            recorded.rejected, recorded.status = problem.message, 401
            if recorded.api in (GEMINI, MESSAGES):
                error = _gemini_error if recorded.api == GEMINI else _anthropic_error
                return web.json_response(error(401, profile.error_body(problem)["error"]["message"]), status=401)
            return web.json_response(profile.error_body(problem), status=401)
        wrong = wrong_format(path, recorded.body)
        if wrong is not None:
            return self._refuse(recorded, profile, 400, wrong)
        return await self._answer(request, recorded)

    @staticmethod
    def _refuse(recorded: RecordedRequest, profile: ProviderProfile, status: int, message: str):
        recorded.rejected, recorded.status = message, status
        if recorded.api == GEMINI:
            return web.json_response(_gemini_error(status, message), status=status)
        if recorded.api == MESSAGES:
            return web.json_response(_anthropic_error(status, f"{profile.title}: {message}"), status=status)
        return web.json_response({"error": {"message": f"{profile.title}: {message}",
                                            "type": "invalid_request_error", "code": status}}, status=status)

    async def _complete(self, request: web.Request):
        return await self._answer(request, await self._record(request))

    async def _answer(self, request: web.Request, recorded: RecordedRequest):
        raw = recorded.raw
        step = self._next_step(raw)
        if step.get("delay_before"):
            await asyncio.sleep(float(step["delay_before"]))
        if "error" in step:
            error = step["error"]
            status = recorded.status = int(error.get("status", 500))
            message = error.get("message", f"mock error {status}")
            if recorded.api == GEMINI:
                return web.json_response(_gemini_error(status, message), status=status)
            if recorded.api == MESSAGES:
                return web.json_response(_anthropic_error(status, message), status=status)
            return web.json_response(
                {"error": {"message": message, "type": error.get("type", "mock_error"), "code": status}},
                status=status)
        if step.get("malformed"):
            return web.Response(status=200, text='{"id": "broken", "choices": [', content_type="application/json")
        if "raw" in step:
            raw_answer = step["raw"]
            if recorded.stream:
                return await self._send_events(request, raw_answer.get("events") or [], recorded.api)
            return web.json_response(raw_answer.get("whole"))
        answer = _Answer.from_step(step, recorded, next(self._ids))
        if recorded.api != CHAT:
            formatted = _FORMATS[recorded.api](answer)
            if recorded.stream:
                return await self._send_events(request, formatted.events(), recorded.api)
            return web.json_response(formatted.whole())
        if recorded.stream:
            return await self._stream(request, answer, step)
        if "cut_stream" in step:
            request.transport.close()   # no answer at all: the connection just drops
            return web.Response(status=500)
        if "pause_stream" in step:
            await asyncio.sleep(float(step["pause_stream"].get("pause", 0)))
        headers = {"set-cookie": str(step["set_cookie"])} if step.get("set_cookie") else None
        return web.json_response(answer.completion(), headers=headers)

    async def _send_events(self, request, events, api: str):
        """Events as SSE: Gemini's `data:` chunks, or the Responses and Messages APIs' typed `event:` lines."""
        response = web.StreamResponse(headers={"content-type": "text/event-stream", "cache-control": "no-cache"})
        await response.prepare(request)
        for event in events:
            typed = (f"event: {event['type']}\n" if api in (RESPONSES, MESSAGES) and isinstance(event, dict)
                     and "type" in event else "")
            await response.write(f"{typed}data: {json.dumps(event, separators=(',', ':'))}\n\n".encode())
        await response.write_eof()
        return response

    async def _stream(self, request, answer: "_Answer", step: dict):
        response = web.StreamResponse(headers={"content-type": "text/event-stream",
                                               "cache-control": "no-cache"})
        await response.prepare(request)

        async def send(chunk) -> None:
            data = chunk if isinstance(chunk, str) else json.dumps(chunk, separators=(",", ":"))
            await response.write(f"data: {data}\n\n".encode())

        if "cut_stream" in step:
            await send(answer.chunk({"role": "assistant", "content": step["cut_stream"].get("first", "")}))
            await asyncio.sleep(0.05)
            request.transport.close()
            return response
        if "pause_stream" in step:
            pause = step["pause_stream"]
            await send(answer.chunk({"role": "assistant", "content": pause.get("first", "")}))
            await asyncio.sleep(float(pause.get("pause", 0.5)))
            await send(answer.chunk({"content": pause.get("rest", "")}))
            await send(answer.chunk({}, finish_reason="stop"))
        else:
            for chunk in answer.chunks():
                await send(chunk)
        await send(answer.usage_chunk())
        await send("[DONE]")
        await response.write_eof()
        return response


class _Answer:
    """One scripted (or default) answer, as a whole completion or as stream chunks."""

    def __init__(self, model, text, reasoning=None, tool_call=None, usage=None, number=1):
        self.model = model or "mock-model"
        self.text = text
        self.reasoning = reasoning
        self.tool_call = tool_call
        self.id = f"chatcmpl-mock-{number}"
        self.created = int(time.time())
        completion_tokens = max(1, len((text or "").split()))
        self.usage = {"prompt_tokens": 12, "completion_tokens": completion_tokens,
                      "total_tokens": 12 + completion_tokens, **(usage or {})}

    @classmethod
    def from_step(cls, step: dict, recorded: RecordedRequest, number: int) -> "_Answer":
        model = recorded.model
        if step.get("echo_request"):
            text = json.dumps(recorded.body, separators=(",", ":"), sort_keys=True)
        elif "text" in step:
            text = step["text"]
        elif "tool_call" in step or "pause_stream" in step or "cut_stream" in step:
            text = ""
        else:
            text = f"mock answer from {model}"
        tool_call = None
        if "tool_call" in step:
            call = step["tool_call"]
            arguments = call.get("arguments", {})
            tool_call = {"id": call.get("id", f"call_mock_{number}"), "name": call["name"],
                         "arguments": arguments if isinstance(arguments, str) else json.dumps(arguments)}
        if "pause_stream" in step:
            text = step["pause_stream"].get("first", "") + step["pause_stream"].get("rest", "")
        return cls(model, text, step.get("reasoning"), tool_call, step.get("usage"), number)

    @property
    def finish_reason(self) -> str:
        return "tool_calls" if self.tool_call else "stop"

    def completion(self) -> dict:
        message = {"role": "assistant", "content": self.text or None}
        if self.reasoning:
            message["reasoning_content"] = self.reasoning
        if self.tool_call:
            message["tool_calls"] = [{"id": self.tool_call["id"], "type": "function",
                                      "function": {"name": self.tool_call["name"],
                                                   "arguments": self.tool_call["arguments"]}}]
        return {"id": self.id, "object": "chat.completion", "created": self.created, "model": self.model,
                "choices": [{"index": 0, "message": message, "finish_reason": self.finish_reason}],
                "usage": self.usage}

    def chunk(self, delta: dict, finish_reason=None) -> dict:
        return {"id": self.id, "object": "chat.completion.chunk", "created": self.created, "model": self.model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}]}

    def usage_chunk(self) -> dict:
        return {"id": self.id, "object": "chat.completion.chunk", "created": self.created, "model": self.model,
                "choices": [], "usage": self.usage}

    def chunks(self):
        yield self.chunk({"role": "assistant", "content": ""})
        if self.reasoning:
            for piece in _pieces(self.reasoning):
                yield self.chunk({"reasoning_content": piece})
        for piece in _pieces(self.text or ""):
            yield self.chunk({"content": piece})
        if self.tool_call:
            call = self.tool_call
            yield self.chunk({"tool_calls": [{"index": 0, "id": call["id"], "type": "function",
                                              "function": {"name": call["name"], "arguments": ""}}]})
            for piece in _pieces(call["arguments"], 2):
                yield self.chunk({"tool_calls": [{"index": 0, "function": {"arguments": piece}}]})
        yield self.chunk({}, finish_reason=self.finish_reason)


def _gemini_error(status: int, message: str) -> dict:
    """An error in Google's API format."""
    kinds = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
             429: "RESOURCE_EXHAUSTED"}
    return {"error": {"code": status, "message": message, "status": kinds.get(status, "INTERNAL")}}


class _GeminiAnswer:
    """An answer as Gemini's generateContent gives it (or its stream of chunks): thinking as
    thought parts, the text signed by a thoughtSignature when there was thinking."""

    def __init__(self, answer: "_Answer"):
        self.answer = answer

    def _chunk(self, parts: list, finish: bool = False) -> dict:
        answer = self.answer
        candidate = {"content": {"role": "model", "parts": parts}, "index": 0}
        if finish:
            candidate["finishReason"] = "STOP"
        usage = answer.usage
        return {"candidates": [candidate], "modelVersion": answer.model, "responseId": answer.id,
                "usageMetadata": {"promptTokenCount": usage["prompt_tokens"],
                                  "candidatesTokenCount": usage["completion_tokens"],
                                  "totalTokenCount": usage["total_tokens"]}}

    def _parts(self) -> tuple[list, list, list]:
        answer = self.answer
        thought = [{"text": answer.reasoning, "thought": True}] if answer.reasoning else []
        text = [{"text": answer.text}] if answer.text else []
        call = []
        if answer.tool_call:
            call = [{"functionCall": {"id": answer.tool_call["id"], "name": answer.tool_call["name"],
                                      "args": json.loads(answer.tool_call["arguments"] or "{}")}}]
        signed = (text or call)[:1]
        if thought and signed:
            signed[0]["thoughtSignature"] = f"mock-signature-{answer.id}"
        return thought, text, call

    def whole(self) -> dict:
        thought, text, call = self._parts()
        return self._chunk(thought + text + call, finish=True)

    def events(self) -> list[dict]:
        thought, text, call = self._parts()
        chunks = [self._chunk(thought)] if thought else []
        pieces = _pieces(text[0]["text"]) if text else []
        for number, piece in enumerate(pieces):
            part = dict(text[0], text=piece) if number == 0 else {"text": piece}
            chunks.append(self._chunk([part]))
        if call:
            chunks.append(self._chunk(call))
        if not chunks:
            chunks.append(self._chunk([{"text": ""}]))
        chunks[-1]["candidates"][0]["finishReason"] = "STOP"
        return chunks


class _ResponsesAnswer:
    """An answer as the OpenAI Responses API gives it: a `response` object, or its events."""

    def __init__(self, answer: "_Answer"):
        self.answer = answer
        number = answer.id.rsplit("-", 1)[-1]
        self.ids = {"response": f"resp_mock_{number}", "reasoning": f"rs_mock_{number}",
                    "message": f"msg_mock_{number}", "call": f"fc_mock_{number}"}

    def _items(self) -> list[dict]:
        answer, items = self.answer, []
        if answer.reasoning:
            items.append({"type": "reasoning", "id": self.ids["reasoning"],
                          "summary": [{"type": "summary_text", "text": answer.reasoning}]})
        if answer.text or not answer.tool_call:
            items.append({"type": "message", "id": self.ids["message"], "role": "assistant", "status": "completed",
                          "content": [{"type": "output_text", "text": answer.text or "", "annotations": []}]})
        if answer.tool_call:
            call = answer.tool_call
            items.append({"type": "function_call", "id": self.ids["call"], "call_id": call["id"],
                          "name": call["name"], "arguments": call["arguments"], "status": "completed"})
        return items

    def whole(self, status: str = "completed") -> dict:
        usage = self.answer.usage
        return {"id": self.ids["response"], "object": "response", "created_at": self.answer.created,
                "model": self.answer.model, "status": status,
                "output": self._items() if status == "completed" else [],
                "usage": {"input_tokens": usage["prompt_tokens"], "output_tokens": usage["completion_tokens"],
                          "total_tokens": usage["total_tokens"]}}

    def events(self) -> list[dict]:
        events = [{"type": "response.created", "response": self.whole("in_progress")}]
        for index, item in enumerate(self._items()):
            events += self._item_events(index, item)
        events.append({"type": "response.completed", "response": self.whole()})
        return [dict(event, sequence_number=number) for number, event in enumerate(events)]

    @staticmethod
    def _item_events(index: int, item: dict) -> list[dict]:
        at = {"output_index": index, "item_id": item["id"]}
        if item["type"] == "reasoning":
            summary = item["summary"][0]
            return ([{"type": "response.output_item.added", "output_index": index, "item": dict(item, summary=[])},
                     {"type": "response.reasoning_summary_part.added", **at, "summary_index": 0,
                      "part": {"type": "summary_text", "text": ""}}]
                    + [{"type": "response.reasoning_summary_text.delta", **at, "summary_index": 0, "delta": piece}
                       for piece in _pieces(summary["text"])]
                    + [{"type": "response.reasoning_summary_part.done", **at, "summary_index": 0, "part": summary},
                       {"type": "response.output_item.done", "output_index": index, "item": item}])
        if item["type"] == "message":
            part = item["content"][0]
            return ([{"type": "response.output_item.added", "output_index": index, "item": dict(item, content=[])},
                     {"type": "response.content_part.added", **at, "content_index": 0,
                      "part": dict(part, text="")}]
                    + [{"type": "response.output_text.delta", **at, "content_index": 0, "delta": piece}
                       for piece in _pieces(part["text"])]
                    + [{"type": "response.output_text.done", **at, "content_index": 0, "text": part["text"]},
                       {"type": "response.output_item.done", "output_index": index, "item": item}])
        return ([{"type": "response.output_item.added", "output_index": index, "item": dict(item, arguments="")}]
                + [{"type": "response.function_call_arguments.delta", **at, "delta": piece}
                   for piece in _pieces(item["arguments"], 2)]
                + [{"type": "response.function_call_arguments.done", **at, "arguments": item["arguments"]},
                   {"type": "response.output_item.done", "output_index": index, "item": item}])


class _MessagesAnswer:
    """An answer as Anthropic's Messages API gives it (`/v1/messages`, which CCR's pass-through
    hands back untouched): a message, or its typed events."""

    def __init__(self, answer: "_Answer"):
        self.answer = answer
        self.id = f"msg_mock_{answer.id.rsplit('-', 1)[-1]}"

    def _blocks(self) -> list[dict]:
        answer, blocks = self.answer, []
        if answer.reasoning:
            blocks.append({"type": "thinking", "thinking": answer.reasoning, "signature": "mock-signature"})
        if answer.text or not answer.tool_call:
            blocks.append({"type": "text", "text": answer.text or ""})
        if answer.tool_call:
            call = answer.tool_call
            try:
                arguments = json.loads(call["arguments"] or "{}")
            except ValueError:
                arguments = {}
            blocks.append({"type": "tool_use", "id": call["id"], "name": call["name"], "input": arguments})
        return blocks

    def whole(self, content=None, stop_reason: str | None = "?") -> dict:
        usage = self.answer.usage
        stop = ("tool_use" if self.answer.tool_call else "end_turn") if stop_reason == "?" else stop_reason
        return {"id": self.id, "type": "message", "role": "assistant", "model": self.answer.model,
                "content": self._blocks() if content is None else content, "stop_reason": stop,
                "stop_sequence": None,
                "usage": {"input_tokens": usage["prompt_tokens"], "output_tokens": usage["completion_tokens"]}}

    def events(self) -> list[dict]:
        events = [{"type": "message_start", "message": self.whole([], None)}]
        for index, block in enumerate(self._blocks()):
            kind = block["type"]
            if kind == "thinking":
                start = dict(block, thinking="", signature="")
                deltas = [{"type": "thinking_delta", "thinking": p} for p in _pieces(block["thinking"])]
                deltas.append({"type": "signature_delta", "signature": block["signature"]})
            elif kind == "text":
                start = dict(block, text="")
                deltas = [{"type": "text_delta", "text": p} for p in _pieces(block["text"])]
            else:
                start = dict(block, input={})
                deltas = [{"type": "input_json_delta", "partial_json": p}
                          for p in _pieces(json.dumps(block["input"]), 2)]
            events.append({"type": "content_block_start", "index": index, "content_block": start})
            events += [{"type": "content_block_delta", "index": index, "delta": d} for d in deltas]
            events.append({"type": "content_block_stop", "index": index})
        whole = self.whole()
        events.append({"type": "message_delta", "delta": {"stop_reason": whole["stop_reason"], "stop_sequence": None},
                       "usage": {"output_tokens": whole["usage"]["output_tokens"]}})
        events.append({"type": "message_stop"})
        return events


def _anthropic_error(status: int, message: str) -> dict:
    """An error in Anthropic's API format."""
    kinds = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
             404: "not_found_error", 429: "rate_limit_error"}
    return {"type": "error", "error": {"type": kinds.get(status, "api_error"), "message": message}}


_FORMATS = {GEMINI: _GeminiAnswer, RESPONSES: _ResponsesAnswer, MESSAGES: _MessagesAnswer}


def _pieces(text: str, count: int = 3) -> list[str]:
    """Split text into up to `count` non-empty pieces, so streams have several deltas."""
    if not text:
        return []
    size = max(1, -(-len(text) // count))
    return [text[i:i + size] for i in range(0, len(text), size)]


async def serve_forever(host: str, port: int, ready_file: str | None = None, announce=print) -> None:
    async with MockUpstream(host, port) as server:
        announce(f"mock upstream listening on {server.url}: chat completions at {server.chat_url} "
                 f"(no auth check), or as a provider at {server.url}/p/<provider>/v1/chat/completions "
                 "(its auth checked: hicap takes `api-key`, ollama anything, Gemini's native API "
                 "`x-goog-api-key`, others a Bearer token); `<model>:generateContent` paths answer in "
                 "Gemini's format, `/responses` paths in the Responses API's")
        if ready_file:
            Path(ready_file).write_text(server.url + "\n", encoding="utf-8")
        await asyncio.Event().wait()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ccrgen.proxy.mock_upstream", description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--ready-file", help="write the URL here once listening")
    args = parser.parse_args(argv)
    try:
        asyncio.run(serve_forever(args.host, args.port, args.ready_file, lambda s: print(s, flush=True)))
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
