"""Reporters for `ccrgen diff` (text, coloured on a terminal, and JSON), and for the plans of
`build --install`, `rollback` and `uninstall`, and `ccrgen history`."""

from __future__ import annotations

import json

COLOURS = {"+": "green", "-": "red", "~": "yellow", "moved": "cyan"}


def _value(value) -> str:
    return value if isinstance(value, str) else _json(value)


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def line(change) -> str:
    if change.op == "~":
        if type(change.old) is not type(change.new) and str in (type(change.old), type(change.new)):
            # 600000 -> "600000": a change of type only; bare strings would hide it
            return f"~ {change.path}: {_json(change.old)} -> {_json(change.new)} (its type changed)"
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


# --- plans (build --install, rollback, uninstall) -------------------------------------------

def echo_plan(plan, *, ask: bool, err: bool = False) -> None:
    """What a plan will do: warnings first (hand edits, lost comments; on stderr), then the
    diff, shown before asking, and also without asking when files were edited by hand.
    Answering no (or no terminal to answer) aborts with exit 130 and writes nothing.
    `err`: all of it on stderr (stdout holds a `--format json` document)."""
    import sys

    import click

    from ccrgen.common.console import use_color

    for warning in plan.warnings():
        click.echo(f"warning: {warning}" if not warning.startswith("  ") else warning, err=True)
    if not plan.has_changes:
        if ask:
            click.echo(f"{plan.folder}: already up to date", err=err)
        return
    if ask or plan.edited:
        color = use_color(sys.stderr if err else sys.stdout)
        click.echo(f"changes to {plan.folder}:", err=err)
        click.echo(text(plan.changes, plan.file_changes, color=color), nl=False, err=err, color=color)
    if ask:
        from ccrgen.common.console import confirm

        confirm("write these changes?", err=err)


def results_text(results) -> str:
    out = []
    for r in results:
        row = f"  {r.status:<9} {r.path}"
        if r.backup:
            row += f"  (backup: {r.backup.name})"
        out.append(row)
        if r.through:
            out.append(f"            {r.path.name} is a symlink: wrote through to {r.through} (the link is kept)")
    return "".join(x + "\n" for x in out)


def result_dict(r) -> dict:
    out = {"path": str(r.path), "status": r.status, "backup": str(r.backup) if r.backup else None}
    if r.through:
        out["through"] = str(r.through)
    return out


def applied_dict(applied) -> dict:
    """`build --install`, `rollback`, `uninstall` as JSON: the files and the history entry."""
    return {"files": [result_dict(r) for r in applied.results],
            "history_entry": applied.entry.id if applied.entry is not None else None,
            "notes": list(applied.recovered),
            "restart_needed": any(r.status != "unchanged" for r in applied.results)}


def applied_text(applied) -> str:
    out = results_text(applied.results)
    if applied.entry is not None:
        out += (f"recorded as history entry {applied.entry.id} "
                f"(`ccrgen history`; `ccrgen rollback` undoes it)\n")
    if any(r.status != "unchanged" for r in applied.results):
        out += "CCR reads config.json only when it starts: run `ccr restart` to use the new config.\n"
    return "".join(f"note: {n}\n" for n in applied.recovered) + out


def history_text(entries) -> str:
    if not entries:
        return "no install history\n"
    rows = [("id", "time", "action", "hash", "from", "files")]
    for e in reversed(entries):
        files = ", ".join(f"{f.name} ({f.status})" for f in e.touched) or "nothing changed"
        rows.append((str(e.id), e.time, e.action, e.hash[:12], e.source, files))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    return "".join("  ".join(c.ljust(w) for c, w in zip(r[:5], widths)) + "  " + r[5] + "\n" for r in rows)


def history_json(entries) -> str:
    return json.dumps([e.as_dict() for e in reversed(entries)], indent=2, ensure_ascii=False) + "\n"
