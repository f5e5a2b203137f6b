"""How ccrgen talks to a terminal: whether to colour, and the one style of error line.

Colour, first match wins:
  1. `--color always|never` (or CCRGEN_COLOR=always|never|auto)
  2. NO_COLOR set and not empty: never (https://no-color.org)
  3. FORCE_COLOR set and not empty or "0": always, also into a pipe
  4. auto: colour when the stream is a terminal and TERM is not "dumb"
"""

from __future__ import annotations

import os
import sys

CHOICES = ("auto", "always", "never")

_choice = "auto"   # set once by the CLI's --color option


def set_choice(choice: str | None) -> None:
    global _choice
    _choice = choice or os.environ.get("CCRGEN_COLOR", "auto")
    if _choice not in CHOICES:
        _choice = "auto"


def use_color(stream=None) -> bool:
    """Colour `stream` (stdout by default)?"""
    choice = _choice if _choice != "auto" else os.environ.get("CCRGEN_COLOR", "auto")
    if choice == "always":
        return True
    if choice == "never":
        return False
    if os.environ.get("NO_COLOR"):
        return False
    force = os.environ.get("FORCE_COLOR")
    if force and force != "0":
        return True
    stream = sys.stdout if stream is None else stream
    try:
        return stream.isatty() and os.environ.get("TERM") != "dumb"
    except (AttributeError, ValueError):
        return False


def error_line(message: str, hint: str | None = None) -> str:
    """`error: MESSAGE` and, when there is one, `  hint: HINT`: the style of every error."""
    text = f"error: {message}"
    if hint:
        text += f"\n  hint: {hint}"
    return text


# --- questions ----------------------------------------------------------------------------

_stdin_taken = False   # set when `-` read the input from stdin: nobody is left to answer there


def stdin_taken() -> None:
    global _stdin_taken
    _stdin_taken = True


def confirm(question: str, *, err: bool = False) -> None:
    """Ask `question` (abort on no, exit 130), unless stdin held the input: then the answer
    would be read from the end of that input, so say what to do instead (exit 2)."""
    import click

    if _stdin_taken:
        from ccrgen.errors import InputError

        raise InputError(f"cannot ask '{question}': the input was read from stdin, so nothing was written",
                         hint="add --yes to go ahead without asking, or --dry-run to see the changes only")
    click.confirm(question, abort=True, err=err)
