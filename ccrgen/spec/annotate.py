"""The merged spec as YAML, each value annotated with where it came from (`ccrgen resolve`,
like `helm get values --all` or `docker compose config`).

Origins come from the marks the merge keeps (merge.py): every value of the merged tree
still points at the file and line that set it. A secret written in a spec is masked; an
environment reference (`$HICAP_API_KEY`) is shown, since a name is not a secret.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ccrgen.common.document import Document, format_path
from ccrgen.spec.presets import display_name
from ccrgen.common.secrets import is_reference, is_secret_key, mask_value


PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")


def origin(doc: Document, path: tuple) -> str:
    loc = doc.locate(path)
    name = display_name(loc.file)
    return f"{name}:{loc.line}" if loc.line is not None else name


def _shown(key, value):
    if isinstance(value, str) and isinstance(key, str) and is_secret_key(key) and not is_reference(value):
        return mask_value(value)
    return value


def entries(doc: Document) -> list[dict]:
    """Every leaf of the merged spec: path, value (secrets masked), origin."""
    out = []

    def walk(node, path, key):
        if isinstance(node, dict) and node:
            for k, v in node.items():
                walk(v, path + (k,), k)
        elif isinstance(node, list) and node and any(isinstance(v, (dict, list)) for v in node):
            for i, v in enumerate(node):
                walk(v, path + (i,), key)
        else:
            out.append({"path": format_path(path), "value": _shown(key, node), "origin": origin(doc, path)})

    walk(doc.data, (), None)
    return out


def _scalar(value: Any) -> str:
    # JSON is valid YAML for scalars and flow lists; it keeps strings unambiguous.
    return json.dumps(value, ensure_ascii=False)


def as_yaml(doc: Document) -> str:
    """The merged spec as YAML with a `# origin` comment on every value."""
    lines: list[str] = []

    def walk(node, path, indent, key):
        pad = "  " * indent
        if isinstance(node, dict):
            for k, v in node.items():
                label = k if isinstance(k, str) and PLAIN_KEY.fullmatch(k) else _scalar(k)
                if isinstance(v, dict) and v or isinstance(v, list) and any(isinstance(i, (dict, list)) for i in v):
                    lines.append(f"{pad}{label}:")
                    walk(v, path + (k,), indent + 1, k)
                else:
                    lines.append(f"{pad}{label}: {_scalar(_shown(k, v))}  # {origin(doc, path + (k,))}")
        elif isinstance(node, list):
            for i, v in enumerate(node):
                if isinstance(v, (dict, list)) and v:
                    lines.append(f"{pad}- # {origin(doc, path + (i,))}")
                    walk(v, path + (i,), indent + 1, key)
                else:
                    lines.append(f"{pad}- {_scalar(_shown(key, v))}  # {origin(doc, path + (i,))}")

    walk(doc.data, (), 0, None)
    return "\n".join(lines) + "\n"
