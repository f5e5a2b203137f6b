"""`ccrgen diff` compares mappings itself and hands only the rest to DeepDiff
(ccrgen/lifecycle/diff.py, `_tree`): its changes must be exactly those of DeepDiff run on the
whole config, in the same order, on every kind of edit."""

from __future__ import annotations

import copy
import json
import random

import pytest

from ccrgen.lifecycle import diff


def reference_tree(old: dict, new: dict) -> list:
    """What `_tree` stands for: DeepDiff's tree view of the whole pair."""
    from deepdiff import DeepDiff

    return [(kind, level.path(output_format="list"), level.t1, level.t2)
            for kind, levels in DeepDiff(old, new, view="tree").items() for level in levels]


def comparable(tree: list) -> dict:
    """Each kind's changes in order; values as JSON text (NaN != NaN would fail an equal
    comparison) and DeepDiff's `not present` marker as None, as diff_configs reads them.
    The order of the kinds themselves (a set's order in DeepDiff) decides nothing but ties of
    diff_configs' sort, which the comparison of diff_configs below covers."""
    def shown(kind, t1, t2):
        t1 = None if kind.endswith("_added") else t1
        t2 = None if kind.endswith("_removed") else t2
        return json.dumps(t1), json.dumps(t2)

    out: dict = {}
    for kind, parts, t1, t2 in tree:
        out.setdefault(kind, []).append((list(parts), *shown(kind, t1, t2)))
    return out


def reference_changes(old: dict, new: dict, *, ignore_order: bool = False) -> list:
    """diff_configs as it was, with DeepDiff over the whole config."""
    from deepdiff import DeepDiff

    old_k, old_order = diff.keyed(old)
    new_k, new_order = diff.keyed(new)
    old_d, new_d = diff._without_equal_parts(old_k, new_k, "Providers")
    changes = []
    for kind, levels in DeepDiff(old_d, new_d, view="tree").items():
        for level in levels:
            parts = level.path(output_format="list")
            if len(parts) > 3 and diff._is_models_list(parts):
                parts = parts[:3]
            t1 = None if kind.endswith("_added") else level.t1
            t2 = None if kind.endswith("_removed") else level.t2
            op = "+" if kind.endswith("_added") else "-" if kind.endswith("_removed") else "~"
            old_shown, new_shown = diff._show(parts, t1), diff._show(parts, t2)
            if op == "~" and old_shown == new_shown == diff.MASK:
                old_shown, new_shown = diff.MASK, diff.MASK + " (changed)"
            changes.append(diff.Change(op, diff._label(parts), old_shown, new_shown))
    if not ignore_order:
        changes += diff._moves(old_order, new_order, old_k, new_k, "Providers")
    return sorted(changes, key=lambda c: (c.path, c.op))


def same_changes(old: dict, new: dict) -> None:
    for ignore_order in (False, True):
        got = json.dumps([c.as_dict() for c in diff.diff_configs(old, new, ignore_order=ignore_order)])
        assert got == json.dumps([c.as_dict() for c in reference_changes(old, new, ignore_order=ignore_order)])


SCALARS = ["a", "b", "", "hello world", 0, 1, 2, -1, 1.0, 0.5, float("nan"), True, False, None,
           "$KEY", "sk-1234567890abcdef"]


def random_value(rng: random.Random, depth: int = 0):
    roll = rng.random()
    if depth < 3 and roll < 0.25:
        return {rng.choice("abcdefgh"): random_value(rng, depth + 1) for _ in range(rng.randint(0, 5))}
    if depth < 3 and roll < 0.45:
        return [random_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return rng.choice(SCALARS)


def mutate(rng: random.Random, node, depth: int = 0):
    """A copy of `node` with a few random edits anywhere in it."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            roll = rng.random()
            if roll < 0.08:
                continue  # removed
            if roll < 0.12:
                key = key + "-renamed"
            out[key] = mutate(rng, value, depth + 1) if rng.random() < 0.5 else value
        if rng.random() < 0.15:
            out[rng.choice("abcdefghxyz")] = random_value(rng, depth + 1)
        if rng.random() < 0.05:
            out = dict(reversed(list(out.items())))
        return out
    if isinstance(node, list):
        out = [mutate(rng, v, depth + 1) if rng.random() < 0.3 else v for v in node]
        roll = rng.random()
        if roll < 0.15:
            out.append(random_value(rng, depth + 1))
        elif roll < 0.25 and out:
            out.pop(rng.randrange(len(out)))
        elif roll < 0.3:
            out.reverse()
        return out
    if rng.random() < 0.3:
        return rng.choice(SCALARS + [random_value(rng, depth)])
    return node


def ccr_like(rng: random.Random, providers: int) -> dict:
    config = {
        "LOG": rng.choice([True, False]),
        "APIKEY": "$CCR_APIKEY",
        "Providers": [{
            "name": f"p{p}",
            "api_base_url": f"https://api{p}.example.test/v1/chat/completions",
            "api_key": f"$KEY_{p}",
            "models": [f"m{p}-{m}" for m in range(rng.randint(1, 12))],
            **({"transformer": {"use": ["maxtoken", ["maxtoken", {"max_tokens": 100}]],
                                f"m{p}-0": {"use": ["reasoning"]}}} if p % 3 == 0 else {}),
        } for p in range(providers)],
        "Router": {"default": "p0,m0-0", "background": "p1,m1-0", "longContextThreshold": 60000},
    }
    if rng.random() < 0.5:
        config["fallback"] = {"default": ["p1,m1-0", "p2,m2-0"]}
    return config


@pytest.mark.parametrize("seed", range(300))
def test_tree_is_deepdiffs_on_random_values(seed):
    rng = random.Random(seed)
    old = {k: random_value(rng) for k in "abcdef"[: rng.randint(1, 6)]}
    new = mutate(rng, copy.deepcopy(old))
    assert comparable(diff._tree(old, new)) == comparable(reference_tree(old, new))
    same_changes(old, new)


@pytest.mark.parametrize("seed", range(150))
def test_tree_is_deepdiffs_on_configs(seed):
    rng = random.Random(seed)
    old = ccr_like(rng, rng.randint(1, 8))
    new = mutate(rng, copy.deepcopy(old))
    old_k, _ = diff.keyed(old)
    new_k, _ = diff.keyed(new)
    old_d, new_d = diff._without_equal_parts(old_k, new_k, "Providers")
    assert comparable(diff._tree(old_d, new_d)) == comparable(reference_tree(old_d, new_d))
    same_changes(old, new)


def test_few_shared_keys_make_the_whole_mapping_changed():
    """DeepDiff's threshold: a mapping that shares less than a third of its keys is one change."""
    old = {"Router": {"a": 1, "b": 2, "c": 3, "d": 4}}
    new = {"Router": {"a": 1, "x": 2, "y": 3, "z": 4}}
    assert [kind for kind, *_ in diff._tree(old, new)] == ["values_changed"]
    changes = diff.diff_configs(old, new)
    assert [(c.op, c.path) for c in changes] == [("~", "Router")]


def test_types_are_changes_even_when_python_calls_them_equal():
    old = {"Router": {"w": "a", "x": 1, "y": True, "z": [1]}}
    new = {"Router": {"w": "b", "x": 1.0, "y": 1, "z": [1.0]}}
    assert {"Router.x", "Router.y"} <= {c.path for c in diff.diff_configs(old, new)}
    same_changes(old, new)
