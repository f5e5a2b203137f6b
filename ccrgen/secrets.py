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
