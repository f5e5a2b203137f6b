"""Every error a user can see, and the exit code each one maps to.

The CLI catches `CcrgenError` at its edge, prints `render()` to stderr and exits with
`exit_code`. Nothing else in ccrgen prints errors or calls `sys.exit`.

Exit codes (documented in the README):
  0  success
  1  the input was read but is wrong (invalid spec, lint errors, a build refused)
  2  the input could not be read (missing file, malformed YAML/JSON5, unknown preset)
  3  ccrgen could not write its output (install/out folder)
  4  a required external program or service is missing or failed (node, ccr, upstream)
"""

from __future__ import annotations

from ccrgen.common.values import Frozen

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_UNREADABLE = 2
EXIT_WRITE_FAILED = 3
EXIT_EXTERNAL = 4

# Location and Problem are plain frozen values (ccrgen.common.values): every command imports
# this module, and creating a dataclass (and importing dataclasses) costs a few milliseconds.


class Location(Frozen):
    """Where something is in a file the user wrote. Line and column are 1-based."""

    __slots__ = ("file", "line", "column")

    def __init__(self, file: str, line: int | None = None, column: int | None = None) -> None:
        set_ = object.__setattr__
        set_(self, "file", file)
        set_(self, "line", line)
        set_(self, "column", column)

    def __str__(self) -> str:
        parts = [self.file]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)


class Problem(Frozen):
    """One thing wrong with an input: where, which key, what, and how to fix it."""

    __slots__ = ("message", "location", "path", "hint")

    def __init__(self, message: str, location: Location | None = None, path: str = "",
                 hint: str | None = None) -> None:
        set_ = object.__setattr__
        set_(self, "message", message)
        set_(self, "location", location)
        set_(self, "path", path)
        set_(self, "hint", hint)

    def render(self) -> str:
        head = f"{self.location}: " if self.location else ""
        key = f"{self.path}: " if self.path else ""
        text = f"{head}{key}{self.message}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


class CcrgenError(Exception):
    """Base of every user-facing error. Carries one or more problems."""

    exit_code = EXIT_INVALID

    def __init__(
        self,
        message: str,
        *,
        location: Location | None = None,
        path: str = "",
        hint: str | None = None,
        problems: list[Problem] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.problems = problems or [Problem(message, location, path, hint)]

    def render(self) -> str:
        if len(self.problems) == 1:
            return f"error: {self.problems[0].render()}"
        lines = [f"error: {self.message}"]
        lines += ["  " + p.render().replace("\n", "\n  ") for p in self.problems]
        return "\n".join(lines)


class InputError(CcrgenError):
    """The input could not be read at all: missing file, malformed YAML/JSON5, unknown preset."""

    exit_code = EXIT_UNREADABLE


class SpecError(CcrgenError):
    """The spec was read but does not describe a valid configuration."""

    exit_code = EXIT_INVALID


class BuildRefused(CcrgenError):
    """The build produced something CCR would reject or misuse (schema or lint errors)."""

    exit_code = EXIT_INVALID

    def __init__(self, message: str, *, consequence: str = "nothing was written", **kwargs) -> None:
        super().__init__(message, **kwargs)
        self.consequence = consequence

    def render(self) -> str:
        text = super().render()
        if len(self.problems) == 1:
            text += f"\n  {self.consequence}"
        return text


class WriteError(CcrgenError):
    """Output could not be written; the previous files are left as they were."""

    exit_code = EXIT_WRITE_FAILED


class ExternalError(CcrgenError):
    """A program or service ccrgen relies on is missing or failed (node, ccr, an upstream)."""

    exit_code = EXIT_EXTERNAL
