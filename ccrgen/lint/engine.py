"""Run every rule over a loaded config and collect located findings."""

from __future__ import annotations

import os
from typing import Iterable, Mapping

from ccrgen.common.document import format_path
from ccrgen.lint.finding import SEVERITIES, Finding
from ccrgen.lint.rule import RULES, LintContext

SPEC_INVALID = "CCR000"

# The codes `lint --fix` has a fix for: ccrgen/lint/fixes.py registers a builder for each
# of them, and for no other (it refuses to). Listed here so that a lint whose findings have
# none of them does not import the fix machinery at all.
FIXABLE_CODES = frozenset({"CCR000", "CCR002", "CCR004", "CCR005", "CCR010", "CCR011", "CCR013",
                           "CCR015", "CCR044", "CCR051", "CCR059", "CCR065", "CCR073", "CCR074"})


def all_rules():
    import ccrgen.lint.rules  # noqa: F401  (registers them)

    return dict(sorted(RULES.items()))


def environment_codes() -> frozenset[str]:
    """Codes of the rules whose findings depend on this machine, not on the file
    (`Rule.environment`): they never refuse a build, and doctor reports them itself."""
    return frozenset(code for code, declared in all_rules().items() if declared.environment)


def lint(loaded, *, ignore: Iterable[str] = (), env: Mapping[str, str] | None = None,
         select: Iterable[str] | None = None) -> list[Finding]:
    """Findings for one loaded config. Types first: the rules read only the well-typed part
    of the config (types.TypeGate); each value of the wrong type is one CCR004 finding,
    unless a rule already judged that value itself."""
    from ccrgen.common.inputs import paused_gc

    # The rules build many short-lived tuples (a path for every string of the config) and no
    # cycles: the collector's passes over the loaded tree would cost more than the rules do
    # (lint of a 1,000-provider spec: 1.5 s with them, 0.5 s without).
    with paused_gc():
        return _lint(loaded, ignore=ignore, env=env, select=select)


def _lint(loaded, *, ignore: Iterable[str], env: Mapping[str, str] | None,
          select: Iterable[str] | None) -> list[Finding]:
    from ccrgen.lint.rules import types

    rules = all_rules()
    skip = set(ignore) | set(loaded.ignore)
    wanted = set(select) if select is not None else set(rules)
    gate = types.TypeGate(loaded.config)
    ctx = LintContext(loaded=loaded, env=os.environ if env is None else env, typed=gate.typed)
    findings, judged = [], set()
    for code, r in rules.items():
        if r.check is None or code in skip or code not in wanted:
            continue
        for hit in r.check(ctx):
            path = gate.original_path(hit.path)
            judged.add(path)
            findings.append(_finding(loaded, code, hit.severity or r.severity, path, hit.message, hit.hint))
    if types.CODE not in skip and types.CODE in wanted:
        for path, message, hint, severity in gate.hits():
            if not any(p[:len(path)] == path for p in judged):  # a rule judged it, or inside it
                judged.add(path)
                findings.append(_finding(loaded, types.CODE, severity or rules[types.CODE].severity, path,
                                         f"{format_path(path) or 'the config'} {message}", hint))
    if loaded.kind == "spec":
        from ccrgen.lint.origin import attribute  # a spec's findings at the user's own line

        findings = attribute(loaded, findings, ignore=ignore, env=ctx.env)
    return sort_findings(findings)


def _finding(loaded, code, severity, path, message, hint) -> Finding:
    loc = loaded.locate(path)
    return Finding(code=code, severity=severity, file=loc.file, line=loc.line, column=loc.column,
                   path=loaded.describe_path(path), message=message, hint=hint,
                   config_path=tuple(path))


def sort_findings(findings: list[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (f.file, f.line or 0, f.column or 0,
                                           SEVERITIES.index(f.severity), f.code))


def lint_path(path, *, preset: str | None = None, ignore: Iterable[str] = (),
              env: Mapping[str, str] | None = None, text: str | None = None) -> list[Finding]:
    """Load one spec, preset or config.json and lint it. A spec that does not validate gives
    CCR000 findings (one per problem); a file that cannot be read raises InputError."""
    from ccrgen.errors import SpecError
    from ccrgen.lint.origin import shown
    from ccrgen.spec.loader import load

    try:
        loaded = load(path, preset=preset, text=text, check_types=False)  # lint reports types itself (CCR004)
    except SpecError as exc:
        if SPEC_INVALID in set(ignore):
            return []
        return sort_findings([
            Finding(code=SPEC_INVALID, severity="error",
                    file=shown(p.location.file) if p.location else str(path),
                    line=p.location.line if p.location else None,
                    column=p.location.column if p.location else None,
                    path=p.path, message=p.message, hint=p.hint)
            for p in exc.problems
        ])
    return lint(loaded, ignore=ignore, env=env)


def lint_text(path, text: str, *, ignore: Iterable[str] = (),
              env: Mapping[str, str] | None = None) -> list[Finding]:
    """Lint `text` as the content of `path`, with the fixes attached (`lint --fix` applies them)."""
    from ccrgen.errors import SpecError
    from ccrgen.spec.loader import load

    try:
        loaded = load(path, text=text, check_types=False)  # lint reports types (CCR004)
    except SpecError:
        loaded = None  # CCR000 findings: lint_path turns the problems into findings
    found = (lint(loaded, ignore=ignore, env=env) if loaded is not None
             else lint_path(path, ignore=ignore, env=env, text=text))
    if not any(f.code in FIXABLE_CODES for f in found):
        return found
    from ccrgen.lint import fix, fixes
    from ccrgen.lint.source import source_for

    try:
        source = source_for(path, text)
    except fix.source_errors():  # PyYAML's pure-Python composer refused what libyaml read
        return found
    return fixes.attach(found, fixes.Target(file=str(path), source=source, loaded=loaded))
