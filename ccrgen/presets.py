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
from ccrgen.resources import data_dir

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


def find_preset(name: str) -> PresetRef:
    refs = {r.name: r for r in all_presets()}
    if name in refs:
        return refs[name]
    close = difflib.get_close_matches(name, list(refs), n=1)
    hint = f"did you mean '{close[0]}'?" if close else "`ccrgen preset list` shows them"
    raise InputError(f"no preset named '{name}'", hint=hint)
