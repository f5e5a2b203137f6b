"""The text of a file that `lint --fix` edits, and where its keys and values are in it.

A fix never re-serialises a file: it replaces the characters of one key or value, so
comments, key order and formatting elsewhere stay byte for byte. Both kinds of source map a
path (keys and list indices, as in the parsed data) to character offsets in the text:
`Json5Source` for CCR's config.json (the marks of ccrgen.ccr.json5), `YamlSource` for specs
(the marks of PyYAML's composer).
"""

from __future__ import annotations

import json
import re
from pathlib import Path


MISSING = object()
Span = tuple[int, int]  # [start, end) character offsets into the text


def source_for(path: Path, text: str):
    from ccrgen.spec.loader import is_config_file, looks_like_json

    suffix = Path(path).suffix.lower()
    if is_config_file(path) or (suffix not in (".yaml", ".yml") and looks_like_json(text)):
        return Json5Source(text)
    return YamlSource(text)


class Json5Source:
    kind = "config"

    def __init__(self, text: str) -> None:
        from ccrgen.ccr import json5

        self.text = text
        self.data, self._value_marks, self._key_marks = json5.parse(text)

    def value(self, path: tuple):
        node = self.data
        for part in path:
            try:
                node = node[part]
            except (KeyError, IndexError, TypeError):
                return MISSING
        return node

    def keys(self, path: tuple) -> list:
        node = self.value(path)
        return list(node) if isinstance(node, dict) else []

    def _span(self, mark) -> Span | None:
        from ccrgen.ccr import json5

        if mark is None:
            return None
        start = json5.offset(self.text, *mark)
        return start, json5.token_end(self.text, start)

    def value_span(self, path: tuple) -> Span | None:
        return self._span(self._value_marks.get(tuple(path)))

    def key_span(self, path: tuple) -> Span | None:
        return self._span(self._key_marks.get(tuple(path)))

    def path_at(self, line: int, column: int) -> tuple | None:
        """The path of the value that starts at (line, column)."""
        found = [p for p, mark in self._value_marks.items() if mark == (line, column)]
        return max(found, key=len) if found else None

    def scalar(self, value: str, path: tuple) -> str:
        """`value` as a JSON5 string, quoted as the old value at `path` was."""
        return _quoted(value, self._old(self.value_span(path)))

    def key(self, name: str, path: tuple) -> str:
        """`name` as a key, written as the old key at `path` was (quoted or a bare name)."""
        old = self._old(self.key_span(path))
        if old[:1] not in ("'", '"') and re.fullmatch(r"[A-Za-z_$][A-Za-z0-9_$]*", name):
            return name
        return _quoted(name, old)

    def wrap_in_use(self, path: tuple) -> list[tuple[Span, str]] | None:
        """Edits that turn the value at `path` (a list, or one name) into `{"use": ...}`."""
        span = self.value_span(path)
        value = self.value(path)
        if span is None:
            return None
        if isinstance(value, list):
            return [((span[0], span[0]), '{"use": '), ((span[1], span[1]), "}")]
        if isinstance(value, str):
            return [((span[0], span[0]), '{"use": ['), ((span[1], span[1]), "]}")]
        return [] if isinstance(value, dict) else None

    def _old(self, span: Span | None) -> str:
        return self.text[span[0]:span[1]] if span else ""


def _quoted(value: str, old: str) -> str:
    text = json.dumps(value, ensure_ascii=False)
    if old[:1] == "'":
        inner = text[1:-1].replace('\\"', '"').replace("'", "\\'")
        return f"'{inner}'"
    return text


class YamlSource:
    kind = "spec"

    def __init__(self, text: str) -> None:
        import yaml

        self.text = text
        # The pure-Python loader: its marks count characters of this very text.
        self.root = yaml.compose(text, Loader=yaml.SafeLoader)
        self._shared = _nodes_seen_twice(self.root)

    def _entry(self, path: tuple):
        """(key node or None, value node, parent node) at `path`, or None."""
        from yaml.nodes import MappingNode, SequenceNode

        key_node, node, parent = None, self.root, None
        for part in path:
            if isinstance(node, MappingNode) and isinstance(part, str):
                for k, v in node.value:
                    if getattr(k, "value", None) in (part, part + "+"):
                        key_node, parent, node = k, node, v
                        break
                else:
                    return None
            elif isinstance(node, SequenceNode) and isinstance(part, int) and part < len(node.value):
                key_node, parent, node = None, node, node.value[part]
            else:
                return None
        return key_node, node, parent

    def value(self, path: tuple):
        from yaml.nodes import MappingNode, ScalarNode, SequenceNode

        entry = self._entry(path)
        if entry is None:
            return MISSING
        node = entry[1]
        if isinstance(node, ScalarNode):
            return node.value if node.tag == "tag:yaml.org,2002:str" else MISSING
        if isinstance(node, MappingNode):
            return {k.value: MISSING for k, _ in node.value if hasattr(k, "value")}
        return [MISSING] * len(node.value) if isinstance(node, SequenceNode) else MISSING

    def keys(self, path: tuple) -> list:
        value = self.value(path)
        return [k.rstrip("+") for k in value] if isinstance(value, dict) else []

    def _span(self, node) -> Span | None:
        """The node's characters; None for a block scalar (`|`, `>`), or a node with an
        anchor, a tag or an alias (editing it would change every alias, or drop the anchor)."""
        from yaml.nodes import ScalarNode

        if node is None or (isinstance(node, ScalarNode) and node.style in ("|", ">")):
            return None
        start, end = node.start_mark.index, node.end_mark.index
        if self.text[start:start + 1] in ("&", "!", "*") or id(node) in self._shared:
            return None
        return start, end

    def value_span(self, path: tuple) -> Span | None:
        entry = self._entry(path)
        return self._span(entry[1]) if entry else None

    def key_span(self, path: tuple) -> Span | None:
        entry = self._entry(path)
        return self._span(entry[0]) if entry and entry[0] is not None else None

    def path_at(self, line: int, column: int, *, key: bool = False) -> tuple | None:
        """The path of the value (or, with key=True, of the key) at 1-based (line, column)."""
        from yaml.nodes import MappingNode, SequenceNode

        def at(node) -> bool:
            return node.start_mark.line + 1 == line and node.start_mark.column + 1 == column

        stack = [((), self.root)]
        found = None
        while stack:
            path, node = stack.pop()
            if not key and at(node):
                found = path if found is None or len(path) > len(found) else found
            if isinstance(node, MappingNode):
                for k, v in node.value:
                    name = str(getattr(k, "value", "")).rstrip("+")
                    if key and at(k):
                        return path + (name,)
                    stack.append((path + (name,), v))
            elif isinstance(node, SequenceNode):
                stack.extend((path + (i,), v) for i, v in enumerate(node.value))
        return found

    def _in_flow(self, path: tuple) -> bool:
        entry = self._entry(path)
        return bool(entry and entry[2] is not None and entry[2].flow_style)

    def scalar(self, value: str, path: tuple) -> str:
        """`value` as a YAML scalar: plain when that reads back as the same string, else
        double-quoted (or single-quoted, if the old value was)."""
        import yaml

        entry = self._entry(path)
        style = entry[1].style if entry else None
        return self._scalar_text(value, style, self._in_flow(path), yaml)

    def key(self, name: str, path: tuple) -> str:
        import yaml

        entry = self._entry(path)
        style = entry[0].style if entry and entry[0] is not None else None
        return self._scalar_text(name, style, self._in_flow(path), yaml)

    @staticmethod
    def _scalar_text(value: str, style, in_flow: bool, yaml) -> str:
        if style is None and not (in_flow and re.search(r"[,\[\]{}]", value)):
            try:
                plain_ok = yaml.safe_load(f"k: {value}\n") == {"k": value} and "#" not in value
            except yaml.YAMLError:
                plain_ok = False
            if plain_ok and value == value.strip() and "\n" not in value:
                return value
        if style == "'" and "\n" not in value:
            return "'" + value.replace("'", "''") + "'"
        return json.dumps(value, ensure_ascii=False)

    def wrap_in_use(self, path: tuple) -> list[tuple[Span, str]] | None:
        """Edits that turn a flow list or one name at `path` into `{use: ...}`; None for a
        block list (a change of indentation is not a text edit ccrgen makes)."""
        from yaml.nodes import MappingNode, ScalarNode, SequenceNode

        entry = self._entry(path)
        if entry is None:
            return None
        node = entry[1]
        span = self._span(node)
        if isinstance(node, MappingNode):
            return []
        if span is None:
            return None
        if isinstance(node, SequenceNode) and node.flow_style:
            return [((span[0], span[0]), "{use: "), ((span[1], span[1]), "}")]
        if isinstance(node, ScalarNode):
            return [((span[0], span[0]), "{use: ["), ((span[1], span[1]), "]}")]
        return None


def _nodes_seen_twice(root) -> set[int]:
    """ids of the nodes an alias (`*name`) makes appear in more than one place."""
    from yaml.nodes import MappingNode, SequenceNode

    seen: set[int] = set()
    twice: set[int] = set()
    stack = [root] if root is not None else []
    while stack:
        node = stack.pop()
        if id(node) in seen:
            twice.add(id(node))
            continue
        seen.add(id(node))
        if isinstance(node, MappingNode):
            for k, v in node.value:
                stack += [k, v]
        elif isinstance(node, SequenceNode):
            stack += node.value
    return twice
