"""Where the files that ship with ccrgen are: schemas/, templates/, presets/.

In a wheel they live in ccrgen/_data/; in a source checkout, next to the package.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parents[1]  # ccrgen/


@lru_cache(maxsize=None)
def data_dir(name: str) -> Path:
    for candidate in (_PACKAGE / "_data" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise RuntimeError(f"ccrgen is installed without its {name}/ folder")  # a packaging bug
