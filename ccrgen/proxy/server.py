"""The proxy: the Anthropic Messages API in front, CCR 2.0.0's routing in the middle,
OpenAI chat completions to the providers behind. aiohttp for both sides: one shared client
session (connection pooling), streams forwarded chunk by chunk as they arrive, the
upstream request cancelled when the client goes away.

    POST /v1/messages               stream and not; auth as CCR
    POST /v1/messages/count_tokens  {"input_tokens": N, "tokenizer": "cl100k_base"}
    GET  /  and  GET /health        no auth

Every answer to /v1/messages carries `x-ccrgen-route` and `x-ccrgen-model`, and each
request is logged on one line that says the same.
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Callable

import aiohttp
from aiohttp import web

from ccrgen import __version__
from ccrgen.ccr import facts
from ccrgen.ccr.config import as_ccr_sees_it
from ccrgen.proxy import auth, translate
from ccrgen.proxy.routing import SessionUsage, choose_route, session_id_of
from ccrgen.proxy.upstream import apply_steps, plan

MAX_BODY_BYTES = 64 * 1024 * 1024
ROUTE_IN_THREAD_BYTES = 200_000      # count tokens of bigger requests off the event loop


class ProxyError(Exception):
    """An answer in Anthropic's error format."""

    def __init__(self, status: int, message: str, kind: str | None = None):
        super().__init__(message)
        self.status, self.message = status, message
        self.kind = kind or translate.error_type_for(status)


def timeout_seconds(raw_config: dict) -> float:
    value = raw_config.get("API_TIMEOUT_MS", facts.DEFAULT_API_TIMEOUT_MS)
    try:
        milliseconds = float(value)
    except (TypeError, ValueError):
        milliseconds = facts.DEFAULT_API_TIMEOUT_MS
    return milliseconds / 1000 if milliseconds > 0 else facts.DEFAULT_API_TIMEOUT_MS / 1000


class Proxy:
    def __init__(self, loaded, *, env=None, host: str | None = None, port: int | None = None,
                 mock_upstream: bool = False, log: Callable[[str], None] | None = None,
                 node: str | None = None, max_body: int = MAX_BODY_BYTES):
        from ccrgen.ccr.runner import find_node

        self.loaded = loaded
        self.env = os.environ if env is None else env
        self.raw = loaded.config
        self.config = as_ccr_sees_it(loaded.config, self.env)
        self.apikey = self.config.get("APIKEY") or None
        requested_host = host if host is not None else self.config.get("HOST")
        self.host, host_note = auth.bind_host(str(requested_host) if requested_host else None, self.apikey)
        self.port = port if port is not None else int(self.config.get("PORT") or facts.DEFAULT_PORT)
        self.use_mock = mock_upstream
        self.mock = None
        self.log = log or (lambda line: None)
        self.node = node if node is not None else find_node()
        self.max_body = max_body
        self.timeout = timeout_seconds(self.raw)
        self.proxy_url = self.raw.get("PROXY_URL") or None
        self.usage = SessionUsage()
        self.notes = [host_note] if host_note else []
        self.in_flight = 0
        self.served = 0
        self._runner = None
        self._session: aiohttp.ClientSession | None = None
        self._tempdir = None
        self._route_cache: dict = {}

    # -- lifecycle ------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def start(self) -> "Proxy":
        if self.use_mock:
            from ccrgen.proxy.mock_upstream import MockUpstream

            self.mock = await MockUpstream("127.0.0.1", 0).start()
            for provider in self.config.get("Providers") or self.config.get("providers") or []:
                if isinstance(provider, dict):
                    provider["api_base_url"] = self.mock.chat_url
            self.proxy_url = None
        loop = asyncio.get_running_loop()
        from ccrgen.proxy.tokens import encoding

        warm = loop.run_in_executor(None, encoding)  # load the tokenizer before the first request
        self.plan = await loop.run_in_executor(None, self._plan)
        await warm
        self.notes += self.plan.notes
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=0, ttl_dns_cache=300),
            timeout=aiohttp.ClientTimeout(total=None, sock_connect=self.timeout, sock_read=self.timeout),
            auto_decompress=True, trust_env=False,
            # a proxy keeps no cookies: one provider's Set-Cookie must not follow later requests
            cookie_jar=aiohttp.DummyCookieJar())
        app = web.Application(client_max_size=self.max_body)
        app.router.add_get("/", self._root)
        app.router.add_get("/health", self._health)
        app.router.add_post("/v1/messages", self._messages)
        app.router.add_post("/v1/messages/count_tokens", self._count_tokens)
        app.router.add_route("*", "/{tail:.*}", self._not_found)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False, handler_cancellation=True)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port, reuse_address=True)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]
        return self

    def _plan(self):
        overrides = {}
        if self.loaded.files:  # a spec: load the transformers it renders, not what is installed
            self._tempdir = tempfile.TemporaryDirectory(prefix="ccrgen-serve-")
            for name, text in self.loaded.files.items():
                target = Path(self._tempdir.name) / name
                target.write_text(text, encoding="utf-8")
                overrides[str(Path(self.loaded.transformer_dir) / name)] = str(target)
        return plan(self.config, self.raw, self.env, self.node, overrides)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self.mock is not None:
            await self.mock.stop()
        if self._tempdir is not None:
            self._tempdir.cleanup()
            self._tempdir = None

    def stats(self) -> dict:
        """Open connections and requests, for the leak checks of the load test."""
        connector = self._session.connector if self._session else None
        return {"in_flight": self.in_flight, "served": self.served,
                "client_connections": len(self._runner.server.connections) if self._runner else 0,
                "upstream_busy": len(getattr(connector, "_acquired", ())),
                "upstream_idle": sum(len(v) for v in getattr(connector, "_conns", {}).values())}

    @classmethod
    def start_in_thread(cls, loaded, **options):
        from ccrgen.proxy.background import BackgroundServer

        return BackgroundServer(cls(loaded, **options), name="ccrgen proxy")

    # -- small endpoints --------------------------------------------------------------------
    async def _root(self, request):
        answer = {"message": "ccrgen proxy", "version": __version__, "routes_like": f"CCR {facts.CCR_VERSION}"}
        if self.mock is not None:
            answer["mock_upstream"] = self.mock.url
        return web.json_response(answer)

    async def _health(self, request):
        return web.json_response({"status": "ok", "in_flight": self.in_flight, "served": self.served})

    async def _not_found(self, request):
        return _error_response(ProxyError(404, f"no such endpoint: {request.method} {request.path}"))

    async def _count_tokens(self, request):
        from ccrgen.proxy.tokens import CountingFailed, count_tokens

        try:
            self._check_auth(request)
            body = await self._read_body(request)
            try:
                count = await self._off_loop_if_big(request.content_length or 0, count_tokens, body)
            except CountingFailed:
                count = 0
        except ProxyError as exc:
            return _error_response(exc)
        return web.json_response({"input_tokens": count, "tokenizer": "cl100k_base"})

    # -- messages ---------------------------------------------------------------------------
    async def _messages(self, request: web.Request):
        started = time.perf_counter()
        decision = None
        status = 500
        stream = False
        try:
            self._check_auth(request)
            body = await self._read_body(request)
            stream = bool(body.get("stream"))
            decision = await self._route(body, request.content_length or 0)
            upstream = self.plan.upstreams.get(decision.provider)
            if upstream is None:
                raise ProxyError(404, f"provider '{decision.provider}' not found "
                                      f"(route {decision.route} chose '{decision.target}')", "not_found_error")
            headers, steps = self._auth_and_steps(upstream, decision.model)
            outgoing = apply_steps(translate.request_to_openai(decision.body, decision.model), steps)
            route_headers = {"x-ccrgen-route": decision.route, "x-ccrgen-model": decision.target}
            self.in_flight += 1
            try:
                if stream:
                    response = await self._forward_stream(request, upstream, headers, outgoing, decision,
                                                          route_headers, body)
                else:
                    response = await self._forward(upstream, headers, outgoing, decision, route_headers, body)
            finally:
                self.in_flight -= 1
            status = response.status
            return response
        except ProxyError as exc:
            status = exc.status
            extra = {"x-ccrgen-route": decision.route, "x-ccrgen-model": decision.target} if decision else {}
            return _error_response(exc, extra)
        finally:
            self.served += 1
            self._log_request(status, decision, stream, started)

    def _check_auth(self, request) -> None:
        message = auth.refusal(request.path, request.headers, self.apikey)
        if message:
            raise ProxyError(401, message, "authentication_error")

    async def _read_body(self, request) -> dict:
        try:
            raw = await request.read()
        except web.HTTPRequestEntityTooLarge:
            raise ProxyError(413, f"request body larger than {self.max_body} bytes", "request_too_large") from None
        try:
            body = json.loads(raw)
        except ValueError:
            raise ProxyError(400, "the request body is not valid JSON") from None
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
            raise ProxyError(400, "an Anthropic Messages request needs a JSON object with `messages`")
        return body

    async def _route(self, body: dict, size: int):
        return await self._off_loop_if_big(size, choose_route, body, self.config, self.usage)

    @staticmethod
    async def _off_loop_if_big(size: int, fn, *args):
        """Token counting of a big request runs in a thread, so other requests keep flowing."""
        if size > ROUTE_IN_THREAD_BYTES:
            return await asyncio.get_running_loop().run_in_executor(None, fn, *args)
        return fn(*args)

    def _auth_and_steps(self, upstream, model: str):
        key = (upstream.provider, model)
        if key not in self._route_cache:
            self._route_cache[key] = upstream.headers_and_steps(model, self.plan.customs)
        return self._route_cache[key]

    def _record_usage(self, body: dict, usage) -> None:
        if isinstance(usage, dict) and usage.get("prompt_tokens") is not None:
            self.usage.record(session_id_of(body), {"input_tokens": usage["prompt_tokens"]})

    def _post(self, upstream, headers: dict, outgoing: dict):
        data = json.dumps(outgoing, ensure_ascii=False, separators=(",", ":")).encode()
        return self._session.post(upstream.parsed_url, data=data, proxy=self.proxy_url,
                                  headers={**headers, "content-type": "application/json"})

    async def _forward(self, upstream, headers, outgoing, decision, route_headers, body):
        try:
            async with self._post(upstream, headers, outgoing) as resp:
                raw = await resp.read()
                if resp.status >= 400:
                    raise self._upstream_status_error(upstream, resp.status, raw)
        except (asyncio.TimeoutError, aiohttp.ClientError) as exc:
            raise self._transport_error(upstream, exc) from None
        message = self._message_from(upstream, raw, decision, body)
        return web.Response(body=_dumps(message).encode(), headers=route_headers, content_type="application/json")

    def _message_from(self, upstream, raw: bytes, decision, body: dict) -> dict:
        """A provider's whole chat completion as an Anthropic message (502 when it is not one)."""
        try:
            completion = json.loads(raw)
            message = translate.response_to_anthropic(completion, decision.model)
        except (ValueError, translate.UpstreamFormatError):
            raise ProxyError(502, f"provider '{upstream.provider}' answered with a body that is not a chat "
                                  "completion (invalid JSON)") from None
        self._record_usage(body, completion.get("usage"))
        return message

    async def _forward_stream(self, request, upstream, headers, outgoing, decision, route_headers, body):
        response = None
        translator = translate.StreamTranslator(decision.model)
        try:
            async with self._post(upstream, headers, outgoing) as resp:
                if resp.status >= 400:
                    raise self._upstream_status_error(upstream, resp.status, await resp.read())
                if "text/event-stream" not in resp.headers.get("content-type", ""):
                    message = self._message_from(upstream, await resp.read(), decision, body)
                    response = await self._open_stream(request, route_headers)
                    await response.write(translate.events_from_message(message))
                    await response.write_eof()
                    return response
                response = await self._open_stream(request, route_headers)
                await response.write(translator.start())
                problem = await self._pump(resp, response, translator)
        except (asyncio.TimeoutError, aiohttp.ClientError) as exc:
            error = self._transport_error(upstream, exc)
            if response is None:
                raise error from None
            problem = error.message
        except (ConnectionResetError, aiohttp.ClientConnectionResetError):
            return response  # the client went away; leaving the block closed the upstream request
        if translator.usage:
            self._record_usage(body, translator.usage)
        try:
            if problem:
                await response.write(translator.cut(problem))
            else:
                await response.write(translator.finish())
            await response.write_eof()
        except (ConnectionResetError, aiohttp.ClientConnectionResetError):
            pass
        return response

    async def _open_stream(self, request, route_headers) -> web.StreamResponse:
        response = web.StreamResponse(status=200, headers={
            "content-type": "text/event-stream", "cache-control": "no-cache", **route_headers})
        await response.prepare(request)
        return response

    async def _pump(self, resp, response, translator) -> str | None:
        """Forward the upstream stream; None when it ended properly, else what went wrong."""
        parser = translate.SseParser()
        async for chunk in resp.content.iter_any():
            for data in parser.feed(chunk):
                if data.strip() == "[DONE]":
                    return None
                try:
                    parsed = json.loads(data)
                except ValueError:
                    return "the provider sent a stream event that is not valid JSON"
                if isinstance(parsed, dict) and parsed.get("error") and not parsed.get("choices"):
                    error = parsed["error"]
                    return "the provider reported an error mid-stream: " + (
                        error.get("message", str(error)) if isinstance(error, dict) else str(error))
                piece = translator.feed(parsed)
                if piece:
                    await response.write(piece)
        if translator.finished_cleanly:
            return None
        return "the provider's stream ended before the answer finished (connection cut)"

    def _upstream_status_error(self, upstream, status: int, raw: bytes) -> ProxyError:
        from ccrgen.secrets import mask_text

        message = mask_text(translate.upstream_error_message(status, raw), self.plan.secrets())
        return ProxyError(status, f"provider '{upstream.provider}' answered HTTP {status}: {message}")

    def _transport_error(self, upstream, exc) -> ProxyError:
        if isinstance(exc, asyncio.TimeoutError):
            return ProxyError(504, f"provider '{upstream.provider}' did not answer within "
                                   f"{self.timeout * 1000:.0f} ms (API_TIMEOUT_MS)", "timeout_error")
        if isinstance(exc, aiohttp.ClientConnectorError):
            return ProxyError(502, f"cannot connect to provider '{upstream.provider}' at {upstream.url}: "
                                   f"{exc.os_error.strerror or exc.os_error}")
        if isinstance(exc, aiohttp.ClientPayloadError):
            return ProxyError(502, f"the connection to provider '{upstream.provider}' was cut mid-answer")
        return ProxyError(502, f"provider '{upstream.provider}': {type(exc).__name__}: {exc}")

    def _log_request(self, status, decision, stream: bool, started: float) -> None:
        elapsed = (time.perf_counter() - started) * 1000
        where = (f"route={decision.route} model={decision.target} tokens={decision.token_count}"
                 if decision else "route=- model=-")
        self.log(f"POST /v1/messages {status} {where} {'stream ' if stream else ''}{elapsed:.1f}ms")


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _error_response(exc: ProxyError, headers: dict | None = None) -> web.Response:
    return web.json_response(translate.error_body(exc.message, exc.kind), status=exc.status,
                             headers=headers or {}, dumps=_dumps)
