"""Semantic difference between two CCR configs (and their transformer files).

Providers are matched by name and models by value, so reordering is reported as a move
(or not at all with `ignore_order`), never as everything removed and added again. JSON5
formatting and comments are not changes: both sides are compared as parsed data. Secrets
are masked here, before any reporter sees a value.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from typing import Any

from ccrgen.ccr.config import providers_key
from ccrgen.common.document import format_path
from ccrgen.common.secrets import MASK, is_secret_key, mask_everything

ADDED, REMOVED, CHANGED, MOVED = "+", "-", "~", "moved"


@dataclass(frozen=True)
class Change:
    op: str                 # "+", "-", "~" or "moved"
    path: str               # in the user's terms: Router.default, Providers[hicap].models
    old: Any = None
    new: Any = None

    def as_dict(self) -> dict:
        return {"op": self.op, "path": self.path, "old": self.old, "new": self.new}


@dataclass(frozen=True)
class FileChange:
    name: str               # transformer file name
    op: str                 # "+", "-" or "~"
    unified: str            # unified diff text ("" when only added/removed)

    def as_dict(self) -> dict:
        return {"op": self.op, "path": self.name, "old": None, "new": None, "diff": self.unified}


def keyed(config: dict) -> tuple[dict, list[str]]:
    """The config with its provider list turned into a map by name (CCR registers them by
    name), and the provider order, to report moves separately."""
    out = dict(config)
    key = providers_key(config)
    providers = config.get(key)
    order: list[str] = []
    if isinstance(providers, list):
        by_name = {}
        for i, p in enumerate(providers):
            name = p.get("name") if isinstance(p, dict) and isinstance(p.get("name"), str) else f"#{i}"
            while name in by_name:
                name += "'"
            if isinstance(p, dict) and isinstance(p.get("models"), list):
                # models are named by value: a map compares as a set, fast, and keeps the
                # list for reporting moves
                p = {**p, "models": {m if isinstance(m, str) else json.dumps(m): m for m in p["models"]}}
            by_name[name] = p
            order.append(name)
        out[key] = by_name
    return out, order


def _label(parts: list) -> str:
    """Providers.hicap.models -> Providers[hicap].models (a provider is named, not numbered)."""
    if len(parts) >= 2 and parts[0] in ("Providers", "providers") and isinstance(parts[1], str):
        return f"{parts[0]}[{parts[1]}]" + (format_path(["x", *parts[2:]])[1:] if len(parts) > 2 else "")
    return format_path(parts)


def _is_secret_path(parts: list) -> bool:
    return any(isinstance(p, str) and is_secret_key(p) for p in parts)


def _show(parts: list, value: Any) -> Any:
    """A value as it may be printed: anything under a secret key, or shaped like a key, masked
    (environment references too: a diff only says that a secret changed)."""
    if value is None:
        return None
    last = next((p for p in reversed(parts) if isinstance(p, str)), "")
    if _is_secret_path(parts) and not isinstance(value, (dict, list)):
        return MASK
    return mask_everything(value, last if not isinstance(value, (dict, list)) else "")


def _is_models_list(parts: list) -> bool:
    return len(parts) >= 3 and parts[0] in ("Providers", "providers") and parts[2] == "models"


def diff_configs(old: dict | None, new: dict, *, ignore_order: bool = False) -> list[Change]:
    """Every change from `old` (None: nothing installed) to `new`, secrets masked."""
    if old is None:
        return [Change(ADDED, key, None, _show([key], value)) for key, value in new.items()]
    old_k, old_order = keyed(old)
    new_k, new_order = keyed(new)
    old_d, new_d = _without_equal_parts(old_k, new_k, providers_key(new))
    changes: list[Change] = []
    for kind, parts, t1, t2 in _tree(old_d, new_d):
        if len(parts) > 3 and _is_models_list(parts):
            parts = parts[:3]  # a model is named by its value, not its position
        t1 = None if kind.endswith("_added") else t1
        t2 = None if kind.endswith("_removed") else t2
        op = ADDED if kind.endswith("_added") else REMOVED if kind.endswith("_removed") else CHANGED
        old_shown, new_shown = _show(parts, t1), _show(parts, t2)
        if op == CHANGED and old_shown == new_shown == MASK:
            old_shown, new_shown = MASK, MASK + " (changed)"
        changes.append(Change(op, _label(parts), old_shown, new_shown))
    if not ignore_order:
        changes += _moves(old_order, new_order, old_k, new_k, providers_key(new))
    return sorted(changes, key=lambda c: (c.path, c.op))


_DEEPDIFF_THRESHOLD = 0.33  # DeepDiff's threshold_to_diff_deeper (its default)
_SCALARS = (str, int, float, bool)


def _tree(old: dict, new: dict) -> list[tuple[str, list, Any, Any]]:
    """(kind, path as a list, old value, new value) of every change, exactly as
    `DeepDiff(old, new, view="tree")` reports them and in the same order.

    DeepDiff makes a tree node for every key two mappings share, equal or not: tens of
    thousands for the models of a big config, most of a diff's time (and deepdiff takes
    0.2 s to import). Here mappings and scalars are compared as DeepDiff compares them (its
    key order, its threshold for calling a whole mapping changed, values_changed), equal
    values are skipped without a node, and anything else (lists that differ, mixed types)
    is handed to DeepDiff. tests/test_diff_exact.py holds the two to the same output.
    """
    walk = _Walk()
    walk.value(old, new, [])
    found = walk.found
    if walk.used_deepdiff:  # the kinds in DeepDiff's order: it decides ties of the final sort
        from deepdiff.model import REPORT_KEYS

        order = [k for k in REPORT_KEYS if k in found] + [k for k in found if k not in REPORT_KEYS]
        found = {k: found[k] for k in order}
    found = {k: v for k, v in found.items() if v}
    _pair_iterable_changes(found)
    return [(kind, parts, t1, t2) for kind, levels in found.items() for parts, t1, t2 in levels]


class _Walk:
    def __init__(self) -> None:
        self.found: dict[str, list] = {}
        self.used_deepdiff = False

    def report(self, kind: str, parts: list, t1, t2) -> None:
        self.found.setdefault(kind, []).append((parts, t1, t2))

    def value(self, t1, t2, parts: list) -> None:
        if t1 is t2:
            return
        kind = type(t1)
        if kind is dict and type(t2) is dict:
            self.mapping(t1, t2, parts)
        elif kind is type(t2) and kind in _SCALARS:
            if t1 != t2:  # NaN too, as DeepDiff
                self.report("values_changed", parts, t1, t2)
        elif not _same(t1, t2):
            self.deepdiff(t1, t2, parts)

    def mapping(self, t1: dict, t2: dict, parts: list) -> None:
        """DeepDiff's _diff_dict: the keys only in t2 (in t2's order), only in t1, then the
        shared ones (in t2's order); a mapping that shares too few keys is changed as a whole."""
        shared = [k for k in t2 if k in t1]
        union = len(t1) + len(t2) - len(shared)
        if union > 1 and len(shared) / union < _DEEPDIFF_THRESHOLD:
            self.report("values_changed", parts, t1, t2)
            return
        for k in t2:
            if k not in t1:
                self.report("dictionary_item_added", parts + [k], None, t2[k])
        for k in t1:
            if k not in t2:
                self.report("dictionary_item_removed", parts + [k], t1[k], None)
        for key in shared:
            a, b = t1[key], t2[key]
            if a is not b and not (type(a) is type(b) and type(a) in _SCALARS and a == b):
                self.value(a, b, parts + [key])

    def deepdiff(self, t1, t2, parts: list) -> None:
        """DeepDiff on one pair of values, its paths under `parts`. report_repetition: its tree
        as found, before it pairs list items added and removed at one path (done once for the
        whole tree, by _pair_iterable_changes; report_repetition changes nothing else when
        order matters)."""
        from deepdiff import DeepDiff

        self.used_deepdiff = True
        for kind, levels in DeepDiff(t1, t2, view="tree", report_repetition=True).items():
            for level in levels:
                self.report(kind, parts + level.path(output_format="list"), level.t1, level.t2)


def _same(a, b) -> bool:
    """Equal with the same types all the way down, so DeepDiff reports nothing (1 and 1.0,
    or true and 1, are equal to Python, not to DeepDiff)."""
    kind = type(a)
    if kind is not type(b):
        return False
    if kind is dict:
        return a.keys() == b.keys() and all(_same(v, b[k]) for k, v in a.items())
    if kind is list:
        return len(a) == len(b) and all(map(_same, a, b))
    return (kind in _SCALARS or a is None) and a == b


def _pair_iterable_changes(found: dict) -> None:
    """DeepDiff's mutual_add_removes_to_become_value_changes: a list item removed and one
    added at the same path are a value changed."""
    added, removed = found.get("iterable_item_added"), found.get("iterable_item_removed")
    if added is None or removed is None:
        return
    added_at = {tuple(item[0]): item for item in added}
    removed_at = {tuple(item[0]): item for item in removed}
    changed = found.setdefault("values_changed", [])
    for path in set(added_at) & set(removed_at):
        before, after = removed_at[path], added_at[path]
        removed.remove(before)
        added.remove(after)
        changed.append((before[0], before[1], after[2]))
    for kind in ("iterable_item_removed", "iterable_item_added"):
        if not found[kind]:
            del found[kind]


def _without_equal_parts(old: dict, new: dict, key: str) -> tuple[dict, dict]:
    """Both configs without the top-level keys and providers that are equal on both sides:
    deepdiff then walks only what differs (a 1,000-provider config has ~60,000 values)."""
    old_d = {k: v for k, v in old.items() if k not in new or new[k] != v}
    new_d = {k: v for k, v in new.items() if k not in old or old[k] != v}
    if isinstance(old_d.get(key), dict) and isinstance(new_d.get(key), dict):
        before, after = old_d[key], new_d[key]
        old_d[key] = {n: p for n, p in before.items() if n not in after or after[n] != p}
        new_d[key] = {n: p for n, p in after.items() if n not in before or before[n] != p}
    return old_d, new_d


def _moves(old_order, new_order, old_k, new_k, key) -> list[Change]:
    moves = []
    common = [n for n in old_order if n in new_order]
    if common != [n for n in new_order if n in old_order]:
        moves.append(Change(MOVED, key, [n for n in old_order if n in common],
                            [n for n in new_order if n in common]))
    for name in common:
        old_models = list((old_k.get(key) or {}).get(name, {}).get("models") or [])
        new_models = list((new_k.get(key) or {}).get(name, {}).get("models") or [])
        if old_models and new_models:
            old_set, new_set = set(old_models), set(new_models)
            both = [m for m in old_models if m in new_set]
            if both != [m for m in new_models if m in old_set]:
                moves.append(Change(MOVED, f"{key}[{name}].models", both, [m for m in new_models if m in both]))
    return moves


def diff_files(old: dict[str, str], new: dict[str, str]) -> list[FileChange]:
    """Transformer files by name: unified text diffs of the ones that differ."""
    changes = []
    for name in sorted(set(old) | set(new)):
        before, after = old.get(name), new.get(name)
        if before == after:
            continue
        op = ADDED if before is None else REMOVED if after is None else CHANGED
        unified = "".join(difflib.unified_diff(
            (before or "").splitlines(keepends=True), (after or "").splitlines(keepends=True),
            fromfile=f"installed/{name}", tofile=f"built/{name}"))
        changes.append(FileChange(name, op, unified))
    return changes
