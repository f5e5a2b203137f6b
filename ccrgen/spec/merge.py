"""How a spec is laid over what it extends.

Rules (also in the README):
- maps merge key by key, recursively;
- any other value (a list, a string, a number) replaces the one below it;
- `key+: [...]` appends to the list below instead of replacing it;
- `key: null` removes the key from what is below.

Locations travel with the values: every value of the result keeps the marks of the file
it came from, so an error in a value that a preset set points at the preset.
"""

from __future__ import annotations

from ccrgen.common.document import Document, format_path
from ccrgen.errors import SpecError

APPEND_SUFFIX = "+"
# Maps passed through to config.json as they are: below them a key ending in `+` is just a key.
PASS_THROUGH = frozenset({"extra", "options", "tokenizer"})


def _plain_key(key):
    if isinstance(key, str) and key.endswith(APPEND_SUFFIX) and key != APPEND_SUFFIX:  # `+` alone is a key
        return key[: -len(APPEND_SUFFIX)]
    return key


def merge_documents(base: Document, over: Document) -> Document:
    """`over` laid on `base`. The result's `file` is `over.file`."""
    grafts: list[tuple[Document, tuple, tuple]] = []  # (source doc, source path, result path)
    data = _merge(base, over, base.data, over.data, (), (), grafts)
    out = Document(data=data, file=over.file)
    _translate_marks(out, grafts, order=(base, over))
    return out


def normalise(doc: Document) -> Document:
    """A single document read on its own: `key+` means `key`, nulls are dropped."""
    if not isinstance(doc.data, dict):
        return doc
    if _already_normal(doc.data):  # most specs: the same values and marks, without copying them
        return Document(data=doc.data, file=doc.file, value_marks=dict(doc.value_marks),
                        key_marks=dict(doc.key_marks))
    return merge_documents(Document(data={}, file=doc.file), doc)


def _already_normal(data) -> bool:
    """No `key+` to read as `key` and no null to drop, at any depth: normalising changes nothing."""
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if value is None or (isinstance(key, str) and key.endswith(APPEND_SUFFIX) and key != APPEND_SUFFIX):
                    return False
                if isinstance(value, (dict, list)):
                    stack.append(value)
        else:
            stack.extend(item for item in node if isinstance(item, (dict, list)))
    return True


def _merge(base, over, b, o, b_path, o_path, grafts, literal=False):
    if not (isinstance(b, dict) and isinstance(o, dict)):
        grafts.append((over, o_path, o_path and _result_path(o_path)))
        return _clean(o, literal)
    grafts.append((over if o_path in over.value_marks else base, o_path if o_path in over.value_marks else b_path, _result_path(o_path)))
    result = {}
    for key, value in b.items():
        result[key] = value
        grafts.append((base, b_path + (key,), _result_path(o_path) + (key,)))
    for raw_key, value in o.items():
        key = raw_key if literal else _plain_key(raw_key)
        inner_literal = literal or key in PASS_THROUGH
        o_child = o_path + (raw_key,)
        r_child = _result_path(o_child)
        if value is None:
            result.pop(key, None)
            continue
        if key != raw_key:  # key+: append to the list below
            below = result.get(key, [])
            if isinstance(below, dict) and isinstance(value, list) and all(isinstance(v, str) for v in value):
                # names added to a map of names (models+: [m] over a models map with metadata)
                result[key] = {**below, **{name: below.get(name, {}) for name in value}}
                for i, name in enumerate(value):
                    grafts.append((over, o_child + (i,), r_child + (name,)))
                continue
            if not isinstance(value, list) or not isinstance(below, list):
                raise SpecError(
                    f"'{raw_key}' appends to a list, but "
                    f"{'this value' if not isinstance(value, list) else 'the value below'} is not a list",
                    location=over.locate(o_child),
                    path=format_path(r_child),
                    hint=f"write '{key}:' to replace the value instead",
                )
            offset = len(below)
            result[key] = below + [_clean(v, inner_literal) for v in value]
            for i in range(len(value)):
                grafts.append((over, o_child + (i,), r_child + (offset + i,)))
            continue
        if isinstance(result.get(key), dict) and isinstance(value, dict) and key in b:
            result[key] = _merge(base, over, b[key], value, b_path + (key,), o_child, grafts, inner_literal)
        else:
            result[key] = _clean(value, inner_literal)
            grafts.append((over, o_child, r_child))
    return result


def _result_path(path: tuple) -> tuple:
    return tuple(_plain_key(k) for k in path)


def _clean(value, literal=False):
    """A value taken whole from one document: drop nulls and read `key+` as `key`."""
    if isinstance(value, dict):
        keys = {k: (k if literal else _plain_key(k)) for k in value}
        return {keys[k]: _clean(v, literal or keys[k] in PASS_THROUGH) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_clean(v, literal) for v in value]
    return value


def _translate_marks(out: Document, grafts, order) -> None:
    """Copy each source document's marks to the result, through the graft that covers them.

    A later graft wins over an earlier one for the same result path, so values that the
    overlay replaced point at the overlay.
    """
    by_doc: dict[int, tuple[Document, dict[tuple, tuple]]] = {}
    for doc, src, dst in grafts:
        by_doc.setdefault(id(doc), (doc, {}))[1][src] = dst
    for doc in order:  # base first, so that the overlay's marks win
        if id(doc) not in by_doc:
            continue
        prefixes = by_doc[id(doc)][1]
        if _keeps_paths(doc, prefixes):
            tops = None if () in prefixes else {p[0] for p in prefixes}
            for marks_name in ("value_marks", "key_marks"):
                marks = getattr(doc, marks_name)
                if tops is not None:  # only what is under a grafted top-level key
                    marks = {path: loc for path, loc in marks.items() if path and path[0] in tops}
                getattr(out, marks_name).update(marks)
            continue
        translate = _Translator(prefixes)
        for marks_name in ("value_marks", "key_marks"):
            target = getattr(out, marks_name)
            for path, loc in getattr(doc, marks_name).items():
                dst = translate(path)
                if dst is not None:
                    target[dst] = loc


def _keeps_paths(doc: Document, prefixes: dict[tuple, tuple]) -> bool:
    """True when every path of `doc` lands at the same path in the result: no graft moves
    anything (no `key+` append) and no key of `doc` ends in `+`. Then a mark is copied as it
    is when a grafted prefix covers it: the common case, and by far the fastest for big specs."""
    if any(src != dst for src, dst in prefixes.items()):
        return False
    return not any(path and isinstance(path[-1], str) and path[-1].endswith(APPEND_SUFFIX)
                   for path in doc.key_marks)


class _Translator:
    """Source path -> result path through the longest graft prefix (None: not grafted).

    Each parent path is translated once and remembered: marks come in document order, so
    siblings share the work (a spec with 50,000 models has 100,000 marks under a few
    thousand parents).
    """

    def __init__(self, prefixes: dict[tuple, tuple]) -> None:
        self.prefixes = prefixes
        self.parents: dict[tuple, tuple | None] = {}

    def __call__(self, path: tuple) -> tuple | None:
        dst = self.prefixes.get(path)
        if dst is not None or not path:
            return dst
        parent = path[:-1]
        try:
            base = self.parents[parent]
        except KeyError:
            base = self.parents[parent] = self(parent)
        return None if base is None else base + (_plain_key(path[-1]),)
