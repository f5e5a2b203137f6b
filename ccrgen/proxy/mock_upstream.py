"""A mock OpenAI-compatible provider that records what it receives.

It is the one stand-in ccrgen's tests (and `ccrgen serve --mock-upstream`, `ccrgen smoke
--mock-upstream`) use for a real provider: every request is recorded with its headers and
body, so a test can assert on the auth headers and the model that actually arrived.

Answers are OpenAI chat completions, streamed (SSE, with a final usage chunk and
`[DONE]`) when the request says `stream: true`. By default the answer text is
`mock answer from <model>`. A test can script the next answers, one step per request:

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
    {"when": "text", ...}                               only for a request whose body contains
                                                        "text" (others skip it, in order)

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

from aiohttp import web

MAX_BODY = 256 * 1024 * 1024


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict            # names lower-cased
    body: object             # parsed JSON, or None when the body was not JSON
    raw: bytes = field(repr=False, default=b"")

    @property
    def model(self) -> str | None:
        return self.body.get("model") if isinstance(self.body, dict) else None

    @property
    def stream(self) -> bool:
        return bool(isinstance(self.body, dict) and self.body.get("stream"))

    def as_dict(self) -> dict:
        return {"method": self.method, "path": self.path, "headers": self.headers,
                "body": self.body, "model": self.model}


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

    # -- lifecycle ---------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def chat_url(self) -> str:
        return self.url + "/v1/chat/completions"

    async def start(self) -> "MockUpstream":
        app = web.Application(client_max_size=MAX_BODY)
        app.router.add_get("/_mock/health", self._health)
        app.router.add_get("/_mock/requests", self._list_requests)
        app.router.add_delete("/_mock/requests", self._clear_requests)
        app.router.add_post("/_mock/script", self._post_script)
        app.router.add_get("/v1/models", self._models)
        app.router.add_post("/{tail:.*}", self._complete)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
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
    async def _complete(self, request: web.Request):
        raw = await request.read()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        recorded = RecordedRequest(request.method, request.path_qs,
                                   {k.lower(): v for k, v in request.headers.items()}, body, raw)
        self.requests.append(recorded)
        step = self._next_step(raw)
        if step.get("delay_before"):
            await asyncio.sleep(float(step["delay_before"]))
        if "error" in step:
            error = step["error"]
            status = int(error.get("status", 500))
            return web.json_response(
                {"error": {"message": error.get("message", f"mock error {status}"),
                           "type": error.get("type", "mock_error"), "code": status}},
                status=status)
        if step.get("malformed"):
            return web.Response(status=200, text='{"id": "broken", "choices": [', content_type="application/json")
        answer = _Answer.from_step(step, recorded, next(self._ids))
        if recorded.stream:
            return await self._stream(request, answer, step)
        if "cut_stream" in step:
            request.transport.close()   # no answer at all: the connection just drops
            return web.Response(status=500)
        if "pause_stream" in step:
            await asyncio.sleep(float(step["pause_stream"].get("pause", 0)))
        headers = {"set-cookie": str(step["set_cookie"])} if step.get("set_cookie") else None
        return web.json_response(answer.completion(), headers=headers)

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


def _pieces(text: str, count: int = 3) -> list[str]:
    """Split text into up to `count` non-empty pieces, so streams have several deltas."""
    if not text:
        return []
    size = max(1, -(-len(text) // count))
    return [text[i:i + size] for i in range(0, len(text), size)]


async def serve_forever(host: str, port: int, ready_file: str | None = None, announce=print) -> None:
    async with MockUpstream(host, port) as server:
        announce(f"mock upstream listening on {server.url} (chat completions at {server.chat_url})")
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
