"""A parsed file together with where each of its values and keys came from.

Both loaders (YAML specs in `spec/load.py`, CCR config.json in `ccr/config.py`) produce a
`Document`; error messages and lint findings use `locate()` to name file, line and column.
A config.json that is plain JSON is a `PlainJsonDocument`: the same marks, found only for
the paths that are located (see ccrgen.ccr.json5.PlainJsonMarks).

Plain classes, not dataclasses: this module is imported on every `ccrgen lint`, and
creating a dataclass costs about a millisecond.
"""

from __future__ import annotations

from typing import Any, Iterable

from ccrgen.errors import Location

Path = tuple  # keys (str) and list indices (int); the root is ()


class Document:
    def __init__(self, data: Any, file: str, value_marks: dict[Path, Location] | None = None,
                 key_marks: dict[Path, Location] | None = None) -> None:
        self.data = data
        self.file = file
        self.value_marks: dict[Path, Location] = {} if value_marks is None else value_marks
        self.key_marks: dict[Path, Location] = {} if key_marks is None else key_marks

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(data={self.data!r}, file={self.file!r}, "
                f"value_marks={self.value_marks!r}, key_marks={self.key_marks!r})")

    def __eq__(self, other) -> bool:
        if not isinstance(other, Document):
            return NotImplemented
        return (self.data, self.file, self.value_marks, self.key_marks) == \
            (other.data, other.file, other.value_marks, other.key_marks)

    __hash__ = None  # mutable, as the dataclass it was

    def locate(self, path: Iterable, *, key: bool = False) -> Location:
        """Location of the value (or of the key, with key=True) at `path`.

        Falls back to the nearest enclosing value that has a mark, then to the file itself.
        """
        path = tuple(path)
        if key and path in self.key_marks:
            return self.key_marks[path]
        while True:
            if path in self.value_marks:
                return self.value_marks[path]
            if not path:
                return Location(self.file)
            path = path[:-1]


class PlainJsonDocument(Document):
    """A config.json read by json.loads (ccrgen.ccr.json5.parse_plain_json): `locate` finds
    a mark when it is asked for; `value_marks` and `key_marks`, if read, are all of them
    (the JSON5 parser's, as for any other config.json)."""

    def __init__(self, data: Any, file: str, text: str) -> None:
        from ccrgen.ccr.json5 import PlainJsonMarks

        self.data = data
        self.file = file
        self.text = text
        self._marks = PlainJsonMarks(text, data)
        self._all: tuple[dict, dict] | None = None

    def _every_mark(self) -> tuple[dict, dict]:
        if self._all is None:
            from ccrgen.ccr.json5 import parse

            _, values, keys = parse(self.text)
            self._all = ({p: Location(self.file, *lc) for p, lc in values.items()},
                         {p: Location(self.file, *lc) for p, lc in keys.items()})
        return self._all

    @property
    def value_marks(self) -> dict[Path, Location]:
        return self._every_mark()[0]

    @property
    def key_marks(self) -> dict[Path, Location]:
        return self._every_mark()[1]

    def locate(self, path: Iterable, *, key: bool = False) -> Location:
        if self._all is not None:
            return super().locate(path, key=key)
        return Location(self.file, *self._marks.locate(tuple(path), key=key))


def format_path(path: Iterable) -> str:
    """('Providers', 0, 'api_base_url') -> 'Providers[0].api_base_url'."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif out:
            out += f".{part}"
        else:
            out = str(part)
    return out
