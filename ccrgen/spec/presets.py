"""Ready-made specs: bundled with ccrgen, or a user's own.

A preset is a spec file `<name>.yaml`. Bundled ones live in presets/ (inside the wheel);
a user's own live in $CCRGEN_PRESETS_DIR, else $XDG_CONFIG_HOME/ccrgen/presets, else
~/.config/ccrgen/presets. A user preset with the name of a bundled one takes its place.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass
from pathlib import Path

from ccrgen.errors import InputError
from ccrgen.common.resources import data_dir

PRESET_SUFFIX = ".yaml"


@dataclass(frozen=True)
class PresetRef:
    name: str
    path: Path
    origin: str  # "bundled" or "user"
    shadows_bundled: bool = False


def user_presets_dir() -> Path:
    if os.environ.get("CCRGEN_PRESETS_DIR"):
        return Path(os.environ["CCRGEN_PRESETS_DIR"]).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "ccrgen" / "presets"


def _scan(folder: Path) -> dict[str, Path]:
    if not folder.is_dir():
        return {}
    return {p.name[: -len(PRESET_SUFFIX)]: p for p in sorted(folder.glob("*" + PRESET_SUFFIX))}


def all_presets() -> list[PresetRef]:
    """Bundled first (in name order, hicap leading), then user presets."""
    bundled = _scan(data_dir("presets"))
    user = _scan(user_presets_dir())
    refs = [PresetRef(n, p, "bundled") for n, p in bundled.items() if n not in user]
    refs.sort(key=lambda r: (r.name != "hicap", r.name))
    refs += [PresetRef(n, p, "user", n in bundled) for n, p in user.items()]
    return refs


def display_name(file: str | Path) -> str:
    """How a file is named to the user: `preset hicap` for a bundled preset (never its
    site-packages path), `preset NAME (user)` for a user preset, else the path as given."""
    path = Path(file)
    if path.name.endswith(PRESET_SUFFIX):
        try:
            real = path.resolve()
            if real.parent == data_dir("presets").resolve():
                return f"preset {path.name[: -len(PRESET_SUFFIX)]}"
            if real.parent == user_presets_dir().resolve():
                return f"preset {path.name[: -len(PRESET_SUFFIX)]} (user)"
        except (OSError, RuntimeError):  # RuntimeError: a symlink loop (Python < 3.13)
            pass
    return str(file)


def find_preset(name: str, *, bundled_only: bool = False) -> PresetRef:
    if bundled_only:
        refs = {n: PresetRef(n, p, "bundled") for n, p in _scan(data_dir("presets")).items()}
    else:
        refs = {r.name: r for r in all_presets()}
    if name in refs:
        return refs[name]
    close = difflib.get_close_matches(name, list(refs), n=1)
    hint = f"did you mean '{close[0]}'?" if close else "`ccrgen preset list` shows them"
    raise InputError(f"no preset named '{name}'", hint=hint)


# --- summaries (what `preset list` shows) ----------------------------------------------
#
# Summarising a preset means validating it, which imports pydantic (~100 ms). For the
# bundled presets the summaries are precomputed in presets/index.json, together with a
# digest of the preset files they were computed from; when the files no longer match
# (an edited checkout), the summaries are computed again. A user's own presets are
# always summarised live.

INDEX_NAME = "index.json"


def summarise(ref: PresetRef) -> dict:
    """name, origin, path, description, providers, models (count), default_route."""
    from ccrgen.errors import CcrgenError
    from ccrgen.spec.resolve import resolve_file

    row = {"name": ref.name, "origin": ref.origin, "path": str(ref.path)}
    try:
        spec = resolve_file(ref.path).spec
    except CcrgenError as exc:  # a broken user preset is listed, with why
        return {**row, "description": f"(invalid: {exc.message})", "providers": [], "models": 0,
                "default_route": ""}
    return {**row, "description": spec.description or "", "providers": list(spec.providers),
            "models": sum(len(p.models) for p in spec.providers.values()),
            "default_route": spec.routes.default or ""}


def bundled_digest() -> str:
    import hashlib

    digest = hashlib.sha256()
    for name, path in _scan(data_dir("presets")).items():
        digest.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def build_index() -> str:
    """The text of presets/index.json for the bundled presets as they are now."""
    import json

    bundled = [PresetRef(n, p, "bundled") for n, p in _scan(data_dir("presets")).items()]
    summaries = {}
    for ref in bundled:
        row = summarise(ref)
        summaries[ref.name] = {k: row[k] for k in ("description", "providers", "models", "default_route")}
    return json.dumps({"digest": bundled_digest(), "presets": summaries}, indent=2, sort_keys=True) + "\n"


def _bundled_index() -> dict:
    import json

    try:
        index = json.loads((data_dir("presets") / INDEX_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return index.get("presets", {}) if index.get("digest") == bundled_digest() else {}


def preset_summaries() -> list[dict]:
    """One summary per preset, in `all_presets()` order."""
    index = _bundled_index()
    rows = []
    for ref in all_presets():
        if ref.origin == "bundled" and ref.name in index:
            row = {"name": ref.name, "origin": ref.origin, "path": str(ref.path), **index[ref.name]}
        else:
            row = summarise(ref)
        if ref.shadows_bundled:
            row["origin"] = "user (replaces bundled)"
        rows.append(row)
    return rows


if __name__ == "__main__":  # python -m ccrgen.spec.presets > presets/index.json
    print(build_index(), end="")
