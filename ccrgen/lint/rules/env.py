"""Environment references: written so CCR interpolates them, where it interpolates, and set."""

from __future__ import annotations

import re

from ccrgen.ccr import facts
from ccrgen.ccr.config import ENV_REFERENCE
from ccrgen.lint.rule import Hit, rule

# `$name` with a lower-case letter somewhere in the name: CCR's unbraced form is [A-Z_][A-Z0-9_]*.
NOT_INTERPOLATED = re.compile(r"\$(?!\{)([A-Za-z_][A-Za-z0-9_]*)")


def strings(value, path=()):
    """(path, text) for every string inside `value`."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from strings(item, path + (key,))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from strings(item, path + (i,))


def _config_strings(ctx, interpolated: bool):
    """Strings under the keys CCR interpolates, or under the keys it reads uninterpolated."""
    keys = facts.INTERPOLATED_KEYS if interpolated else facts.UNINTERPOLATED_KEYS
    for key, value in ctx.config.items():
        if key in keys:
            yield from strings(value, (key,))


@rule(
    code="CCR070",
    name="env-lowercase-reference",
    severity="warning",
    summary="`$name` with lower-case letters, which CCR does not interpolate",
    why="""CCR replaces unbraced `$NAME` only when NAME is upper case (`[A-Z_][A-Z0-9_]*`):
`$hicap_key` is sent as the literal text, and `$Hicap_Key` is read as `$H` followed by
`icap_Key`.""",
    fix="Use an upper-case variable name, or braces: `${hicap_key}`.",
)
def env_lowercase_reference(ctx):
    for path, text in _config_strings(ctx, interpolated=True):
        for match in NOT_INTERPOLATED.finditer(text):
            name = match.group(1)
            if name != name.upper():
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
)
def env_reference_not_interpolated(ctx):
    for path, text in _config_strings(ctx, interpolated=False):
        match = ENV_REFERENCE.search(text)
        if match:
            yield Hit(path, f"'{match.group(0)}' in {path[0]} is never interpolated by CCR 2.0.0",
                      "write the value itself")


@rule(
    code="CCR072",
    name="env-unset",
    severity="warning",
    summary="A referenced environment variable is not set here",
    why="""CCR leaves an unset reference as literal text: a missing `HICAP_API_KEY` sends
the string `$HICAP_API_KEY` as the key and the provider answers 401.""",
    fix="Export the variable in the shell that starts CCR (then `ccr restart`).",
)
def env_unset(ctx):
    for path, text in _config_strings(ctx, interpolated=True):
        if "$" not in text:
            continue
        for match in ENV_REFERENCE.finditer(text):
            name = match.group(1) or match.group(2)
            if not ctx.env.get(name):
                yield Hit(path, f"${name} is not set: CCR would send the literal text '{match.group(0)}'",
                          f"export {name}=... before starting CCR")
