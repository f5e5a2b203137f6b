"""From a spec file (or a preset name) to a validated `Spec` plus the marks of every value.

extends are followed depth-first, left to right; each file is laid over what it extends
(see merge.py); pydantic then validates the result, and its errors are turned into
problems that name file, line, column and key path.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from ccrgen.common.document import Document, format_path
from ccrgen.errors import InputError, Problem, SpecError
from ccrgen.common.inputs import unreadable_reason
from ccrgen.common.limits import MAX_NESTING_DEPTH
from ccrgen.spec.presets import find_preset
from ccrgen.spec.load import load_yaml_file, parse_yaml
from ccrgen.spec.merge import merge_documents, normalise
from ccrgen.spec.model import Spec


@dataclass
class ResolvedSpec:
    spec: Spec
    document: Document  # merged raw tree; marks point into whichever file set each value
    file: str           # the file the user named (or the preset's file)


def resolve_preset(name: str) -> ResolvedSpec:
    return resolve_file(find_preset(name).path)


def resolve_file(path: Path, *, text: str | None = None) -> ResolvedSpec:
    """`text`: the content of `path` when it is not (yet) the file's (stdin, lint --fix)."""
    doc = _load_with_extends(Path(path), chain=(), text=text)
    return ResolvedSpec(spec=validate(doc), document=doc, file=str(path))


def _load_with_extends(path: Path, chain: tuple[Path, ...], text: str | None = None) -> Document:
    real = Path(os.path.realpath(path))  # never raises (Path.resolve does on a symlink loop)
    if real in chain:
        cycle = " -> ".join(str(p) for p in chain + (real,))
        raise SpecError(f"extends loops back on itself: {cycle}")
    if len(chain) >= MAX_NESTING_DEPTH:
        raise SpecError(f"extends goes more than {MAX_NESTING_DEPTH} files deep (at {path})",
                        hint="extend fewer files in a chain")
    doc = load_yaml_file(path) if text is None else parse_yaml(text, str(path))
    extends = doc.data.get("extends") or []
    if isinstance(extends, str):
        extends = [extends]
    if not isinstance(extends, list):
        raise SpecError("extends must be a preset name, a path, or a list of them",
                        location=doc.locate(("extends",)), path="extends")
    base: Document | None = None
    for i, ref in enumerate(extends):
        where = doc.locate(("extends", i) if isinstance(doc.data.get("extends"), list) else ("extends",))
        if not isinstance(ref, str) or not ref:
            raise SpecError("each extends entry must be a preset name or a path", location=where,
                            path="extends")
        try:
            target = _extends_target(ref, path)
        except InputError as exc:
            raise InputError(exc.message, location=where, path="extends",
                             hint=exc.problems[0].hint) from None
        layer = _load_with_extends(target, chain + (real,))
        base = layer if base is None else merge_documents(base, layer)
    return normalise(doc) if base is None else merge_documents(base, doc)


def _extends_target(ref: str, naming_file: Path) -> Path:
    folder = naming_file.parent
    looks_like_path = "/" in ref or ref.endswith((".yaml", ".yml")) or ref.startswith(("~", "."))
    if looks_like_path:
        target = Path(ref).expanduser()
        if not target.is_absolute():
            target = folder / target
        reason = unreadable_reason(target)
        if reason == "no such file":
            raise InputError(f"extends: no such file: {target}")
        if reason:
            raise InputError(f"extends: cannot read {target}: {reason}")
        return target
    found = find_preset(ref).path
    if os.path.realpath(found) == os.path.realpath(naming_file):
        # a user preset that extends the bundled preset it replaces (hicap.yaml: extends: hicap)
        found = find_preset(ref, bundled_only=True).path
    return found


def validate(doc: Document) -> Spec:
    try:
        return Spec.model_validate(doc.data)
    except ValidationError as exc:
        problems = [_problem(doc, err) for err in _drop_losing_branches(exc.errors())]
        problems.sort(key=lambda p: (p.location.line or 0, p.location.column or 0) if p.location else (0, 0))
        noun = "problem" if len(problems) == 1 else "problems"
        raise SpecError(f"{doc.file}: {len(problems)} {noun} in the spec", problems=problems) from None


def _data_path(data, loc: tuple) -> tuple:
    """pydantic's error location, less the union/validator tags that are not keys of the data."""
    path, node = [], data
    for part in loc:
        if isinstance(node, dict) and part in node:
            node = node[part]
            path.append(part)
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
            path.append(part)
        elif isinstance(part, str) and path_is_tag(part):
            continue
        elif isinstance(node, dict):
            path.append(part)  # a missing or unknown key: name it
            break
    return tuple(path)


def path_is_tag(part: str) -> bool:
    """pydantic names union branches in error locations (`HeaderAuth`, `literal['bearer']`)."""
    return part in _MODEL_NAMES or any(ch in part for ch in "[]()'\"") or part in (
        "str", "int", "bool", "float", "dict", "list", "tuple")


def _model_names() -> frozenset[str]:
    from pydantic import BaseModel

    from ccrgen.spec import model

    return frozenset(n for n, v in vars(model).items() if isinstance(v, type) and issubclass(v, BaseModel))


_MODEL_NAMES = _model_names()


def _drop_losing_branches(errors: list[dict]) -> list[dict]:
    """Of a union's errors keep those of the branch the user evidently meant.

    `auth: {headr: x}` fails both as the literal 'bearer' and as HeaderAuth; only the
    HeaderAuth errors (one level deeper) help the user.
    """
    def tag_index(err):
        for i, part in enumerate(err["loc"]):
            if isinstance(part, str) and path_is_tag(part):
                return i
        return None

    keep = []
    for err in errors:
        i = tag_index(err)
        if i is not None and len(err["loc"]) == i + 1:
            prefix = err["loc"][:i]
            deeper = any(o is not err and o["loc"][:i] == prefix and len(o["loc"]) > i + 1 for o in errors)
            if deeper:
                continue
        keep.append(err)
    return keep


def _problem(doc: Document, err: dict) -> Problem:
    path = _data_path(doc.data, tuple(err["loc"]))
    kind = err["type"]
    message, hint = err["msg"], None
    if kind == "extra_forbidden":
        key = path[-1] if path else "?"
        parent = _model_at(path[:-1])
        known = sorted(parent.model_fields) if parent else []
        known = [parent.model_fields[k].alias or k for k in known] if parent else []
        message = f"unknown key '{key}'"
        close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
        if close:
            hint = f"did you mean '{close[0]}'?"
        elif known:
            hint = f"known keys here: {', '.join(k for k in known if k != '$schema')}"
        return Problem(message, doc.locate(path, key=True), format_path(path), hint)
    if kind == "missing":
        message = f"'{path[-1]}' is required" if path else "a required key is missing"
        return Problem(message, doc.locate(path[:-1]), format_path(path), None)
    if kind.startswith("literal_error"):
        message = f"{err['msg']} (got {err.get('input')!r})"
    if err.get("ctx", {}).get("error"):
        message = str(err["ctx"]["error"])
    return Problem(message, doc.locate(path), format_path(path), hint)


def _model_at(path: tuple):
    """The pydantic model that describes the mapping at `path` (for did-you-mean on keys)."""
    from typing import get_args, get_origin

    from pydantic import BaseModel

    def is_model(t) -> bool:
        return isinstance(t, type) and issubclass(t, BaseModel)

    state, keyed = Spec, False  # keyed: `state` is the value type of a dict (provider names...)
    for part in path:
        if keyed:
            keyed = False
            continue
        field = state.model_fields.get(part) if isinstance(part, str) else None
        if field is None:
            return None
        for cand in (field.annotation, *get_args(field.annotation)):
            if is_model(cand):
                state = cand
                break
            if get_origin(cand) is dict and is_model(get_args(cand)[1]):
                state, keyed = get_args(cand)[1], True
                break
        else:
            return None
    return None if keyed else state
