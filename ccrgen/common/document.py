"""A parsed file together with where each of its values and keys came from.

Both loaders (YAML specs in `spec/load.py`, CCR config.json in `ccr/config.py`) produce a
`Document`; error messages and lint findings use `locate()` to name file, line and column.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from ccrgen.errors import Location

Path = tuple  # keys (str) and list indices (int); the root is ()


@dataclass
class Document:
    data: Any
    file: str
    value_marks: dict[Path, Location] = field(default_factory=dict)
    key_marks: dict[Path, Location] = field(default_factory=dict)

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
