"""The build: check a loaded config (schema, then lint) and the files it makes.

`problems` is the one check `build`, `diff` and `build --install` share: what makes a build
refused (schema errors and lint errors), and the findings that do not stop it. Findings about
the machine rather than the file (the rules flagged `environment`, e.g. a variable the config
references is not set) never refuse a build: the file is right, and CCR works once the variable is set; `build`
prints them as the errors they are and says what CCR will do until then.
"""

from __future__ import annotations

import re
from typing import Iterable

from ccrgen.ccr.facts import CONFIG_FILE_NAME
from ccrgen.errors import BuildRefused, Problem
from ccrgen.errors import Location
from ccrgen.lifecycle.install import PRIVATE, PUBLIC
from ccrgen.config.render import config_json

_REFERENCE = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)")


def problems(loaded, *, ignore: Iterable[str] = ()) -> tuple[list[Problem], list]:
    """(what refuses the build, the other findings: warnings, info, environment errors)."""
    from ccrgen.lint.engine import environment_codes, lint
    from ccrgen.check.validate import schema_problems, verdicts_kept

    with verdicts_kept():  # lint's type check and the schema's are one compiled check
        findings = lint(loaded, ignore=ignore)
        machine = environment_codes()
        errors = [f for f in findings if f.severity == "error" and f.code not in machine]
        linted = {(f.file, f.line, f.column) for f in errors}
        # A value both the schema and a rule reject is reported once, by the rule (it says more).
        found = [p for p in schema_problems(loaded)
                 if not p.location or (p.location.file, p.location.line, p.location.column) not in linted]
    found += [
        Problem(f"{f.message} [{f.code}]", Location(f.file, f.line, f.column), f.path,
                "\n  ".join(x for x in (f.hint, f.context and f"context: {f.context}") if x) or None)
        for f in errors
    ]
    refused = {id(f) for f in errors}
    return found, [f for f in findings if id(f) not in refused]


def check(loaded, *, ignore: Iterable[str] = (), consequence: str = "nothing was written") -> list:
    """The findings that do not stop the build; raises BuildRefused (saying `consequence`)
    when something does."""
    found, others = problems(loaded, ignore=ignore)
    if found:
        refuse(loaded, found, consequence)
    return others


def refuse(loaded, found: list, consequence: str = "nothing was written"):
    """Raise the BuildRefused that lists `found` (the problems that stop a build)."""
    noun = "problem" if len(found) == 1 else "problems"
    raise BuildRefused(f"{loaded.file}: {len(found)} {noun}; {consequence}", problems=found, consequence=consequence)


def environment_findings(findings) -> list:
    from ccrgen.lint.engine import environment_codes

    machine = environment_codes()
    return [f for f in findings if f.code in machine]


def unset_names(findings) -> list[str]:
    """The variable names environment findings are about, in order, once each."""
    names = []
    for f in environment_findings(findings):
        match = _REFERENCE.match(f.message)
        if match and match.group(1) not in names:
            names.append(match.group(1))
    return names


def planned_files(loaded) -> dict[str, tuple[str, int]]:
    """name -> (text, mode). config.json is private: it holds keys or their references."""
    files = {CONFIG_FILE_NAME: (config_json(loaded.config), PRIVATE)}
    for name, text in sorted(loaded.files.items()):
        files[name] = (text, PUBLIC)
    return files
