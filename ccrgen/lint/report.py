"""Reporters: turn a list of findings into text, JSON, GitHub annotations or SARIF 2.1.0."""

from __future__ import annotations

import json

from ccrgen import __version__
from ccrgen.lint.finding import Finding

FORMATS = ("text", "json", "github", "sarif")
MARKS = {"error": "red", "warning": "yellow", "info": "blue"}


def where(f: Finding) -> str:
    return ":".join(str(x) for x in (f.file, f.line, f.column) if x is not None)


def text(findings: list[Finding], *, color: bool = False, summary: bool = True,
         unreadable: bool = False) -> str:
    """The findings, one per line with hint, context and fix; with `summary` the counts, or
    "no problems found", never said when an input could not be read (`unreadable`)."""
    import click

    lines = []
    for f in findings:
        severity = click.style(f.severity, fg=MARKS[f.severity], bold=True) if color else f.severity
        lines.append(f"{where(f)}: {severity}: {f.path}: {f.message} [{f.code}]")
        if f.hint:
            lines.append(f"  hint: {f.hint}")
        if f.context:
            lines.append(f"  context: {f.context}")
        if f.fix:
            lines.append(f"  fix{'' if f.fix.safe else ' (unsafe)'}: {f.fix.title}")
    if summary:
        counts = {s: sum(1 for f in findings if f.severity == s) for s in MARKS}
        if findings:
            lines.append(", ".join(f"{n} {s}{'s' if n != 1 else ''}" for s, n in counts.items() if n))
            lines += fixable_summary(findings)
        elif not unreadable:  # after an error there is no "all clear" to give
            lines.append("no problems found")
    return "".join(line + "\n" for line in lines)


def fixable_summary(findings: list[Finding]) -> list[str]:
    safe = sum(1 for f in findings if f.fix and f.fix.safe)
    unsafe = sum(1 for f in findings if f.fix and not f.fix.safe)
    out = []
    if safe:
        out.append(f"{safe} fixable with `ccrgen lint --fix`")
    if unsafe:
        out.append(f"{unsafe} more fixable with `ccrgen lint --fix --unsafe-fixes` (check the result)")
    return out


def statistics(findings: list[Finding], rules: dict, *, as_json: bool = False) -> str:
    """How often each code fired, most frequent first (ruff's --statistics)."""
    counts: dict[str, int] = {}
    for f in findings:
        counts[f.code] = counts.get(f.code, 0) + 1
    fixable = {f.code for f in findings if f.fix}
    rows = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    if as_json:
        return json.dumps([
            {"code": code, "name": rules[code].name if code in rules else None, "count": n,
             "fixable": code in fixable}
            for code, n in rows
        ], indent=2) + "\n"
    width = max((len(str(n)) for _, n in rows), default=1)
    lines = [f"{n:>{width}}  {code}  {'[*]' if code in fixable else '[ ]'} "
             f"{rules[code].name if code in rules else ''}".rstrip() for code, n in rows]
    return "".join(line + "\n" for line in lines)


def as_json(findings: list[Finding]) -> str:
    return json.dumps([f.as_dict() for f in findings], indent=2, ensure_ascii=False) + "\n"


def _escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


def github(findings: list[Finding]) -> str:
    """GitHub Actions workflow commands: `::error file=F,line=L,col=C,title=T::message`."""
    level = {"error": "error", "warning": "warning", "info": "notice"}
    lines = []
    for f in findings:
        props = [f"file={_escape_property(f.file)}"]
        if f.line:
            props.append(f"line={f.line}")
        if f.column:
            props.append(f"col={f.column}")
        props.append(f"title={_escape_property(f'{f.code} {f.path}')}")
        message = f.message + (f" (hint: {f.hint})" if f.hint else "")
        lines.append(f"::{level[f.severity]} {','.join(props)}::{_escape_data(message)}")
    return "".join(line + "\n" for line in lines)


def sarif(findings: list[Finding], rules: dict) -> str:
    """A SARIF 2.1.0 log with one run; every rule that fired is described in the driver."""
    from pathlib import Path

    used = sorted({f.code for f in findings if f.code in rules})
    index = {code: i for i, code in enumerate(used)}
    level = {"error": "error", "warning": "warning", "info": "note"}
    results = []
    for f in findings:
        region = {}
        if f.line:
            region["startLine"] = f.line
        if f.column:
            region["startColumn"] = f.column
        location = {"artifactLocation": {"uri": Path(f.file).as_posix()}}
        if region:
            location["region"] = region
        result = {
            "ruleId": f.code,
            "level": level[f.severity],
            "message": {"text": f"{f.path}: {f.message}" + (f" (hint: {f.hint})" if f.hint else "")},
            "locations": [{"physicalLocation": location}],
        }
        if f.code in index:
            result["ruleIndex"] = index[f.code]
        results.append(result)
    # No informationUri: it must be an absolute URI and ccrgen has no public home page; each
    # rule's help says how to fix it, and `properties` names where the rules are documented.
    driver = {
        "name": "ccrgen",
        "version": __version__,
        "properties": {"documentation": "docs/rules.md in the ccrgen sources; `ccrgen rules CODE` explains one"},
        "rules": [
            {
                "id": code,
                "name": rules[code].name,
                "shortDescription": {"text": rules[code].summary},
                "fullDescription": {"text": rules[code].why},
                "help": {"text": rules[code].fix},
                "defaultConfiguration": {"level": level[rules[code].severity]},
            }
            for code in used
        ],
    }
    log = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{"tool": {"driver": driver}, "results": results}],
    }
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


def render(findings: list[Finding], fmt: str, rules: dict, *, color: bool = False,
           show_statistics: bool = False, unreadable: bool = False) -> str:
    """The findings in `fmt` (text, json, github, sarif), or their statistics. `unreadable`:
    an input could not be read, so the text summary does not claim there were no problems."""
    if show_statistics:
        return statistics(findings, rules, as_json=fmt == "json")
    if fmt == "json":
        return as_json(findings)
    if fmt == "github":
        return github(findings)
    if fmt == "sarif":
        return sarif(findings, rules)
    return text(findings, color=color, unreadable=unreadable)
