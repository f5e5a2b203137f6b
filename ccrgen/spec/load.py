"""Read a YAML spec into a `Document` whose every key and value knows its line and column."""

from __future__ import annotations

from pathlib import Path

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from ccrgen.document import Document, format_path
from ccrgen.errors import InputError, Location, SpecError

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_text(path: Path) -> str:
    """The file's text, or an InputError that says why it cannot be read."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"no such file: {path}") from None
    except IsADirectoryError:
        raise InputError(f"{path} is a folder, not a file") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{path} is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None


def load_yaml_file(path: Path) -> Document:
    return parse_yaml(read_text(path), str(path))


def parse_yaml(text: str, file: str) -> Document:
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

    def _loc(self, node) -> Location:
        return Location(self.doc.file, node.start_mark.line + 1, node.start_mark.column + 1)

    def build(self, node, path: tuple):
        # An explicit stack would be faster, but specs are shallow; recursion keeps this readable.
        self.doc.value_marks[path] = self._loc(node)
        if isinstance(node, MappingNode):
            self.constructor.flatten_mapping(node)
            out: dict = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, ScalarNode):
                    raise SpecError("keys must be plain scalars", location=self._loc(key_node),
                                    path=format_path(path))
                key = self.constructor.construct_object(key_node)
                if not isinstance(key, str):
                    key = str(key)
                if key in out:
                    raise SpecError(
                        f"duplicate key '{key}'",
                        location=self._loc(key_node),
                        path=format_path(path + (key,)),
                        hint=f"'{key}' is already set at line {self.doc.key_marks[path + (key,)].line}",
                    )
                self.doc.key_marks[path + (key,)] = self._loc(key_node)
                out[key] = self.build(value_node, path + (key,))
            return out
        if isinstance(node, SequenceNode):
            return [self.build(item, path + (i,)) for i, item in enumerate(node.value)]
        try:
            return self.constructor.construct_object(node)
        except yaml.constructor.ConstructorError as exc:
            raise SpecError(f"cannot read value: {exc.problem}", location=self._loc(node),
                            path=format_path(path)) from None
