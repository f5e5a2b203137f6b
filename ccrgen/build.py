"""The build: check a loaded config (schema, then lint) and plan the files to write."""

from __future__ import annotations

from typing import Iterable

from ccrgen.ccr.facts import CONFIG_FILE_NAME
from ccrgen.errors import BuildRefused, Problem
from ccrgen.errors import Location
from ccrgen.install import PRIVATE, PUBLIC
from ccrgen.render import config_json


def check(loaded, *, ignore: Iterable[str] = ()) -> list:
    """Lint findings that do not stop the build; raises BuildRefused when something does."""
    from ccrgen.lint.engine import lint
    from ccrgen.validate import schema_problems

    findings = lint(loaded, ignore=ignore)
    errors = [f for f in findings if f.severity == "error"]
    linted = {(f.file, f.line, f.column) for f in errors}
    # A value both the schema and a rule reject is reported once, by the rule (it says more).
    problems = [p for p in schema_problems(loaded)
                if not p.location or (p.location.file, p.location.line, p.location.column) not in linted]
    problems += [
        Problem(f"{f.message} [{f.code}]", Location(f.file, f.line, f.column), f.path, f.hint)
        for f in errors
    ]
    if problems:
        noun = "problem" if len(problems) == 1 else "problems"
        raise BuildRefused(f"{loaded.file}: {len(problems)} {noun}; nothing was written",
                           problems=problems)
    return [f for f in findings if f.severity != "error"]


def planned_files(loaded) -> dict[str, tuple[str, int]]:
    """name -> (text, mode). config.json is private: it holds keys or their references."""
    files = {CONFIG_FILE_NAME: (config_json(loaded.config), PRIVATE)}
    for name, text in sorted(loaded.files.items()):
        files[name] = (text, PUBLIC)
    return files
