"""What lint reports: one plain data object per finding; reporters format them.

A plain class, not a dataclass (lint imports this on every run, and creating a dataclass
costs about a millisecond); it behaves as the frozen dataclass it was: compared and hashed
by its reported fields, copied with changes by `replace`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ccrgen.common.values import Frozen

if TYPE_CHECKING:
    from ccrgen.lint.fix import Fix

SEVERITIES = ("error", "warning", "info")

# The reported fields, in order; `config_path` and `fix` follow them, outside comparisons.
FIELDS = ("code", "severity", "file", "line", "column", "path", "message", "hint", "context")
_ALL = FIELDS + ("config_path", "fix")
# What as_dict always gives (plus `context` and `fix` when there are any).
_DOCUMENTED = FIELDS[:-1]


class Finding(Frozen):
    __slots__ = _ALL
    _KEY = FIELDS   # config_path and fix take no part in comparisons or the repr

    def __init__(self, code: str, severity: str, file: str, line: int | None, column: int | None, path: str,
                 message: str, hint: str | None = None, context: str | None = None,
                 config_path: tuple | None = None, fix: Fix | None = None) -> None:
        set_ = object.__setattr__
        set_(self, "code", code)
        set_(self, "severity", severity)
        set_(self, "file", file)
        set_(self, "line", line)
        set_(self, "column", column)
        set_(self, "path", path)
        set_(self, "message", message)
        set_(self, "hint", hint)
        set_(self, "context", context)      # e.g. where the preset a spec extends sets the value
        # The config path the rule reported (for fixes), and the fix `lint --fix` may apply.
        set_(self, "config_path", config_path)
        set_(self, "fix", fix)

    def replace(self, **changes) -> Finding:
        """A copy with `changes` (as dataclasses.replace)."""
        values = {name: getattr(self, name) for name in _ALL}
        values.update(changes)
        return Finding(**values)

    def as_dict(self) -> dict:
        """The documented fields, plus `context` and `fix` when there are any."""
        out = {name: getattr(self, name) for name in _DOCUMENTED}
        if self.context is not None:
            out["context"] = self.context
        if self.fix is not None:
            out["fix"] = self.fix.as_dict()
        return out
