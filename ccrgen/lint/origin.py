"""Findings at the user's own line, for a spec that extends presets or other spec files.

A rule reports the config value it judged; in a spec that extends a preset that value may
have been written by the preset. Then:
- if the same finding comes from what the spec extends alone, it is the preset's own: an
  error or warning stays where the preset sets the value (named `preset hicap`, never by a
  site-packages path), an info finding (style) is the preset's business and is dropped;
- otherwise the user's spec caused it: it is reported at the user's line that did (the
  nearest value the user set on the way to it, else the user's value it names, else the
  `extends` line), with the preset's line as context.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Mapping

from ccrgen.common.document import format_path
from ccrgen.errors import Location

OWN_KEYS_THAT_ADD_NOTHING = ("extends", "$schema", "description")


def attribute(loaded, findings: list, *, ignore=(), env: Mapping[str, str] | None = None) -> list:
    if loaded.kind != "spec":
        return findings
    user_file = loaded.file
    outside = [f for f in findings if f.file != user_file]
    if not outside:
        name = shown(user_file)  # `lint --preset hicap`: `preset hicap`, not its path
        return findings if name == user_file else [f.replace(file=name) for f in findings]
    own = {p: loc for p, loc in loaded.document.value_marks.items() if loc.file == user_file and p}
    writes_something = any(p[0] not in OWN_KEYS_THAT_ADD_NOTHING for p in own)
    inherited = _base_keys(loaded, ignore, env) if writes_something else None
    out = []
    for f in findings:
        if f.file == user_file:
            out.append(f)
        elif inherited is None or _key(f) in inherited:
            if f.severity != "info":
                out.append(f.replace(file=shown(f.file)))
        else:
            out.append(_at_users_line(loaded, f, own))
    return out


def _key(f) -> tuple:
    return f.code, f.path, f.message


@lru_cache(maxsize=64)
def shown(file: str) -> str:
    """How a finding names its file: `preset hicap` for a preset, else the path as given."""
    from ccrgen.spec.presets import display_name

    return display_name(file)




def _base_keys(loaded, ignore, env) -> set | None:
    """The findings of what the spec extends, alone (None when that is not a valid spec)."""
    from ccrgen.errors import CcrgenError
    from ccrgen.lint.engine import lint
    from ccrgen.spec.loader import load

    extends = loaded.document.data.get("extends")
    if not extends:
        return set()
    try:
        base = load(Path(loaded.file), text=f"extends: {json.dumps(extends)}\n",
                    ccr_dir=loaded.transformer_dir)
    except CcrgenError:
        return None
    return {_key(f) for f in lint(base, ignore=ignore, env=env)}


def _at_users_line(loaded, f, own: dict):
    spec_path = loaded.spec_path(f.config_path) if f.config_path is not None else None
    where = _nearest_own(spec_path or (), own) or _named_own(f, own) or _extends_line(loaded, own)
    if where is None:
        return f.replace(file=shown(f.file))
    context = f"{format_path(spec_path) if spec_path else 'the value'} is set in {shown(f.file)}"
    if f.line is not None:
        context += f":{f.line}" + (f":{f.column}" if f.column is not None else "")
    return f.replace(file=where.file, line=where.line, column=where.column, context=context)


def _nearest_own(spec_path: tuple, own: dict) -> Location | None:
    for cut in range(len(spec_path), 0, -1):
        if spec_path[:cut] in own:
            return own[spec_path[:cut]]
    return None


def _named_own(f, own: dict) -> Location | None:
    """The user's setting whose keys the finding names (`unknown model 'hicap,x'` after the
    user replaced `providers.hicap.models`): the deepest such key, list items aside."""
    words = set(re.findall(r"[\w.\-]+", f"{f.message} {f.hint or ''}"))
    best = None
    for path, loc in own.items():
        keys = tuple(p for p in path if isinstance(p, str))
        if path[0] in OWN_KEYS_THAT_ADD_NOTHING or not any(k in words for k in keys) or isinstance(path[-1], int):
            continue
        if best is None or len(path) > len(best[0]) or (len(path) == len(best[0]) and _before(loc, best[1])):
            best = (path, loc)
    return best[1] if best else None


def _before(a: Location, b: Location) -> bool:
    return (a.line or 0, a.column or 0) < (b.line or 0, b.column or 0)


def _extends_line(loaded, own: dict) -> Location | None:
    return own.get(("extends",)) or next((loc for p, loc in own.items() if p[0] == "extends"), None)
