"""What `ccrgen lint` reads: files, the lintable files of a folder, or stdin (`-`)."""

from __future__ import annotations

from pathlib import Path

from ccrgen.common.inputs import STDIN
from ccrgen.common.values import Value
from ccrgen.errors import InputError

LINTABLE_SUFFIXES = (".json", ".json5", ".yaml", ".yml")


class Input(Value):
    """One thing to lint (a plain value: a dataclass costs a millisecond to create)."""

    __slots__ = ("path", "stdin")

    def __init__(self, path: Path, stdin: bool = False) -> None:
        self.path = path        # the file, or the name stdin is reported under
        self.stdin = stdin



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
    if item.stdin:
        return stdin_text if stdin_text is not None else ""
    return read_source(item.path)


def read_source(path: Path) -> str:
    """The file's text with its line endings as they are (no newline translation): UTF-8
    decoded bytes, read once, with the safe reader's checks and messages."""
    from ccrgen.common.inputs import read_text

    return read_text(path)
