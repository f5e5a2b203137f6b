"""What an install, rollback or uninstall would change in a CCR folder, and applying it.

A `Plan` holds the files to write and to remove, the semantic diff of config.json and the text
diff of the other files (ccrgen/lifecycle/diff.py), and what the user must hear first: files edited
outside ccrgen since it last installed them (from the history's hashes), comments that the new
config.json will not have, interrupted installs that were finished. `diff`, `build --install`,
`rollback`, `uninstall` and `doctor` all ask this module; `apply` writes a plan as one set
(ccrgen/lifecycle/install.py) and records it in the history (ccrgen/lifecycle/history.py).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from ccrgen.ccr.facts import CONFIG_FILE_NAME
from ccrgen.common.inputs import STDIN

ACTIONS = ("install", "rollback", "uninstall")


@dataclass(frozen=True)
class HandEdit:
    name: str
    since: str                  # when ccrgen last wrote it (its history entry's time)
    entry: int


@dataclass
class Plan:
    folder: Path
    action: str                                   # install, rollback, uninstall
    source: str                                   # "spec /abs/x.yaml", "preset hicap", "entry 3"
    files: dict[str, tuple[bytes, int]]           # name -> (content, mode) to be in place
    remove: list[str] = field(default_factory=list)
    changes: list = field(default_factory=list)   # diff.Change of config.json
    file_changes: list = field(default_factory=list)  # diff.FileChange of the other files
    edited: list[HandEdit] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)    # said before the diff
    recovered: list[str] = field(default_factory=list)

    @property
    def has_changes(self) -> bool:
        return bool(self.changes or self.file_changes)

    def warnings(self) -> list[str]:
        """What the user must read before the diff (also with --yes)."""
        lines = list(self.recovered)
        for edit in self.edited:
            lines.append(f"{edit.name} was edited outside ccrgen since {edit.since} "
                         f"(history entry {edit.entry}); this {self.action} replaces those edits")
        if self.edited and self.action == "install":
            config = self.folder / CONFIG_FILE_NAME
            lines.append(f"  to keep them, turn the edited file into a spec first: "
                         f"`ccrgen import {config} -o ccrgen.yaml`; "
                         f"the edited version stays in `ccrgen history` (`ccrgen rollback` restores it)")
        return lines + self.notes


@dataclass
class Applied:
    results: list                                 # install.WriteResult
    entry: object                                 # history.Entry
    recovered: list[str]


# --- building plans -------------------------------------------------------------------------

def source_of(spec: Path | None, preset: str | None, loaded) -> str:
    """What an install was built from, as the history shows it: a spec's absolute path, or
    `preset NAME` (never the preset file inside the installed package)."""
    if preset:
        return f"preset {preset}"
    return f"{loaded.kind} {Path(loaded.file).absolute()}"


def for_build(loaded, folder: Path, *, source: str, strict: bool = False) -> Plan:
    """The install of what `loaded` builds into `folder`: files written, stale files ccrgen
    installed before and this build no longer writes, and the diff. `strict`: an installed
    config.json that cannot be read is an error (diff) rather than shown as replaced (install)."""
    from ccrgen.config import build
    from ccrgen.lifecycle.history import History

    folder = Path(folder)
    recovered = recover_if_needed(folder)
    files = {name: (text.encode("utf-8"), mode) for name, (text, mode) in build.planned_files(loaded).items()}
    stale, kept = _stale_files(folder, files, files[CONFIG_FILE_NAME][0].decode("utf-8"))
    plan = Plan(folder, "install", source, files, remove=stale, recovered=recovered)
    plan.notes += [f"{name} is no longer part of the build but was edited outside ccrgen: left in place"
                   for name in kept]
    config = folder / CONFIG_FILE_NAME
    if config.exists() and CONFIG_FILE_NAME not in History(folder).last_installed():
        plan.notes.append(f"{config} was not written by ccrgen: it is kept as a backup and in "
                          "`ccrgen history`; `ccrgen uninstall` puts it back")
    _fill_in(plan, strict=strict)
    return plan


def for_rollback(folder: Path, ref: str | None) -> Plan:
    """Put back the files as they were just before history entry `ref` (default: the newest).
    Entries after it are undone too, newest first."""
    from ccrgen.lifecycle.history import History

    folder = Path(folder)
    recovered = recover_if_needed(folder)
    history = History(folder)
    target = history.find(ref)
    wanted: dict[str, bytes | None] = {}
    modes: dict[str, int | None] = {}
    for entry in reversed([e for e in history.entries() if e.id >= target.id]):
        for record in entry.touched:
            wanted[record.name] = entry.before(record.name)
            modes[record.name] = record.before_mode
    plan = _restore_plan(folder, "rollback", f"rollback of entry {target.id}", wanted, modes)
    plan.recovered = recovered
    return plan


def for_uninstall(folder: Path) -> Plan:
    """Remove what ccrgen installed and put back what was there before its first install."""
    from ccrgen.errors import SpecError
    from ccrgen.lifecycle.history import History

    folder = Path(folder)
    recovered = recover_if_needed(folder)
    history = History(folder)
    origin = history.origin()
    if not origin:
        raise SpecError(f"ccrgen has installed nothing in {folder}",
                        hint="`ccrgen history` lists what ccrgen installed there")
    plan = _restore_plan(folder, "uninstall", "uninstall", origin, history.origin_modes())
    plan.recovered = recovered
    return plan


def _restore_plan(folder: Path, action: str, source: str, wanted: dict[str, bytes | None],
                  modes: dict[str, int | None]) -> Plan:
    """Put `wanted` back, each file with the mode recorded for it (`modes`), else ccrgen's
    default for it (history written before modes were recorded)."""
    files = {name: (data, modes.get(name) if modes.get(name) is not None else _mode_for(name))
             for name, data in sorted(wanted.items()) if data is not None}
    remove = sorted(name for name, data in wanted.items() if data is None and (folder / name).exists())
    plan = Plan(folder, action, source, files, remove=remove)
    _fill_in(plan, strict=False)
    return plan


def _mode_for(name: str) -> int:
    from ccrgen.lifecycle.install import PRIVATE, PUBLIC

    return PRIVATE if name == CONFIG_FILE_NAME else PUBLIC


def _stale_files(folder: Path, files: dict, config_text: str) -> tuple[list[str], list[str]]:
    """Files ccrgen installed last time that this build neither writes nor names in its
    config.json: (to remove, edited since and so kept)."""
    from ccrgen.lifecycle.history import History, sha256

    remove, kept = [], []
    for name, (after, _entry) in sorted(History(folder).last_installed().items()):
        path = folder / name
        if name in files or after is None or not path.is_file() or json.dumps(str(path))[1:-1] in config_text:
            continue
        (remove if sha256(path.read_bytes()) == after else kept).append(name)
    return remove, kept


def _fill_in(plan: Plan, *, strict: bool) -> None:
    """The diff, hand edits and lost comments of a plan whose files are set."""
    from ccrgen.lifecycle.diff import diff_files
    from ccrgen.lifecycle.history import History, sha256

    folder = plan.folder
    last = History(folder).last_installed()
    new_config = plan.files.get(CONFIG_FILE_NAME)
    config_path = folder / CONFIG_FILE_NAME
    old_text = _read_text(config_path)
    if new_config is not None or CONFIG_FILE_NAME in plan.remove:
        new_text = new_config[0].decode("utf-8", "replace") if new_config else None
        if old_text != new_text:
            plan.changes = _config_changes(config_path, old_text, new_text, strict=strict, plan=plan)
            if old_text is not None and has_comments(old_text) and not (new_text and has_comments(new_text)):
                plan.notes.append(f"{config_path} has comments, which this {plan.action} does not keep "
                                  "(the old file is kept in the history and as a backup)")
    old_others = {name: t for name in _other_names(plan) if (t := _read_text(folder / name)) is not None}
    new_others = {name: data.decode("utf-8", "replace") for name, (data, _m) in plan.files.items()
                  if name != CONFIG_FILE_NAME}
    plan.file_changes = diff_files(old_others, new_others)
    for name in [*plan.files, *plan.remove]:
        if name not in last or not (folder / name).is_file():
            continue
        after, entry = last[name]
        current = (folder / name).read_bytes()
        replaced = plan.files.get(name, (None,))[0] != current
        if after is not None and sha256(current) != after and replaced:
            plan.edited.append(HandEdit(name, entry.time, entry.id))


def _other_names(plan: Plan) -> list[str]:
    return sorted({*plan.files, *plan.remove} - {CONFIG_FILE_NAME})


def _config_changes(path: Path, old_text: str | None, new_text: str | None, *, strict: bool, plan: Plan):
    from ccrgen.lifecycle.diff import Change, diff_configs
    from ccrgen.errors import InputError

    try:
        old = _parse(old_text, str(path)) if old_text is not None else None
    except InputError:
        if strict:
            raise
        plan.notes.append(f"{path} is not valid JSON5; it is replaced as a whole")
        old = None
    if new_text is None:
        return [Change("-", key, None, None) for key in (old or {})] or [Change("-", CONFIG_FILE_NAME)]
    try:
        new = _parse(new_text, "restored " + CONFIG_FILE_NAME)
    except InputError:
        return [Change("~", CONFIG_FILE_NAME, "(JSON5)", "(text that is not valid JSON5, as it was)")]
    return diff_configs(old, new)


def _parse(text: str, file: str) -> dict:
    from ccrgen.ccr.config import parse_config_text

    return parse_config_text(text, file).data


def _read_text(path: Path) -> str | None:
    from ccrgen.errors import InputError

    try:
        return path.read_bytes().decode("utf-8", "replace") if path.is_file() else None
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None


def has_comments(text: str) -> bool:
    """Whether JSON5 text has a // or /* comment (outside strings)."""
    quote, i = None, 0
    while i < len(text):
        c = text[i]
        if quote:
            if c == "\\":
                i += 1
            elif c == quote:
                quote = None
        elif c in "\"'":
            quote = c
        elif c == "/" and text[i + 1:i + 2] in ("/", "*"):
            return True
        i += 1
    return False


def recover_if_needed(folder: Path) -> list[str]:
    """Finish or roll back an interrupted install before reading the folder."""
    from ccrgen.lifecycle import install

    if not Path(folder).is_dir() or not install.needs_recovery(folder):
        return []
    with install.locked(folder) as notes:
        return notes


# --- the diff `ccrgen diff` and `doctor` show -----------------------------------------------

def config_changes(loaded, folder: Path, *, against: Path | None = None, against_text: str | None = None,
                   ignore_order=False, resolved=False):
    """(config changes, file changes) from what is installed in `folder` (or the config.json
    `against`, or `against_text`: one read from stdin, named - in errors as lint names it) to what `loaded`
    builds. An installed config.json that cannot be read is exit 2."""
    from ccrgen.config import build
    from ccrgen.ccr.config import as_ccr_sees_it
    from ccrgen.lifecycle.diff import diff_configs, diff_files
    from ccrgen.spec.loader import load_config

    folder = Path(folder)
    recover_if_needed(folder)
    new_text = build.planned_files(loaded)[CONFIG_FILE_NAME][0]
    new = json.loads(new_text) if loaded.kind == "spec" else loaded.config
    if against_text is not None:
        against = Path(STDIN)
        old = load_config(against, text=against_text, check_types=False).config
    else:
        old_path = against or folder / CONFIG_FILE_NAME
        old = load_config(old_path, check_types=False).config if old_path.exists() else None  # replaced as it is
    if resolved:
        new = as_ccr_sees_it(new, os.environ)
        old = as_ccr_sees_it(old, os.environ) if old is not None else None
    changes = diff_configs(old, new, ignore_order=ignore_order)
    if against is not None:
        return changes, []
    stale, _kept = _stale_files(folder, {CONFIG_FILE_NAME: None, **loaded.files}, new_text)
    old_files = {name: text for name in [*loaded.files, *stale] if (text := _read_text(folder / name)) is not None}
    return changes, diff_files(old_files, dict(loaded.files))


# --- applying --------------------------------------------------------------------------------

def apply(plan: Plan) -> Applied:
    """Write the plan as one set (all or nothing), recorded in the history with the files it
    replaced; then prune the history to its setting."""
    from ccrgen.lifecycle import install
    from ccrgen.lifecycle.history import History, keep_setting

    keep = keep_setting()
    history = History(plan.folder)
    names = [*plan.files, *plan.remove]
    with install.locked(plan.folder) as recovered:
        statuses = install.write_files(plan.folder, plan.files, remove=plan.remove, dry_run=True)
        if all(r.status == "unchanged" for r in statuses):  # nothing to record; modes fixed
            results = install.write_files(plan.folder, plan.files)
            return Applied(results, None, plan.recovered + recovered)
        entry_dir = history.reserve()
        origin_names = [] if plan.action == "uninstall" else history.without_origin(names)
        news = {name: data for name, (data, _m) in plan.files.items()}
        news.update({name: None for name in plan.remove})
        recorded = {}

        def record(results):
            olds = {r.path.name: _current(r) for r in results}
            modes = {r.path.name: mode for r in results if (mode := _current_mode(r)) is not None}
            recorded["entry"] = history.record(entry_dir, action=plan.action, source=plan.source,
                                               results=results, olds=olds, news=news,
                                               origin_names=origin_names, modes=modes)

        results = install.write_files(plan.folder, plan.files, remove=plan.remove, before_commit=record,
                                      undo_paths=[entry_dir, *history.origin_undo_paths(origin_names)])
        try:
            if plan.action == "uninstall":
                history.clear_origin()  # ccrgen owns nothing there any more
            history.prune(keep)
        except OSError:
            pass  # the files are in place; what is left over is tidied by the next install
    return Applied(results, recorded.get("entry"), plan.recovered + recovered)


def _current(result) -> bytes | None:
    path = result.through or result.path
    try:
        return path.read_bytes() if path.is_file() else None
    except OSError:
        return None


def _current_mode(result) -> int | None:
    """The permission bits of the file `result` replaces (a symlink's target), None if none."""
    import stat

    path = result.through or result.path
    try:
        info = path.stat()
    except OSError:
        return None
    return stat.S_IMODE(info.st_mode) & 0o777 if stat.S_ISREG(info.st_mode) else None
