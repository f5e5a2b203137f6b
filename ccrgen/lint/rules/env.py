"""Environment references: written so CCR interpolates them, where it interpolates, and set."""

from __future__ import annotations

import re

from ccrgen.ccr import facts
from ccrgen.ccr.config import ENV_REFERENCE
from ccrgen.lint.rule import Hit, rule

# `$name` with a lower-case letter somewhere in the name: CCR's unbraced form is [A-Z_][A-Z0-9_]*.
NOT_INTERPOLATED = re.compile(r"\$(?!\{)([A-Za-z_][A-Za-z0-9_]*)")


# Reference syntaxes of other tools that CCR 2.0.0 leaves as literal text, and how to write
# them for CCR. (`${env:NAME}` is read by CCR as the variable "env:NAME", which is never set.)
# Compiled on first use (foreign_references()): most configs hold no string FOREIGN_HINT finds.
_FOREIGN_REFERENCES = (
    (r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}", "VS Code's ${env:NAME}"),
    (r"\$\{([A-Za-z_][A-Za-z0-9_]*):?[-=?+][^}]*\}", "the shell's ${NAME:-default}"),
    (r"\$env:([A-Za-z_][A-Za-z0-9_]*)", "PowerShell's $env:NAME"),
    (r"%([A-Za-z_][A-Za-z0-9_]*)%", "Windows' %NAME%"),
    (r"\bprocess\.env\.([A-Za-z_][A-Za-z0-9_]*)", "JavaScript's process.env.NAME"),
)
_FOREIGN_COMPILED: tuple = ()


def foreign_references() -> tuple:
    """(compiled pattern, label) of each foreign reference syntax, in the order tried."""
    global _FOREIGN_COMPILED
    if not _FOREIGN_COMPILED:
        _FOREIGN_COMPILED = tuple((re.compile(source), label) for source, label in _FOREIGN_REFERENCES)
    return _FOREIGN_COMPILED
FOREIGN_HINT = re.compile(r"%|\$env:|\$\{[^}]*[:=?+-]|process\.env")
# A key that is the name of an environment variable written without its `$`.
BARE_NAME = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*_(?:API_KEY|APIKEY|KEY|TOKEN|SECRET)$")
PLAIN_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def strings(value, path=()):
    """(path, text) for every string inside `value`, depth first (iterative: any depth)."""
    stack = [(tuple(path), value)]
    while stack:
        where, node = stack.pop()
        if isinstance(node, str):
            yield where, node
        elif isinstance(node, dict):
            stack += [(where + (key,), item) for key, item in reversed(node.items())]
        elif isinstance(node, list):
            stack += [(where + (i,), node[i]) for i in range(len(node) - 1, -1, -1)]


def _all_strings(ctx) -> list[tuple[tuple, str]]:
    """(path, text) of every string in the config, collected once for all the env rules."""
    return ctx._once("strings", lambda: list(strings(ctx.config)))


def _config_strings(ctx, interpolated: bool):
    """Strings under the keys CCR interpolates, or under the keys it reads uninterpolated."""
    keys = facts.INTERPOLATED_KEYS if interpolated else facts.UNINTERPOLATED_KEYS
    return ctx._once(("strings", interpolated), lambda: [
        (path, text) for path, text in _all_strings(ctx) if path[0] in keys and "$" in text])


@rule(
    code="CCR070",
    name="env-lowercase-reference",
    severity="error",
    summary="`$name` with lower-case letters, which CCR does not interpolate",
    why="""CCR replaces unbraced `$NAME` only when NAME is upper case (`[A-Z_][A-Z0-9_]*`):
`$hicap_key` is sent as the literal text, and `$Hicap_Key` is read as `$H` followed by
`icap_Key`.""",
    fix="Use an upper-case variable name, or braces: `${hicap_key}`.",
    severity_why="the key is never interpolated: CCR sends the literal `$name`.",
)
def env_lowercase_reference(ctx):
    for path, text in _config_strings(ctx, interpolated=True):
        if "$" not in text:
            continue
        for match in NOT_INTERPOLATED.finditer(text):
            name = match.group(1)
            if name != name.upper() and not text.startswith(":", match.end()):  # $env:X is CCR073
                yield Hit(path, f"'${name}' is not interpolated by CCR (lower-case letters)",
                          f"write ${{{name}}} or ${name.upper()}")


@rule(
    code="CCR071",
    name="env-reference-not-interpolated",
    severity="error",
    summary="An environment reference where CCR 2.0.0 never interpolates",
    why="""CCR interpolates only `Providers`, `APIKEY`, `HOST` and `PORT`; it reads
`transformers`, `Router`, `PROXY_URL` and the rest straight from the file, so `$NAME` there
is used as literal text (a transformer path `$TDIR/x.js` fails with `Cannot find module`).""",
    fix="Write the value itself there (ccrgen writes absolute paths for its transformers).",
    severity_why="the reference is never interpolated: CCR uses the literal `$NAME`.",
)
def env_reference_not_interpolated(ctx):
    for path, text in _config_strings(ctx, interpolated=False):
        match = ENV_REFERENCE.search(text) if "$" in text else None
        if match:
            yield Hit(path, f"'{match.group(0)}' in {path[0]} is never interpolated by CCR 2.0.0",
                      "write the value itself")


@rule(
    code="CCR072",
    name="env-unset",
    severity="error",
    summary="A referenced environment variable is not set here",
    why="""CCR leaves an unset reference as literal text: a missing `HICAP_API_KEY` sends
the string `$HICAP_API_KEY` as the key and the provider answers 401.""",
    fix="Export the variable in the shell that starts CCR (then `ccr restart`).",
    severity_why="CCR would send the literal `$NAME` as the key and the provider rejects it. It depends on the environment of the process that starts CCR, so `build --install` reports it but still installs.",
    environment=True,
)
def env_unset(ctx):
    for path, text in _config_strings(ctx, interpolated=True):
        if "$" not in text:
            continue
        for match in ENV_REFERENCE.finditer(text):
            name = match.group(1) or match.group(2)
            if not PLAIN_NAME.match(name):
                continue  # CCR073: a syntax of another tool, never a variable CCR could find
            if not ctx.env.get(name):
                yield Hit(path, f"${name} is not set: CCR would send the literal text '{match.group(0)}'",
                          f"export {name}=... before starting CCR")


@rule(
    code="CCR073",
    name="env-foreign-syntax",
    severity="error",
    summary="An environment reference in another tool's syntax (`${env:NAME}`, `%NAME%`, ...)",
    why="""CCR 2.0.0 knows only `$NAME` and `${NAME}`. `%NAME%`, `$env:NAME` and
`process.env.NAME` are sent as written, and `${env:NAME}` looks up a variable named
`env:NAME`, which is never set: the provider receives the literal text as the key.""",
    fix="Write `$NAME` (upper case) or `${NAME}`.",
    severity_why="the reference is never interpolated: CCR sends the literal text.",
)
def env_foreign_syntax(ctx):
    for path, text in _all_strings(ctx):
        if not FOREIGN_HINT.search(text):
            continue  # the one cheap test most strings stop at
        for pattern, label in foreign_references():
            match = pattern.search(text)
            if match:
                yield Hit(path, f"'{match.group(0)}' is {label}, which CCR 2.0.0 does not interpolate",
                          f"write ${match.group(1)}")
                break


@rule(
    code="CCR074",
    name="env-name-without-dollar",
    severity="error",
    summary="A key is the name of an environment variable written without its `$`",
    why="""`"api_key": "DEEPSEEK_API_KEY"` sends the text `DEEPSEEK_API_KEY` as the key:
CCR interpolates only what starts with `$`.""",
    fix="Write `$DEEPSEEK_API_KEY`.",
    severity_why="the key is never interpolated: the provider receives the variable's name.",
)
def env_name_without_dollar(ctx):
    candidates = [(path + ("api_key",), p.get("api_key")) for path, p in ctx.providers]
    candidates.append((("APIKEY",), ctx.config.get("APIKEY")))
    for path, value in candidates:
        if isinstance(value, str) and BARE_NAME.match(value.strip()):
            yield Hit(path, f"'{value}' looks like an environment variable's name (or a placeholder): "
                      "CCR sends it as the key itself", f"write ${value.strip()}, or the key")
