"""What lint reports: one plain data object per finding; reporters format them."""

from __future__ import annotations

from dataclasses import asdict, dataclass

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

    def as_dict(self) -> dict:
        return asdict(self)
