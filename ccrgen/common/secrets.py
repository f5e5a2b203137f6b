"""Keep secrets out of everything ccrgen prints.

A value is shown as written only when it is purely an environment reference (`$NAME`,
`${NAME}`); any other value under a key that holds secrets is replaced by a mask that
says it is set, never what it is.
"""

from __future__ import annotations

import re
from typing import Any

SECRET_KEY = re.compile(r"(api[_-]?key|apikey|token|secret|password|passwd|authorization)", re.I)
ONLY_REFERENCE = re.compile(r"^(\$\{[^}]+\}|\$[A-Za-z_][A-Za-z0-9_]*)$")
MASK = "********"


def is_secret_key(key: str) -> bool:
    return bool(SECRET_KEY.search(key))


def is_reference(value: str) -> bool:
    return bool(ONLY_REFERENCE.match(value.strip()))


def mask_value(value: Any) -> Any:
    if isinstance(value, str) and (value == "" or is_reference(value)):
        return value
    return MASK


def mask_config(value: Any, key: str = "") -> Any:
    """A copy of `value` with every secret-holding value masked."""
    if isinstance(value, dict):
        return {k: mask_config(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_config(v, key) for v in value]
    if key and is_secret_key(key) and not isinstance(value, (dict, list, bool)) and value is not None:
        return mask_value(value)
    return value


def mask_text(text: str, secrets: list[str]) -> str:
    """Remove known secret values from free text (log lines, upstream error bodies)."""
    for secret in sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


PLACEHOLDER = re.compile(r"^(sk-?|sk-[x*.]+|sk-or-v1-|x{3,}|\*+|\?+|<.*>|your[-_ ].*|.*[-_]here|changeme|todo|placeholder|api[-_]?key)$", re.I)


def looks_like_placeholder(value: str) -> bool:
    """`sk-xxx`, `your-key`, `<API_KEY>`: text copied from an example, not a real key."""
    return bool(PLACEHOLDER.match(value.strip()))


KEY_LIKE = re.compile(r"^(?:(?:sk|pk|rk|key|api)[-_][A-Za-z0-9_-]{8,}|[A-Za-z0-9+_=-]{32,})$")


def looks_like_key(value: str) -> bool:
    """A literal that has the shape of an API key (prefix `sk-`..., or a long token mixing
    letters and digits), wherever it appears."""
    value = value.strip()
    if not KEY_LIKE.match(value):
        return False
    return value[:3].lower() in ("sk-", "sk_", "pk-", "pk_", "rk-", "rk_") or value.lower().startswith(("key", "api")) \
        or (value.count("-") <= 2 and any(c.isdigit() for c in value) and any(c.isalpha() for c in value))


def mask_everything(value: Any, key: str = "") -> Any:
    """Like mask_config, but references are masked too, and key-shaped strings anywhere:
    for outputs (such as diffs) that must not even say which variable holds a key."""
    if isinstance(value, dict):
        return {k: mask_everything(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_everything(v, key) for v in value]
    if isinstance(value, str) and value and ((key and is_secret_key(key)) or looks_like_key(value)):
        return MASK
    if key and is_secret_key(key) and isinstance(value, (int, float)) and not isinstance(value, bool):
        return MASK
    return value


URL_IN_TEXT = re.compile(r"\b[A-Za-z][A-Za-z0-9+.-]*://[^\s\"'<>]+")
SECRET_QUERY_KEY = re.compile(r"(^|[-_.])(key|sig|signature|code|auth|credential|pass)([-_.]|$)|" + SECRET_KEY.pattern, re.I)


def mask_url(url: str) -> str:
    """`url` with the credentials it carries masked: the `user:pass@` part, and the values
    of query parameters that hold secrets (`?key=`, `?api_key=`, `?token=`...) or look like
    a key. Anything that is not a URL is returned as it is."""
    from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

    if not isinstance(url, str) or "://" not in url:
        return url
    try:
        parts = urlsplit(url)
        netloc = parts.netloc
        if "@" in netloc:
            netloc = MASK + "@" + netloc.rpartition("@")[2]
        query = parts.query
        if query:
            pairs = parse_qsl(query, keep_blank_values=True)
            query = urlencode([(k, MASK if v and (SECRET_QUERY_KEY.search(k) or looks_like_key(v)) else v)
                               for k, v in pairs], safe="*$")
        return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
    except ValueError:  # not parseable (a bad IPv6 literal...): keep only the scheme
        return url.partition("://")[0] + "://" + MASK


def mask_urls_in(text: str) -> str:
    """Free text (an error message) with every URL in it passed through mask_url."""
    return URL_IN_TEXT.sub(lambda match: mask_url(match.group(0)), text)


def url_has_credentials(url: str) -> bool:
    """True when `url` carries `user:pass@` (or just `user@`) before its host."""
    from urllib.parse import urlsplit

    try:
        return "@" in urlsplit(url).netloc
    except ValueError:
        return False
