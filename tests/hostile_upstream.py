"""A hostile OpenAI-compatible provider for the proxy's hardening tests: an aiohttp server
on loopback (free port) that answers every POST according to its `mode`, and records what
it receives (so a second one, in mode "record", shows what a redirect target was sent).

    record              200 chat completion; only records (the target of a redirect)
    redirect-302/307    a redirect to `redirect_to`
    echo-key-error      HTTP 401 whose error message echoes the key the proxy sent
    echo-key-midstream  a streamed answer: one text chunk, then an `error` event echoing the key
    bad-json-event      a streamed answer with an event that is not JSON
    function-not-object a streamed tool call whose `function` is a string
    choices-not-list    a streamed chunk whose `choices` is an object
    tool-calls-not-list a non-streamed completion whose `tool_calls` is a string
    deep-json           a non-streamed answer nested 100,000 levels deep
    gzip-bomb           a 200 (JSON, or SSE when streaming) of BOMB_BYTES that gzips to ~200 KB
    huge-line           an SSE stream that is one line without end (never an event)
    slow                waits `delay` seconds before answering
    never-ending        a stream that sends a keep-alive comment every 50 ms, forever

Keys are never written into the tests: "echo" modes read them from the request headers.
"""

from __future__ import annotations

import asyncio
import json
import zlib
from dataclasses import dataclass, field

from aiohttp import web

from ccrgen.proxy.background import BackgroundServer

BOMB_BYTES = 200 * 1024 * 1024
_bombs: dict[bytes, bytes] = {}


def gzip_bomb(unit: bytes, total: int = BOMB_BYTES) -> bytes:
    """`unit` repeated to `total` bytes, gzip-compressed (level 9, ~1000:1 for zeros)."""
    if unit not in _bombs:
        packer = zlib.compressobj(9, zlib.DEFLATED, 31)
        block = unit * (1024 * 1024 // len(unit))
        parts = [packer.compress(block) for _ in range(total // len(block))]
        _bombs[unit] = b"".join(parts) + packer.flush()
    return _bombs[unit]


@dataclass
class Received:
    method: str
    path: str
    headers: dict
    body: bytes


def completion(text: str = "hostile answer", **message) -> dict:
    return {"id": "c1", "object": "chat.completion", "model": "m",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text, **message},
                         "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 5, "completion_tokens": 2}}


def chunk(delta: dict, finish: str | None = None) -> bytes:
    data = {"id": "c1", "object": "chat.completion.chunk", "choices": [
        {"index": 0, "delta": delta, "finish_reason": finish}]}
    return b"data: " + json.dumps(data).encode() + b"\n\n"


@dataclass
class HostileUpstream:
    mode: str = "record"
    host: str = "127.0.0.1"
    port: int = 0
    redirect_to: str = ""
    delay: float = 5.0
    received: list[Received] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def chat_url(self) -> str:
        return self.url + "/v1/chat/completions"

    async def start(self) -> "HostileUpstream":
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._answer)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        await self._runner.cleanup()

    @classmethod
    def start_in_thread(cls, **options) -> BackgroundServer:
        return BackgroundServer(cls(**options), name="hostile upstream")

    # -- answers -------------------------------------------------------------------------
    async def _answer(self, request: web.Request):
        body = await request.read()
        self.received.append(Received(request.method, request.path, dict(request.headers), body))
        streaming = b'"stream":true' in body
        if self.mode.startswith("redirect-"):
            raise {"302": web.HTTPFound, "307": web.HTTPTemporaryRedirect}[self.mode[-3:]](self.redirect_to)
        if self.mode == "echo-key-error":
            return web.json_response({"error": {"message": f"Incorrect API key provided: {self._key(request)}",
                                                "type": "invalid_request_error"}}, status=401)
        if self.mode == "deep-json":
            return web.Response(body=b"[" * 100_000 + b"]" * 100_000, content_type="application/json")
        if self.mode == "tool-calls-not-list":
            return web.json_response(completion(tool_calls="Bash"))
        if self.mode == "gzip-bomb":
            unit, kind = (b"a", "text/event-stream") if streaming else (b" ", "application/json")
            return web.Response(body=gzip_bomb(unit), headers={"content-type": kind, "content-encoding": "gzip"})
        if self.mode == "slow":
            await asyncio.sleep(self.delay)
            return web.json_response(completion())
        if self.mode in STREAMS:
            return await self._stream(request, STREAMS[self.mode](self._key(request)))
        if self.mode == "never-ending":
            return await self._forever(request)
        return web.json_response(completion())

    @staticmethod
    def _key(request) -> str:
        return request.headers.get("api-key") or request.headers.get("authorization", "").removeprefix("Bearer ")

    async def _stream(self, request, pieces: list[bytes]):
        response = web.StreamResponse(headers={"content-type": "text/event-stream"})
        await response.prepare(request)
        for piece in pieces:
            await response.write(piece)
        await response.write_eof()
        return response

    async def _forever(self, request):
        response = web.StreamResponse(headers={"content-type": "text/event-stream"})
        await response.prepare(request)
        await response.write(chunk({"role": "assistant", "content": "still "}))
        try:
            while True:
                await response.write(b": keep-alive\n\n")
                await asyncio.sleep(0.05)
        except (ConnectionResetError, asyncio.CancelledError):
            raise


STREAMS = {
    "echo-key-midstream": lambda key: [chunk({"role": "assistant", "content": "partial "}),
                                       b"data: " + json.dumps({"error": {"message": f"quota exceeded for key {key}",
                                                                         "code": 429}}).encode() + b"\n\n"],
    "bad-json-event": lambda key: [chunk({"content": "partial "}), b"data: {not json\n\n",
                                   chunk({}, "stop"), b"data: [DONE]\n\n"],
    "function-not-object": lambda key: [chunk({"tool_calls": [{"index": 0, "id": "call_1", "function": "Bash"}]}),
                                        chunk({}, "tool_calls"), b"data: [DONE]\n\n"],
    "choices-not-list": lambda key: [b'data: {"choices": {"0": {"delta": {"content": "x"}}}}\n\n',
                                     chunk({}, "stop"), b"data: [DONE]\n\n"],
    "huge-line": lambda key: [b"data: " + b"x" * (1024 * 1024) for _ in range(8)],
}
