"""`ccrgen lint --fix`: apply the fixes attached to findings, as text edits, in place.

A `Fix` is data: a title, whether it is safe, and text edits (character offsets into the
file's text). Fixes are built per rule code in `fixes.py`; here they are applied. Each pass
lints the current text, takes every applicable fix whose edits do not overlap an edit
already taken, applies the edits from the end of the text backwards, and lints again, at
most `MAX_PASSES` times (one fix can make another possible: a renamed `router` key lets
the route fixes run). A pass whose result cannot be read back is dropped.

Safe fixes make the file say what it evidently meant; unsafe ones (`--unsafe-fixes`, ruff's
convention) could change behaviour in a way the user did not ask for.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping

from ccrgen.lint.engine import lint_text

MAX_PASSES = 5


def source_errors() -> tuple[type[Exception], ...]:
    """What reading a file's spans can raise (imported only when a fix is looked for)."""
    import yaml

    from ccrgen.ccr.json5 import Json5Error

    return Json5Error, yaml.YAMLError, ValueError


@dataclass(frozen=True)
class Edit:
    start: int          # character offsets into the text: [start, end) is replaced
    end: int
    content: str

    def as_dict(self) -> dict:
        return {"start": self.start, "end": self.end, "content": self.content}


@dataclass(frozen=True)
class Fix:
    title: str
    edits: tuple[Edit, ...]
    safe: bool = True

    def as_dict(self) -> dict:
        return {"title": self.title, "safe": self.safe, "edits": [e.as_dict() for e in self.edits]}


@dataclass
class FixResult:
    original: str
    text: str
    applied: list = field(default_factory=list)    # the findings whose fixes were applied
    findings: list = field(default_factory=list)   # what lint reports on the fixed text

    @property
    def changed(self) -> bool:
        return self.text != self.original


def apply_edits(text: str, edits: Iterable[Edit]) -> str:
    """`text` with every edit applied; edits must not overlap (two insertions at one offset
    are applied in the order given)."""
    ordered = sorted(enumerate(edits), key=lambda ie: (ie[1].start, ie[1].end, ie[0]), reverse=True)
    out = text
    for _, e in ordered:
        out = out[:e.start] + e.content + out[e.end:]
    return out


def _overlaps(edit: Edit, taken: list[Edit]) -> bool:
    for t in taken:
        if edit.start < t.end and t.start < edit.end:
            return True
        if edit.start == edit.end == t.start == t.end:
            return True  # two insertions at one place: their order would be a guess
        if edit.start == edit.end and t.start < edit.start < t.end:
            return True
        if t.start == t.end and edit.start < t.start < edit.end:
            return True
    return False


def choose(findings: list, *, unsafe: bool) -> list:
    """The findings whose fixes apply together: safe ones (and unsafe ones if asked), first
    come first served when edits would overlap."""
    chosen, taken = [], []
    for f in findings:
        fix = f.fix
        if fix is None or not fix.edits or (not fix.safe and not unsafe):
            continue
        if any(_overlaps(e, taken) for e in fix.edits):
            continue
        chosen.append(f)
        taken.extend(fix.edits)
    return chosen


def fix_text(path: Path, text: str, *, unsafe: bool = False, ignore: Iterable[str] = (),
             env: Mapping[str, str] | None = None, passes: int = MAX_PASSES) -> FixResult:
    """Apply fixes to `text` (the content of `path`) until none is left to apply."""
    from ccrgen.errors import CcrgenError

    result = FixResult(original=text, text=text)
    findings = lint_text(path, text, ignore=ignore, env=env)
    for _ in range(passes):
        chosen = choose(findings, unsafe=unsafe)
        if not chosen:
            break
        new_text = apply_edits(result.text, [e for f in chosen for e in f.fix.edits])
        if new_text == result.text:
            break
        try:
            new_findings = lint_text(path, new_text, ignore=ignore, env=env)
        except CcrgenError:
            break  # the edits made the file unreadable: keep the last good text
        result.text, findings = new_text, new_findings
        result.applied += chosen
    result.findings = findings
    return result


def unified_diff(path: str, before: str, after: str) -> str:
    """The edits as a unified diff; literal secrets on the lines shown are masked."""
    import difflib

    from ccrgen.common.secrets import mask_text, mask_urls_in

    lines = difflib.unified_diff(before.splitlines(keepends=True), after.splitlines(keepends=True),
                                 fromfile=f"a/{path}", tofile=f"b/{path}")
    out = []
    for line in lines:
        out.append(line if line.endswith(("\n", "\r")) else line + "\n\\ No newline at end of file\n")
    secrets = _literal_secrets(Path(path), before) | _literal_secrets(Path(path), after)
    return mask_urls_in(mask_text("".join(out), sorted(secrets)))


def _literal_secrets(path: Path, text: str) -> set[str]:
    """Every string in the file that is a secret: under a secret-holding key and not a
    reference, or shaped like an API key wherever it is."""
    from ccrgen.lint.source import Json5Source, source_for
    from ccrgen.common.secrets import is_reference, is_secret_key, looks_like_key

    try:
        source = source_for(path, text)
        if isinstance(source, Json5Source):
            data = source.data
        else:
            import yaml

            data = yaml.safe_load(text)
    except source_errors():  # text lint could read: only a guard
        return set()
    found: set[str] = set()
    stack = [("", data)]
    while stack:
        key, node = stack.pop()
        if isinstance(node, dict):
            stack.extend((str(k), v) for k, v in node.items())
        elif isinstance(node, list):
            stack.extend((key, v) for v in node)
        elif isinstance(node, str) and node.strip() and not NAMES_A_VARIABLE.search(node):
            if (is_secret_key(key) and not is_reference(node)) or looks_like_key(node):
                found.add(node)
    return found


# A value that names a variable (`HICAP_API_KEY`, `${env:KEY}`, `%KEY%`) holds no secret itself.
NAMES_A_VARIABLE = re.compile(r"^[A-Z][A-Z0-9_]*$|\$\{|\$env:|%[A-Za-z_]\w*%|process\.env\.")


def write_fixed(path: Path, text: str):
    """Replace `path` with `text` atomically, the old file backed up (install's way)."""
    from ccrgen.lifecycle import install

    path = Path(path)
    try:
        mode = path.stat().st_mode & 0o777
    except OSError:
        mode = install.PRIVATE
    results = install.write_files(path.parent, {path.name: (text.encode("utf-8"), mode)})
    return results[0]
