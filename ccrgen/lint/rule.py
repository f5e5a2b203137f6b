"""How a lint rule is declared. Each rule has a stable code, a severity, a one-line summary,
why it matters and how to fix it; `ccrgen rules` and the README's rule list are generated
from these declarations.

A rule's check is a function of a `LintContext` that yields `Hit`s; the engine turns hits
into located `Finding`s.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping

RULES: dict[str, "Rule"] = {}


@dataclass(frozen=True)
class Hit:
    path: tuple                     # config path of the offending value
    message: str
    hint: str | None = None
    severity: str | None = None     # overrides the rule's severity for this hit


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    severity: str
    summary: str
    why: str
    fix: str
    check: Callable[["LintContext"], Iterable[Hit]] = field(compare=False, repr=False)


@dataclass
class LintContext:
    loaded: object                  # ccrgen.loader.LoadedConfig
    env: Mapping[str, str]

    @property
    def config(self) -> dict:
        return self.loaded.config


def rule(*, code: str, name: str, severity: str, summary: str, why: str, fix: str):
    def register(check):
        if code in RULES:
            raise RuntimeError(f"duplicate rule code {code}")
        RULES[code] = Rule(code, name, severity, summary, why.strip(), fix.strip(), check)
        return check

    return register
