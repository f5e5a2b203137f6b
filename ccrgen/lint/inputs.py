"""What `ccrgen lint` reads: files, the lintable files of a folder, or stdin (`-`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ccrgen.errors import InputError

LINTABLE_SUFFIXES = (".json", ".json5", ".yaml", ".yml")
STDIN = "-"


@dataclass(frozen=True)
class Input:
    path: Path              # the file, or the name stdin is reported under
    stdin: bool = False


def expand(args, *, stdin_filename: str | None = None) -> list[Input]:
    """Each argument as inputs: `-` is stdin, a folder gives its `*.json`, `*.json5`,
    `*.yaml` and `*.yml` files (not its subfolders), sorted; anything else is a file."""
    inputs: list[Input] = []
    for arg in args:
        if str(arg) == STDIN:
            inputs.append(Input(Path(stdin_filename or STDIN), stdin=True))
            continue
        path = Path(arg)
        if path.is_dir():
            found = sorted(p for p in path.iterdir()
                           if p.suffix.lower() in LINTABLE_SUFFIXES and p.is_file())
            if not found:
                raise InputError(f"{path} holds no {', '.join('*' + s for s in LINTABLE_SUFFIXES)} file")
            inputs += [Input(p) for p in found]
        else:
            inputs.append(Input(path))
    return inputs


def read(item: Input, stdin_text: str | None = None) -> str:
    from ccrgen.lint.source import read_source

    if item.stdin:
        return stdin_text if stdin_text is not None else ""
    return read_source(item.path)
