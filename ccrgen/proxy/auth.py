"""Client auth, as CCR 2.0.0's server does it (packages/server/src/middleware/auth.ts).

With an `APIKEY`, every path except `/` and `/health` needs `x-api-key: KEY` or
`Authorization: Bearer KEY`: a missing key is 401 `APIKEY is missing`, a wrong one 401
`Invalid API key`. Without one there is no auth, so the proxy listens on loopback only,
whatever the host asked for (CCR forces 127.0.0.1 when it has providers and no APIKEY).
"""

from __future__ import annotations

import hmac

OPEN_PATHS = ("/", "/health")
LOOPBACK = "127.0.0.1"


def presented_key(headers) -> str | None:
    key = headers.get("x-api-key")
    if key:
        return key
    authorization = headers.get("authorization") or ""
    if authorization[:7].lower() == "bearer ":
        return authorization[7:].strip()
    return None


def refusal(path: str, headers, apikey: str | None) -> str | None:
    """None when the request may pass, else the 401 message CCR gives."""
    if not apikey or path in OPEN_PATHS:
        return None
    key = presented_key(headers)
    if not key:
        return "APIKEY is missing"
    if not hmac.compare_digest(_raw(key), _raw(str(apikey))):
        return "Invalid API key"
    return None


def _raw(text: str) -> bytes:
    """A header value's bytes: aiohttp decodes headers as UTF-8 with surrogateescape, so a
    key that is not UTF-8 is compared as the bytes the client sent (never a 500)."""
    return text.encode("utf-8", "surrogateescape")


def bind_host(requested: str | None, apikey: str | None) -> tuple[str, str | None]:
    """The host to listen on, and a note when the request was overridden."""
    host = requested or LOOPBACK
    if not apikey and host not in (LOOPBACK, "localhost", "::1"):
        return LOOPBACK, (f"no APIKEY in the config: listening on {LOOPBACK} only, not {host} "
                          "(set APIKEY to serve other machines)")
    return host, None
