"""Rule documentation, generated from the rule declarations (`ccrgen rules`, docs/rules.md)."""

from __future__ import annotations

import json
import textwrap


def _flat(text: str) -> str:
    return " ".join(text.split())


def table(rules) -> str:
    rules = list(rules)
    width = max(len(r.name) for r in rules)
    return "".join(f"{r.code}  {r.severity:<7}  {r.name:<{width}}  {r.summary}\n" for r in rules)


def policy_lines() -> list[str]:
    from ccrgen.lint.rule import SEVERITY_POLICY

    return [f"- **{severity}**: {meaning}" for severity, meaning in SEVERITY_POLICY.items()]


def explain(r) -> str:
    wrap = lambda text: textwrap.fill(_flat(text), width=88)  # noqa: E731
    return (f"{r.code} {r.name} ({r.severity})\n{r.summary}\n\n"
            f"Why it matters:\n{wrap(r.why)}\n\nHow to fix it:\n{wrap(r.fix)}\n\n"
            f"Why {r.severity}:\n{wrap(r.severity_why)}\n\n"
            f"Silence it: `ccrgen lint --ignore {r.code}`, `lint: {{ignore: [{r.code}]}}` in a spec, "
            f"or `// ccrgen-ignore: {r.code}` in a config.json.")


def markdown(rules) -> str:
    rules = list(rules)
    out = ["# ccrgen lint rules", "",
           "Generated from the rule definitions by `ccrgen rules --markdown`; do not edit by hand.", "",
           "## Severity policy", "",
           "Every rule has the severity this policy gives it, and says why below.", "",
           *policy_lines(), "",
           "A rule may give one finding a lower severity than its own when ccrgen cannot be sure "
           "(its section says when). `lint` fails on errors; `--strict` fails on warnings too.", "",
           "## Rules", "",
           "| Code | Name | Severity | Summary |", "|---|---|---|---|"]
    out += [f"| [{r.code}](#{r.code.lower()}) | {r.name} | {r.severity} | {r.summary} |" for r in rules]
    for r in rules:
        out += ["", f"## {r.code}", "", f"**{r.name}** ({r.severity}): {r.summary}.", "",
                f"*Why it matters.* {_flat(r.why)}", "", f"*How to fix it.* {_flat(r.fix)}", "",
                f"*Why {r.severity}.* {_flat(r.severity_why)}"]
    return "\n".join(out) + "\n"


def as_json(rules) -> str:
    return json.dumps([{"code": r.code, "name": r.name, "severity": r.severity, "summary": r.summary,
                        "why": _flat(r.why), "fix": _flat(r.fix),
                        "severity_why": _flat(r.severity_why)} for r in rules], indent=2) + "\n"
