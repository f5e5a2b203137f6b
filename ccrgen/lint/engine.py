"""Run every rule over a loaded config and collect located findings."""

from __future__ import annotations

import os
from typing import Iterable, Mapping

from ccrgen.lint.finding import SEVERITIES, Finding
from ccrgen.lint.rule import RULES, LintContext

SPEC_INVALID = "CCR000"


def all_rules():
    import ccrgen.lint.rules  # noqa: F401  (registers them)

    return dict(sorted(RULES.items()))


def lint(loaded, *, ignore: Iterable[str] = (), env: Mapping[str, str] | None = None) -> list[Finding]:
    rules = all_rules()
    skip = set(ignore) | set(loaded.ignore)
    ctx = LintContext(loaded=loaded, env=os.environ if env is None else env)
    findings = []
    for code, r in rules.items():
        if code in skip or r.check is None:
            continue
        for hit in r.check(ctx):
            loc = loaded.locate(hit.path)
            findings.append(Finding(
                code=code, severity=hit.severity or r.severity, file=loc.file, line=loc.line,
                column=loc.column, path=loaded.describe_path(hit.path), message=hit.message,
                hint=hit.hint,
            ))
    return sort_findings(findings)


def sort_findings(findings: list[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (f.file, f.line or 0, f.column or 0,
                                           SEVERITIES.index(f.severity), f.code))


def lint_path(path, *, preset: str | None = None, ignore: Iterable[str] = (),
              env: Mapping[str, str] | None = None) -> list[Finding]:
    """Load one spec, preset or config.json and lint it. A spec that does not validate gives
    CCR000 findings (one per problem); a file that cannot be read raises InputError."""
    from ccrgen.errors import SpecError
    from ccrgen.loader import load

    try:
        loaded = load(path, preset=preset)
    except SpecError as exc:
        if SPEC_INVALID in set(ignore):
            return []
        return sort_findings([
            Finding(code=SPEC_INVALID, severity="error",
                    file=p.location.file if p.location else str(path),
                    line=p.location.line if p.location else None,
                    column=p.location.column if p.location else None,
                    path=p.path, message=p.message, hint=p.hint)
            for p in exc.problems
        ])
    return lint(loaded, ignore=ignore, env=env)
