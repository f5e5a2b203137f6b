"""Run every rule over a loaded config and collect located findings."""

from __future__ import annotations

import os
from typing import Iterable, Mapping

from ccrgen.lint.finding import SEVERITIES, Finding
from ccrgen.lint.rule import RULES, LintContext


def all_rules():
    import ccrgen.lint.rules  # noqa: F401  (registers them)

    return dict(sorted(RULES.items()))


def lint(loaded, *, ignore: Iterable[str] = (), env: Mapping[str, str] | None = None) -> list[Finding]:
    rules = all_rules()
    skip = set(ignore) | set(loaded.ignore)
    ctx = LintContext(loaded=loaded, env=os.environ if env is None else env)
    findings = []
    for code, r in rules.items():
        if code in skip:
            continue
        for hit in r.check(ctx):
            loc = loaded.locate(hit.path)
            findings.append(Finding(
                code=code, severity=hit.severity or r.severity, file=loc.file, line=loc.line,
                column=loc.column, path=loaded.describe_path(hit.path), message=hit.message,
                hint=hit.hint,
            ))
    findings.sort(key=lambda f: (f.file, f.line or 0, f.column or 0, SEVERITIES.index(f.severity), f.code))
    return findings
