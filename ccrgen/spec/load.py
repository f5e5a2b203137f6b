"""Read a YAML spec into a `Document` whose every key and value knows its line and column."""

from __future__ import annotations

from pathlib import Path

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from ccrgen.common.document import Document, format_path
from ccrgen.errors import InputError, Location, SpecError
from ccrgen.common.inputs import paused_gc, read_text
from ccrgen.common.limits import MAX_NESTING_DEPTH, MAX_YAML_ALIAS_VALUES

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_MERGE_TAG = "tag:yaml.org,2002:merge"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_STR_TAG = "tag:yaml.org,2002:str"
_COLLECTION_TAGS = ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq")
_SCALAR_CONSTRUCTORS = {
    f"tag:yaml.org,2002:{name}": SafeConstructor.yaml_constructors[f"tag:yaml.org,2002:{name}"]
    for name in ("int", "float", "bool", "null")
}


def load_yaml_file(path: Path) -> Document:
    return parse_yaml(read_text(path), str(path))


def parse_yaml(text: str, file: str) -> Document:
    with paused_gc():
        return _parse_yaml(text, file)


def _parse_yaml(text: str, file: str) -> Document:
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = Location(file, mark.line + 1, mark.column + 1) if mark else Location(file)
        what = exc.problem or "malformed YAML"
        if exc.context:
            what = f"{what} ({exc.context})"
        raise InputError(f"malformed YAML: {what}", location=where) from None
    except yaml.YAMLError as exc:
        raise InputError(f"malformed YAML: {exc}", location=Location(file)) from None
    doc = Document(data=None, file=file)
    if root is None:
        doc.data = {}
        return doc
    doc.data = _Builder(doc).build(root, ())
    if not isinstance(doc.data, dict):
        raise SpecError(
            "a spec must be a mapping of keys (providers:, routes:, ...)",
            location=doc.locate(()),
            hint="start from `ccrgen init --preset hicap`",
        )
    return doc


class _Builder:
    """Turns composed YAML nodes into plain values, recording marks as it goes."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.constructor = SafeConstructor()
        self._built: set[int] = set()        # id() of the collection nodes built once already
        self._in_alias = 0                   # > 0 while building a node a second time (an alias)
        self._alias_budget = MAX_YAML_ALIAS_VALUES
        self._merged: dict[int, dict] = {}   # id(mapping node) -> its entries, for `<<: *it`
        self._merging: set[int] = set()

    def _loc(self, node) -> Location:
        return Location(self.doc.file, node.start_mark.line + 1, node.start_mark.column + 1)

    def build(self, node, path: tuple):
        # Recursion is fine: the depth is limited to MAX_NESTING_DEPTH, far below Python's limit.
        # The hot path of a read (a 1,000-provider spec has 120,000 nodes): marks made inline.
        mark = node.start_mark
        self.doc.value_marks[path] = Location(self.doc.file, mark.line + 1, mark.column + 1)
        if self._in_alias:
            self._spend_alias_value(node, path)
        if not isinstance(node, (MappingNode, SequenceNode)):
            if node.tag == _STR_TAG:  # most values (as in _scalar)
                return node.value
            return self._scalar(node, path)
        if len(path) >= MAX_NESTING_DEPTH:
            raise InputError(f"nesting too deep: more than {MAX_NESTING_DEPTH} levels of mappings and lists",
                             location=self._loc(node), path=format_path(path[:8]) + "...")
        if node.tag not in _COLLECTION_TAGS:
            tag = node.tag.replace("tag:yaml.org,2002:", "!!")
            raise SpecError(f"a value tagged {tag} cannot go into config.json",
                            location=self._loc(node), path=format_path(path),
                            hint="write a plain mapping or list (no YAML tag)")
        if id(node) not in self._built:
            self._built.add(id(node))
            return self._collection(node, path)
        self._in_alias += 1  # built once already: this is a copy through an alias
        try:
            return self._collection(node, path)
        finally:
            self._in_alias -= 1

    def _collection(self, node, path: tuple):
        if isinstance(node, SequenceNode):
            return [self.build(item, path + (i,)) for i, item in enumerate(node.value)]
        if not node.value:
            return {}
        inherited, own = self._entries(node, path)
        out: dict = {}
        if inherited:
            for key, entry in inherited.items():  # in PyYAML's order: an own key overriding
                out[key] = self._child(key, *own.get(key, entry), path)  # a merged one keeps its place
            for key, (key_node, value_node) in own.items():
                if key not in inherited:
                    out[key] = self._child(key, key_node, value_node, path)
            return out
        key_marks, file, build = self.doc.key_marks, self.doc.file, self.build
        for key, (key_node, value_node) in own.items():  # _child, inline
            child = path + (key,)
            mark = key_node.start_mark
            key_marks[child] = Location(file, mark.line + 1, mark.column + 1)
            out[key] = build(value_node, child)
        return out

    def _spend_alias_value(self, node, path: tuple) -> None:
        """One more value copied through an alias (`*name`): past the budget, the spec is a
        "billion laughs" (aliases of aliases that expand to billions of values)."""
        self._alias_budget -= 1
        if self._alias_budget < 0:
            raise InputError(
                f"YAML aliases (*name) expand to more than {MAX_YAML_ALIAS_VALUES:,} values",
                location=self._loc(node), path=format_path(path[:8]),
                hint="write the values out, or use fewer nested aliases",
            )

    def _child(self, key: str, key_node, value_node, path: tuple):
        child = path + (key,)
        self.doc.key_marks[child] = self._loc(key_node)
        return self.build(value_node, child)

    def _key(self, key_node, path: tuple) -> str:
        if not isinstance(key_node, ScalarNode):
            raise SpecError("keys must be plain scalars", location=self._loc(key_node),
                            path=format_path(path))
        key = self._scalar(key_node, path)
        return key if isinstance(key, str) else str(key)

    def _entries(self, node: MappingNode, path: tuple) -> tuple[dict, dict]:
        """(entries from `<<:` merge keys, the mapping's own entries), each key -> (key node,
        value node). YAML's merge rules: own keys override merged ones; of several merged
        mappings (`<<: [*a, *b]`) the first wins. A key twice among the own ones is an error.
        Done here rather than by PyYAML's flatten_mapping, whose results differ between
        PyYAML versions (6.0.4 keeps the first of repeated keys of a merged mapping)."""
        inherited: dict = {}
        own: dict = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                sources = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
                for source in reversed(sources):  # the first listed wins: lay it last
                    inherited.update(self._merge_source(source, path))
                continue
            if key_node.__class__ is ScalarNode and key_node.tag == _STR_TAG:
                key = key_node.value  # what _key makes of a plain string key, directly
            else:
                key = self._key(key_node, path)
            if key in own:
                raise SpecError(
                    f"duplicate key '{key}'",
                    location=self._loc(key_node),
                    path=format_path(path + (key,)),
                    hint=f"'{key}' is already set at line {own[key][0].start_mark.line + 1}",
                )
            own[key] = (key_node, value_node)
        return inherited, own

    def _merge_source(self, node, path: tuple) -> dict:
        """The entries a `<<:` value contributes: a mapping's effective entries."""
        if not isinstance(node, MappingNode):
            raise SpecError("`<<:` merges a mapping or a list of mappings", location=self._loc(node),
                            path=format_path(path))
        if id(node) not in self._merged:
            if id(node) in self._merging:
                raise SpecError("`<<:` merges a mapping into itself", location=self._loc(node),
                                path=format_path(path))
            self._merging.add(id(node))
            inherited, own = self._entries(node, path)
            self._merging.discard(id(node))
            self._merged[id(node)] = {**inherited, **own}
        return self._merged[id(node)]

    def _scalar(self, node, path: tuple):
        tag = node.tag
        if tag == _STR_TAG or tag == _TIMESTAMP_TAG:
            return node.value  # most values; a date is text to CCR too: JSON has no dates
        construct = _SCALAR_CONSTRUCTORS.get(tag)
        try:
            # int, float, bool, null directly: construct_object's bookkeeping (for anchors
            # of collections) costs more than the conversion itself
            value = construct(self.constructor, node) if construct else self.constructor.construct_object(node)
        except yaml.constructor.ConstructorError as exc:
            raise SpecError(f"cannot read value: {exc.problem}", location=self._loc(node),
                            path=format_path(path)) from None
        except (ValueError, OverflowError) as exc:  # an integer of more than 4,300 digits
            raise SpecError(f"cannot read value: {str(exc).split(';')[0]}", location=self._loc(node),
                            path=format_path(path)) from None
        if not isinstance(value, (str, int, float, bool, type(None))):
            raise SpecError(f"a {node.tag.rsplit(':', 1)[-1]} value cannot go into config.json",
                            location=self._loc(node), path=format_path(path),
                            hint="write it as a plain string, number, true/false or null")
        return value
