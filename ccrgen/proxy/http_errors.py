"""aiohttp's own answers and log lines, in ccrgen serve's shape. A request so malformed
that aiohttp refuses it before any handler runs (oversized headers, Content-Length with
Transfer-Encoding, a body in an encoding it cannot decode) still gets an error in
Anthropic's format, and leaves one line in the log instead of a traceback per request (a
log flood any client could cause)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from aiohttp import web
from aiohttp.web_protocol import RequestHandler, RequestPayloadError

from ccrgen.proxy.request import printable

def one_line(exc: BaseException) -> str:
    """An exception as `Type: first line of its message (file:line)`, for one log line."""
    import traceback

    frames = traceback.extract_tb(exc.__traceback__) if exc.__traceback__ else []
    where = f" ({Path(frames[-1].filename).name}:{frames[-1].lineno})" if frames else ""
    text = str(getattr(exc, "message", "") or exc).strip().splitlines()
    return f"{type(exc).__name__}: {printable(text[0] if text else '')[:200]}{where}"


def anthropic_error(status: int, message: str) -> web.Response:
    from ccrgen.proxy.translate import error_body, error_type_for

    body = json.dumps(error_body(message, error_type_for(status)), ensure_ascii=False, separators=(",", ":"))
    return web.Response(status=status, text=body, content_type="application/json")


class _JsonErrors(RequestHandler):
    """aiohttp's request handler, answering its own errors in Anthropic's format."""

    def handle_error(self, request, status: int = 500, exc: BaseException | None = None,
                     message: str | None = None) -> web.StreamResponse:
        plain = super().handle_error(request, status, exc, message)   # logs (one line) and checks
        reason = getattr(exc, "message", None) or plain.reason or "malformed request"
        first = printable(str(reason).strip().splitlines()[0] if str(reason).strip() else "malformed request")
        answer = anthropic_error(status, f"malformed HTTP request: {first[:200]}")
        answer.force_close()
        return answer


class _Server(web.Server):
    def __call__(self) -> RequestHandler:
        return _JsonErrors(self, loop=self._loop, **self._kwargs)


class AppRunner(web.AppRunner):
    """web.AppRunner whose connections answer aiohttp-level errors as _JsonErrors does."""

    async def _make_server(self) -> web.Server:
        server = await super()._make_server()
        server.__class__ = _Server
        return server


class _OneLine(logging.Handler):
    def __init__(self, log, mask):
        super().__init__(logging.INFO)
        self.write, self.mask = log, mask

    def emit(self, record: logging.LogRecord) -> None:
        try:
            error = record.exc_info[1] if record.exc_info else None
            if isinstance(error, RequestPayloadError):
                return  # aiohttp draining the body of a request that was already answered and logged
            line = record.getMessage() + (f": {one_line(error)}" if error is not None else "")
            self.write("http: " + printable(self.mask(line))[:400])
        except Exception:  # a log line must never take the server down
            pass


def one_line_logger(log, mask) -> logging.Logger:
    """The logger for aiohttp's server side: each event as one `http: ...` line to `log`."""
    logger = logging.Logger("ccrgen.proxy.http", logging.INFO)   # outside the logging tree: no propagation
    logger.addHandler(_OneLine(log, mask))
    return logger


def loop_errors_to(log):
    """An asyncio exception handler (an error in a callback or a task nobody awaited) that
    says it on one line to `log` instead of the default traceback on stderr."""
    def handle(loop, context: dict) -> None:
        error = context.get("exception")
        detail = f": {one_line(error)}" if error is not None else ""
        log("asyncio: " + printable(context.get("message", "error"))[:200] + detail)
    return handle
