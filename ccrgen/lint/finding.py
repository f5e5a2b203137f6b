"""What lint reports: one plain data object per finding; reporters format them."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ccrgen.lint.fix import Fix

SEVERITIES = ("error", "warning", "info")


@dataclass(frozen=True)
class Finding:
    code: str
    severity: str
    file: str
    line: int | None
    column: int | None
    path: str
    message: str
    hint: str | None = None
    context: str | None = None      # e.g. where the preset a spec extends sets the value
    # The config path the rule reported (for fixes), and the fix `lint --fix` may apply.
    config_path: tuple | None = field(default=None, compare=False, repr=False)
    fix: Fix | None = field(default=None, compare=False, repr=False)

    def as_dict(self) -> dict:
        """The documented fields, plus `context` and `fix` when there are any."""
        out = {k: v for k, v in asdict(self).items() if k not in ("config_path", "fix", "context")}
        if self.context is not None:
            out["context"] = self.context
        if self.fix is not None:
            out["fix"] = self.fix.as_dict()
        return out
