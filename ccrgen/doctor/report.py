"""Doctor reporters: the results grouped by check, each with a ✓ / ! / ✗ mark (coloured on a
terminal), or JSON."""

from __future__ import annotations

import json

MARKS = {"ok": ("✓", "green"), "warning": ("!", "yellow"), "error": ("✗", "red")}


def text(results, *, color: bool = False) -> str:
    import click

    lines = []
    groups: dict[str, list] = {}
    for r in results:
        groups.setdefault(r.check, []).append(r)
    for check, members in groups.items():
        lines.append(click.style(check, bold=True) if color else check)
        for r in members:
            mark, colour = MARKS[r.status]
            mark = click.style(mark, fg=colour, bold=True) if color else mark
            lines.append(f"  {mark} {r.message}")
            if r.hint and r.status != "ok":
                lines.append(f"      fix: {r.hint}")
    errors = sum(r.status == "error" for r in results)
    warnings = sum(r.status == "warning" for r in results)
    lines.append(f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}")
    return "\n".join(lines) + "\n"


def as_json(results) -> str:
    return json.dumps([r.as_dict() for r in results], indent=2, ensure_ascii=False) + "\n"
