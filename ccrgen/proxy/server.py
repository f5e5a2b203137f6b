"""The proxy: the Anthropic Messages API in front, CCR 2.0.0's routing in the middle,
OpenAI chat completions to the providers behind. aiohttp for both sides: one shared client
session (connection pooling), streams forwarded chunk by chunk as they arrive, the
upstream request cancelled when the client goes away.

    POST /v1/messages               stream and not; auth as CCR
    POST /v1/messages/count_tokens  {"input_tokens": N} (plus "tokenizer" for a `provider,model`)
    GET  /  and  GET /health        no auth

Every answer to /v1/messages carries `x-ccrgen-route` and `x-ccrgen-model`, and each
request is logged on one line that says the same.
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Callable

import aiohttp
from aiohttp import web
from aiohttp.web_protocol import RequestPayloadError


from ccrgen import __version__


from ccrgen.common import limits
from ccrgen.ccr import facts
from ccrgen.ccr.config import as_ccr_sees_it
from ccrgen.proxy import auth, fallback, http_errors, translate
from ccrgen.proxy.http_errors import one_line as _one_line, printable as _printable
from ccrgen.proxy.request import RequestInvalid, decode_body, parse_request, strict_json
from ccrgen.proxy.routing import SessionUsage, choose_route, session_id_of
from ccrgen.proxy.upstream import apply_steps, bypass_request, plan, urls_with_credentials, uses_of
from ccrgen.common.secrets import mask_urls_in

MAX_BODY_BYTES = limits.MAX_REQUEST_BYTES
ROUTE_IN_THREAD_BYTES = 200_000      # count tokens of bigger requests off the event loop
UNREACHABLE_HEADER = "x-ccrgen-unreachable"   # on an error: the provider could not be reached (dns, refused, ...)


class ProxyError(Exception):
    """An answer in Anthropic's error format."""

    def __init__(self, status: int, message: str, kind: str | None = None, close: bool = False):
        super().__init__(message)
        self.status, self.message = status, message
        self.kind = kind or translate.error_type_for(status)
        self.close = close   # the request body was not read to its end: close the connection


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
        self.usage = SessionUsage()      # bounded: limits.MAX_SESSIONS_TRACKED sessions
        self.notes = [host_note] if host_note else []
        self.in_flight = 0
        self.served = 0
        self._runner = None
        self._session: aiohttp.ClientSession | None = None
        self._tempdir = None
        # (provider, model) -> (headers to send, steps, response chain), least recently used
        # dropped past the limit: worked out once, not per request
        self._route_cache = functools.lru_cache(maxsize=limits.MAX_ROUTE_CACHE_ENTRIES)(self._headers_and_steps)
        refuse_credentials_in_urls(loaded, self.config)

    # -- lifecycle ------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def start(self) -> "Proxy":
        if self.use_mock:
            from ccrgen.proxy.mock_upstream import MockUpstream

            self.mock = await MockUpstream("127.0.0.1", 0).start()
            for provider in self.config.get("Providers") or self.config.get("providers") or []:
                if isinstance(provider, dict):  # the mock answers as this provider would, auth included
                    provider["api_base_url"] = self.mock.provider_url(provider.get("name"), provider.get("api_base_url"),
                                                                      uses_of(provider)[0])
            self.proxy_url = None
        loop = asyncio.get_running_loop()
        loop.set_exception_handler(http_errors.loop_errors_to(lambda line: self.log(self._mask(line))))
        from ccrgen.proxy.tokens import encoding

        warm = loop.run_in_executor(None, encoding)  # load the tokenizer before the first request
        self.plan = await loop.run_in_executor(None, self._plan)
        await warm
        self.notes += [mask_urls_in(note) for note in self.plan.notes]   # URL credentials
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=0, ttl_dns_cache=300),
            timeout=aiohttp.ClientTimeout(total=None, sock_connect=self.timeout, sock_read=self.timeout),
            auto_decompress=True, trust_env=False,
            # a proxy keeps no cookies: one provider's Set-Cookie must not follow later requests
            cookie_jar=aiohttp.DummyCookieJar())
        app = web.Application(client_max_size=self.max_body, middlewares=[self._last_resort])
        app.router.add_get("/", self._root)
        app.router.add_get("/health", self._health)
        app.router.add_post("/v1/messages", self._messages)
        app.router.add_post("/v1/messages/count_tokens", self._count_tokens)
        app.router.add_route("*", "/{tail:.*}", self._not_found)
        self._runner = http_errors.AppRunner(app, access_log=None, handle_signals=False, handler_cancellation=True,
                                             shutdown_timeout=limits.SERVE_STOP_SECONDS,
                                             logger=http_errors.one_line_logger(self.log, self._mask),
                                             auto_decompress=False)   # request.decode_body does it, bounded
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
            except CountingFailed as exc:   # CCR's tiktoken throws and CCR answers 500
                raise ProxyError(500, f"counting the request's tokens failed, as in CCR {facts.CCR_VERSION}: {exc}")
        except ProxyError as exc:
            return self._error_answer(exc)
        # CCR names its tokenizer only for a `provider,model` (its tokenizer service's answer;
        # ccrgen counts with tiktoken cl100k_base, CCR's default, whatever the provider says)
        model = body.get("model")
        if isinstance(model, str) and "," in model:
            return web.json_response({"input_tokens": count, "tokenizer": "tiktoken-cl100k_base"})
        return web.json_response({"input_tokens": count})

    # -- messages ---------------------------------------------------------------------------
    async def _messages(self, request: web.Request):
        started = time.perf_counter()
        decision = None
        status = 500
        stream = False
        problem = None
        try:
            self._check_auth(request)
            body = await self._read_body(request)
            stream = bool(body.get("stream"))
            decision = await self._route(body, request.content_length or 0)
            upstream = self.plan.upstreams.get(decision.provider)
            if upstream is None:
                raise ProxyError(404, f"provider '{decision.provider}' not found "
                                      f"(route {decision.route} chose '{decision.target}')", "not_found_error")
            self.in_flight += 1
            try:
                response = await self._send_with_fallback(request, decision, body, stream)
            finally:
                self.in_flight -= 1
            status = response.status
            return response
        except ProxyError as exc:
            status, problem = exc.status, exc.message
            return self._error_answer(exc, _route_headers(decision) if decision else None)
        finally:
            self.served += 1
            self._log_request(status, decision, stream, started, problem)

    def _check_auth(self, request) -> None:
        message = auth.refusal(request.path, request.headers, self.apikey)
        if message:
            raise ProxyError(401, message, "authentication_error")

    async def _read_body(self, request) -> dict:
        """The request body, decoded, parsed and type-checked at the one edge (proxy/request.py)."""
        raw = await self._read_raw(request)
        try:
            raw = decode_body(raw, request.headers.get("content-encoding"), self.max_body)
            return await self._off_loop_if_big(len(raw), parse_request, raw)
        except RequestInvalid as exc:
            raise ProxyError(exc.status, exc.message, "request_too_large" if exc.status == 413 else None) from None

    async def _read_raw(self, request) -> bytes:
        try:
            return await request.read()
        except web.HTTPRequestEntityTooLarge:
            raise ProxyError(413, f"request body larger than {self.max_body} bytes", "request_too_large",
                             close=True) from None
        except (RequestPayloadError, aiohttp.http_exceptions.HttpProcessingError, ValueError) as exc:
            raise ProxyError(400, f"the request body cannot be read ({type(exc).__name__})", close=True) from None

    async def _route(self, body: dict, size: int):
        return await self._off_loop_if_big(size, choose_route, body, self.config, self.usage)

    @staticmethod
    async def _off_loop_if_big(size: int, fn, *args):
        """Token counting of a big request runs in a thread, so other requests keep flowing."""
        if size > ROUTE_IN_THREAD_BYTES:
            return await asyncio.get_running_loop().run_in_executor(None, fn, *args)
        return fn(*args)

    async def _send_with_fallback(self, request, decision, body: dict, stream: bool):
        """Send to the route's model; on an HTTP error status go down the route's `fallback`
        list as CCR 2.0.0 does (proxy/fallback.py). The first attempt's error when all fail."""
        first_error = None
        for candidate in fallback.candidates(decision.route, decision.provider, decision.model, self.config):
            upstream = self.plan.upstreams.get(candidate.provider)
            if upstream is None:
                continue
            if candidate.position:
                import dataclasses

                attempt = dataclasses.replace(decision, provider=candidate.provider, model=candidate.model)
            else:   # the route's own target: the decision as it is
                attempt = decision
            route_headers = _route_headers(attempt)
            if candidate.position:
                route_headers[fallback.FALLBACK_HEADER] = str(candidate.position)
            bypass = upstream.bypasses(attempt.model, self.plan.registered)
            if not bypass:
                headers, steps, _ = self._auth_and_steps(upstream, attempt.model)
                outgoing = apply_steps(translate.request_to_openai(attempt.body, attempt.model), steps)
            try:
                if bypass:
                    return await self._forward_bypass(request, upstream, attempt, route_headers, stream)
                if stream:
                    return await self._forward_stream(request, upstream, headers, outgoing, attempt,
                                                      route_headers, body)
                return await self._forward(upstream, headers, outgoing, attempt, route_headers, body)
            except ProxyError as exc:
                if first_error is None and not fallback.starts_fallback(getattr(exc, "upstream_status", None)):
                    raise
                first_error = first_error or exc
        raise first_error

    def _responses(self, upstream, model: str):
        """The response side of the (provider, model) chain (proxy/builtins.py)."""
        return self._auth_and_steps(upstream, model)[2]

    def _auth_and_steps(self, upstream, model: str):
        return self._route_cache(upstream.provider, model)

    def _headers_and_steps(self, provider: str, model: str):
        headers, steps = self.plan.upstreams[provider].headers_and_steps(model, self.plan.customs)
        # the headers as `_post` sends them (the JSON body's content-type added), and the
        # response side of the chain: both the same for every request of the route
        return {**headers, "content-type": "application/json"}, steps, steps.responses()

    def route_cache_size(self) -> int:
        return self._route_cache.cache_info().currsize

    def _record_usage(self, body: dict, usage) -> None:
        tokens = usage.get("prompt_tokens") if isinstance(usage, dict) else None
        if isinstance(tokens, int) and not isinstance(tokens, bool):
            self.usage.record(session_id_of(body), {"input_tokens": tokens})

    def _post(self, upstream, headers: dict, outgoing: dict):
        """POST to the provider's own URL only: a redirect is never followed (it would carry
        the key's header to whatever host the provider names); `_check_status` answers it.
        `headers` are the route's, content-type included (`_headers_and_steps`)."""
        from ccrgen.common.secrets import mask_url

        try:
            url = upstream.url_for(outgoing)
        except ValueError:
            raise ProxyError(502, f"provider '{upstream.provider}': api_base_url {mask_url(upstream.url)} "
                                  "is not a valid URL") from None
        data = _dumps(outgoing).encode()
        return self._session.post(url, data=data, proxy=self.proxy_url, allow_redirects=False, headers=headers)

    async def _check_status(self, upstream, resp) -> None:
        """Raise the client's error for a redirect or an HTTP error from the provider."""
        if 300 <= resp.status < 400:
            raise _redirect_error(upstream, resp)
        if resp.status >= 400:
            raw = await _read_at_most(resp, limits.MAX_UPSTREAM_ERROR_BYTES)
            raise self._upstream_status_error(upstream, resp.status, raw)

    async def _read_answer(self, upstream, resp) -> bytes:
        """A whole (decompressed) answer, or a 502 once it passes MAX_UPSTREAM_BODY_BYTES."""
        raw = await _read_at_most(resp, limits.MAX_UPSTREAM_BODY_BYTES + 1)
        if len(raw) > limits.MAX_UPSTREAM_BODY_BYTES:
            raise ProxyError(502, f"provider '{upstream.provider}': upstream answer too large (more than "
                                  f"{limits.MAX_UPSTREAM_BODY_BYTES // (1024 * 1024)} MB once decompressed)")
        return raw

    async def _forward(self, upstream, headers, outgoing, decision, route_headers, body):
        try:
            async with self._post(upstream, headers, outgoing) as resp:
                await self._check_status(upstream, resp)
                raw = await self._read_answer(upstream, resp)
        except (asyncio.TimeoutError, aiohttp.ClientError) as exc:
            raise self._transport_error(upstream, exc) from None
        message = self._message_from(upstream, raw, decision, body)
        return web.Response(body=_dumps(message).encode(), headers=route_headers, content_type="application/json")

    async def _forward_bypass(self, request, upstream, decision, route_headers, stream: bool):
        """CCR 2.0.0's pass-through (upstream.Upstream.bypasses): the client's request, barely
        changed (upstream.bypass_request), and the provider's answer handed back as it came:
        a stream (`stream: true`) byte for byte, else its JSON."""
        outgoing, headers = bypass_request(decision.body, decision.model, request.headers, upstream.key)
        try:
            async with self._post(upstream, headers, outgoing) as resp:
                await self._check_status(upstream, resp)
                if outgoing.get("stream") is True:
                    response = await self._open_stream(request, route_headers)
                    try:
                        async for chunk in resp.content.iter_any():
                            await response.write(chunk)
                        await response.write_eof()
                    except (ConnectionResetError, aiohttp.ClientConnectionResetError):
                        pass
                    return response
                raw = await self._read_answer(upstream, resp)
        except (asyncio.TimeoutError, aiohttp.ClientError) as exc:
            raise self._transport_error(upstream, exc) from None
        try:
            answer = strict_json.decode(raw.decode("utf-8"))
        except (ValueError, RecursionError):
            raise ProxyError(500, f"provider '{upstream.provider}' answered with a body that is not JSON "
                                  "(CCR 2.0.0 passes the answer through as JSON)") from None
        usage = answer.get("usage") if isinstance(answer, dict) else None
        tokens = usage.get("input_tokens") if isinstance(usage, dict) else None
        if isinstance(tokens, int) and not isinstance(tokens, bool):
            self.usage.record(session_id_of(decision.body), {"input_tokens": tokens})
        return web.Response(body=_dumps(answer).encode(), headers=route_headers, content_type="application/json")

    def _message_from(self, upstream, raw: bytes, decision, body: dict) -> dict:
        """A provider's whole chat completion as an Anthropic message (502 when it is not one)."""
        try:
            completion = self._responses(upstream, decision.model).completion(json.loads(raw))
            message = translate.response_to_anthropic(completion, decision.model)
        except (ValueError, RecursionError, translate.UpstreamFormatError):
            raise ProxyError(502, f"provider '{upstream.provider}' answered with a body that is not a chat "
                                  "completion (invalid JSON)") from None
        self._record_usage(body, completion.get("usage"))
        return message

    async def _forward_stream(self, request, upstream, headers, outgoing, decision, route_headers, body):
        response = None
        pending = b""
        translator = self._responses(upstream, decision.model).wrap(translate.StreamTranslator(decision.model))
        try:
            async with self._post(upstream, headers, outgoing) as resp:
                await self._check_status(upstream, resp)
                if "text/event-stream" not in resp.headers.get("content-type", ""):
                    message = self._message_from(upstream, await self._read_answer(upstream, resp), decision, body)
                    response = await self._open_stream(request, route_headers)
                    await response.write_eof(translate.events_from_message(message))
                    return response
                response = await self._open_stream(request, route_headers)
                problem, pending = await self._pump(resp, response, translator)
        except (asyncio.TimeoutError, aiohttp.ClientError) as exc:
            error = self._transport_error(upstream, exc)
            if response is None:
                raise error from None
            problem = error.message
        except (ConnectionResetError, aiohttp.ClientConnectionResetError):
            return response  # the client went away; leaving the block closed the upstream request
        if translator.usage:
            self._record_usage(body, translator.usage)
        try:   # what the last read gave, the end of the message and the end of the body: one send
            end = translator.cut(self._mask(problem)) if problem else translator.finish()
            await response.write_eof(pending + end)
        except (ConnectionResetError, aiohttp.ClientConnectionResetError):
            pass
        return response

    async def _open_stream(self, request, route_headers) -> web.StreamResponse:
        response = _EventStream(status=200, headers={
            "content-type": "text/event-stream", "cache-control": "no-cache", **route_headers})
        await response.prepare(request)
        return response

    async def _pump(self, resp, response, translator) -> tuple[str | None, bytes]:
        """Forward the upstream stream: (None when it ended properly, else what went wrong;
        the events of the last read, not written yet, for the caller to send with the end).
        The events one upstream read completes go to the client in one write; message_start
        (with the headers) goes with the first read's events when they have already arrived,
        else on its own at once: a client never waits for it on the provider."""
        parser = translate.SseParser(limits.MAX_SSE_EVENT_BYTES)
        decode = _decode_event
        feed = translator.feed
        content = resp.content
        unsent = translator.start()   # message_start, not written yet
        while True:
            if unsent:
                try:
                    chunk = content.read_nowait()   # what has arrived already, without waiting
                except Exception:
                    await response.write(unsent)    # the client's error event comes after message_start
                    raise
                if not chunk:
                    await response.write(unsent)
                    unsent = b""
                    continue
                out = [unsent]
                unsent = b""
            else:
                chunk = await content.readany()
                if not chunk:
                    break
                out = []
            try:
                events = parser.feed(chunk)
            except translate.UpstreamFormatError as exc:
                return f"the provider sent a malformed stream: {exc}", b"".join(out)
            for data in events:
                if data.strip() == "[DONE]":
                    return None, b"".join(out)
                try:
                    parsed = decode(data)
                except (ValueError, RecursionError):
                    return "the provider sent a stream event that is not valid JSON", b"".join(out)
                if isinstance(parsed, dict) and parsed.get("error") and not parsed.get("choices"):
                    error = parsed["error"]
                    return "the provider reported an error mid-stream: " + (
                        str(error.get("message", error)) if isinstance(error, dict) else str(error)), b"".join(out)
                try:
                    piece = feed(parsed)   # checks the chunk (translate.check_chunk) before any transformer
                except translate.UpstreamFormatError as exc:
                    return f"the provider sent a malformed stream event: {exc}", b"".join(out)
                if piece:
                    out.append(piece)
            if out:
                await response.write(b"".join(out))
        if translator.finished_cleanly:
            return None, b""
        return "the provider's stream ended before the answer finished (connection cut)", b""

    def _upstream_status_error(self, upstream, status: int, raw: bytes) -> ProxyError:
        message = self._mask(translate.upstream_error_message(status, raw))
        error = ProxyError(status, f"provider '{upstream.provider}' answered HTTP {status}: {message}")
        error.upstream_status = status   # what starts a `fallback` list (proxy/fallback.py)
        return error

    def _mask(self, text: str) -> str:
        """`text` with every key ccrgen knows (providers', APIKEY) and URL credentials masked."""
        from ccrgen.common.secrets import mask_text, mask_urls_in

        secrets = self.plan.secrets() if getattr(self, "plan", None) else []
        return mask_text(mask_urls_in(text), [*secrets, str(self.apikey or "")])

    def _error_answer(self, exc: "ProxyError", headers: dict | None = None) -> web.Response:
        """Every error the client gets goes through here: Anthropic's format, secrets masked."""
        exc.message = self._mask(exc.message)
        return _error_response(exc, headers)

    @web.middleware
    async def _last_resort(self, request, handler):
        """Nothing reaches aiohttp's plain-text 500 (and its traceback in the log): an HTTP
        error in Anthropic's format, or an internal error said on one log line."""
        try:
            return await handler(request)
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            return self._error_answer(ProxyError(exc.status, exc.reason))
        except Exception as exc:  # a bug: one line that says where, never a traceback flood
            self.log(f"{request.method} {request.path} 500 internal error: {_one_line(exc)}")
            return self._error_answer(ProxyError(500, f"internal error in ccrgen serve ({type(exc).__name__})"))

    def _transport_error(self, upstream, exc) -> ProxyError:
        from ccrgen.common.secrets import mask_url

        if isinstance(exc, asyncio.TimeoutError):
            return _unreachable(ProxyError(504, f"provider '{upstream.provider}' did not answer within "
                                                f"{self.timeout * 1000:.0f} ms (API_TIMEOUT_MS)", "timeout_error"),
                                "timeout")
        if isinstance(exc, aiohttp.ClientConnectorError):
            return _unreachable(ProxyError(502, f"cannot connect to provider '{upstream.provider}' at "
                                                f"{mask_url(upstream.url)}: {exc.os_error.strerror or exc.os_error}"),
                                _connect_failure(exc))
        if isinstance(exc, aiohttp.ClientPayloadError):
            return ProxyError(502, f"the connection to provider '{upstream.provider}' was cut mid-answer")
        return ProxyError(502, f"provider '{upstream.provider}': {type(exc).__name__}: {exc}")

    def _log_request(self, status, decision, stream: bool, started: float, problem: str | None = None) -> None:
        elapsed = (time.perf_counter() - started) * 1000
        where = (f"route={decision.route} model={_printable(decision.target)} tokens={decision.token_count}"
                 if decision else "route=- model=-")
        why = f" ({_printable(self._mask(problem))[:300]})" if problem else ""
        self.log(f"POST /v1/messages {status} {where} {'stream ' if stream else ''}{elapsed:.1f}ms{why}")


def refuse_credentials_in_urls(loaded, config: dict) -> None:
    """A provider URL with `user:pass@` fails every request in CCR 2.0.0: refused at load."""
    from ccrgen.errors import SpecError

    found = urls_with_credentials(config)
    if found:
        path, provider, url = found[0]
        raise SpecError(f"provider '{provider}': api_base_url {url} has credentials in it (user:pass@); "
                        "CCR 2.0.0 sends requests with fetch, which refuses such URLs, so every request fails",
                        location=loaded.locate(path), path=".".join(map(str, path)),
                        hint="remove the user:pass@ part; put the key in api_key (or a header transformer)")


def _route_headers(decision) -> dict:
    return {"x-ccrgen-route": decision.route, "x-ccrgen-model": _printable(decision.target)}


async def _read_at_most(resp, limit: int) -> bytearray:
    """Up to `limit` bytes of a (decompressed) body: aiohttp inflates chunk by chunk as it is
    read, so a gzip bomb costs no more memory than `limit`."""
    body = bytearray()
    async for chunk in resp.content.iter_chunked(64 * 1024):
        body += chunk[:limit - len(body)]
        if len(body) >= limit:
            break
    return body


def _redirect_error(upstream, resp) -> "ProxyError":
    import yarl

    location = resp.headers.get("location", "")
    try:
        target = upstream.parsed_url.join(yarl.URL(location)) if location else None
        where = f"{target.host}:{target.port}" if target is not None and target.host else "no valid location"
    except (ValueError, TypeError):
        where = "an unreadable location"
    return ProxyError(502, f"provider '{upstream.provider}' answered HTTP {resp.status}, a redirect to "
                           f"{_printable(where)}: ccrgen serve does not follow redirects, so the provider's key "
                           "is never sent to another host (set api_base_url to the URL that answers)")


class _EventStream(web.StreamResponse):
    """A stream whose headers go out with its first write (message_start): one send, not two."""

    _send_headers_immediately = False   # aiohttp's web.Response does the same


# json.dumps(value, ensure_ascii=False, separators=(",", ":")), one encoder for every call
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _decode_event(data: str, _scan=strict_json.scan_once, _decode=strict_json.decode):
    """strict_json.decode(data) (no NaN/Infinity), without its two whitespace matches for
    the usual event, a JSON value from its first character to its last: anything else
    (whitespace around it, not JSON, extra data) goes to the full decoder, which answers
    exactly as before (the value, or its ValueError)."""
    try:
        value, end = _scan(data, 0)
    except StopIteration:
        return _decode(data)
    return value if end == len(data) else _decode(data)


def _error_response(exc: ProxyError, headers: dict | None = None) -> web.Response:
    response = web.json_response(translate.error_body(exc.message, exc.kind), status=exc.status,
                                 headers=headers or {}, dumps=_dumps)
    if getattr(exc, "unreachable", None):
        response.headers[UNREACHABLE_HEADER] = exc.unreachable
    if exc.close:
        response.force_close()
    return response


def _unreachable(error: ProxyError, why: str) -> ProxyError:
    """Mark `error` as "the provider could not be reached" (`smoke` reads the header, exit 4)."""
    error.unreachable = why
    return error


def _connect_failure(exc) -> str:
    import socket

    if isinstance(exc, getattr(aiohttp, "ClientConnectorDNSError", ())) or isinstance(exc.os_error, socket.gaierror):
        return "dns"
    return "refused" if isinstance(exc.os_error, ConnectionRefusedError) else "connect"
