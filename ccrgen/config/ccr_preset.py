"""A ccrgen preset as a CCR 2.0.0 preset folder: `manifest.json` (CCR's format: metadata,
a `schema` of inputs, a `template` with `#{input}` placeholders) plus the transformer files
the preset renders.

Keys are never embedded: every secret-holding value (`api_key`, `APIKEY`) becomes a
`#{INPUT}` placeholder and the schema asks for it at `ccr preset install` (type password).
The input is named after the environment variable the preset refers to (`$HICAP_API_KEY`
-> `HICAP_API_KEY`), so one key used twice is asked for once. Transformer paths are
relative: CCR resolves them against the installed preset's folder.
"""

from __future__ import annotations

import re
from pathlib import Path

from ccrgen import __version__
from ccrgen.ccr import facts
from ccrgen.ccr.config import env_references, providers_of
from ccrgen.common.secrets import is_secret_key

INPUT_ID = re.compile(r"[^A-Za-z0-9_]")


def manifest(name: str, loaded) -> tuple[dict, dict[str, str]]:
    """(manifest.json content, transformer files) for a preset loaded with `loader.load`."""
    from ccrgen.config.render import render

    spec = loaded.spec
    rendered = render(spec, Path("/ccrgen-preset"))
    config = rendered.config
    for entry in config.get("transformers") or []:
        if isinstance(entry, dict) and str(entry.get("path", "")).startswith("/ccrgen-preset/"):
            entry["path"] = entry["path"][len("/ccrgen-preset/"):]
    inputs: dict[str, dict] = {}
    template = _with_placeholders(config, inputs, where="")
    for field in inputs.values():
        uses = field.pop("uses")
        field["prompt"] = f"Enter {field['id']} (used for: {', '.join(uses)})"
    document = {
        "name": name,
        "version": __version__,
        "description": spec.description or f"{name} (exported by ccrgen)",
        "author": "ccrgen",
        "keywords": ["ccrgen", *[str(p.get("name")) for p in providers_of(config) if isinstance(p, dict)]],
        "ccrVersion": facts.CCR_VERSION,
        "schema": list(inputs.values()),
        "template": template,
    }
    return document, dict(rendered.files)


def _with_placeholders(value, inputs: dict, where: str, key: str = ""):
    if isinstance(value, dict):
        label = value.get("name") if isinstance(value.get("name"), str) else None
        return {k: _with_placeholders(v, inputs, label or where, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_with_placeholders(v, inputs, where, key) for v in value]
    if isinstance(value, str) and key and is_secret_key(key) and value:
        names = env_references(value)
        input_id = INPUT_ID.sub("_", names[0]) if names else INPUT_ID.sub("_", f"{where or 'router'}_{key}").upper()
        what = f"the key of provider '{where}'" if where else "the key clients send to CCR (APIKEY)"
        field = inputs.setdefault(input_id, {"id": input_id, "type": "password", "label": input_id,
                                             "required": True, "uses": []})
        if what not in field["uses"]:
            field["uses"].append(what)
        return f"#{{{input_id}}}"
    return value
