"""Reporters for `ccrgen diff`: text (coloured on a terminal) and JSON."""

from __future__ import annotations

import json

COLOURS = {"+": "green", "-": "red", "~": "yellow", "moved": "cyan"}


def _value(value) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def line(change) -> str:
    if change.op == "~":
        return f"~ {change.path}: {_value(change.old)} -> {_value(change.new)}"
    if change.op == "moved":
        return f"moved {change.path}: {_value(change.old)} -> {_value(change.new)}"
    value = change.new if change.op == "+" else change.old
    return f"{change.op} {change.path}: {_value(value)}"


def text(changes, file_changes, *, color: bool = False) -> str:
    import click

    out = []
    for change in changes:
        shown = line(change)
        out.append(click.style(shown, fg=COLOURS[change.op]) if color else shown)
    for f in file_changes:
        if f.op != "~":
            out.append(f"{f.op} file {f.name}")
        for diff_line in f.unified.splitlines():
            colour = {"+": "green", "-": "red", "@": "cyan"}.get(diff_line[:1]) if color else None
            out.append(click.style(diff_line, fg=colour) if colour else diff_line)
    return "".join(x + "\n" for x in out)


def as_json(changes, file_changes) -> str:
    return json.dumps([c.as_dict() for c in changes] + [f.as_dict() for f in file_changes],
                      indent=2, ensure_ascii=False) + "\n"
