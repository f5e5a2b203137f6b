"""One way in for every command: a spec (file or preset) or a CCR config.json becomes a
`LoadedConfig`. Everything downstream (build, lint, diff, serve, smoke, doctor) works on
that object and never needs to know which kind of file the user gave.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

from ccrgen.ccr import facts
from ccrgen.common.document import Document, format_path
from ccrgen.errors import InputError, Location

if TYPE_CHECKING:  # pydantic costs ~0.2 s to import: `ccrgen lint config.json` does without it
    from ccrgen.spec.model import ModelInfo, Spec

DEFAULT_SPEC = "ccrgen.yaml"
CONFIG_SUFFIXES = (".json", ".json5")


def default_ccr_dir() -> Path:
    """$HOME/.claude-code-router, as CCR 2.0.0 finds it (os.homedir())."""
    return Path(os.path.expanduser("~")) / facts.CONFIG_DIR_NAME


class LoadedConfig:
    """A plain class, not a dataclass: `ccrgen lint config.json` imports this module, and
    creating a dataclass costs about a millisecond. Compared field by field, as before."""

    _FIELDS = ("config", "kind", "file", "document", "files", "origins", "models", "ignore", "spec",
               "transformer_dir")

    def __init__(self, config: dict, kind: str, file: str, document: Document,
                 files: dict[str, str] | None = None, origins: dict[tuple, tuple] | None = None,
                 models: dict[tuple[str, str], ModelInfo] | None = None, ignore: frozenset[str] = frozenset(),
                 spec: Spec | None = None, transformer_dir: Path | None = None) -> None:
        self.config = config            # config.json content, CCR 2.0.0's shape, uninterpolated
        self.kind = kind                # "spec" or "config"
        self.file = file                # the file the user named (a preset's file for presets)
        self.document = document        # the parsed input, with marks
        self.files: dict[str, str] = {} if files is None else files  # transformer JS built from a spec
        self.origins: dict[tuple, tuple] = {} if origins is None else origins  # config path -> spec path
        self.models: dict[tuple[str, str], ModelInfo] = {} if models is None else models
        self.ignore = ignore
        self.spec = spec
        self.transformer_dir = transformer_dir

    def __eq__(self, other) -> bool:
        if type(other) is not LoadedConfig:
            return NotImplemented
        return all(getattr(self, name) == getattr(other, name) for name in self._FIELDS)

    __hash__ = None

    def __repr__(self) -> str:
        return f"LoadedConfig(kind={self.kind!r}, file={self.file!r})"

    def spec_path(self, config_path: tuple) -> tuple | None:
        """The spec path a config path came from (None for config.json input)."""
        if self.kind != "spec":
            return None
        for cut in range(len(config_path), 0, -1):
            origin = self.origins.get(tuple(config_path[:cut]))
            if origin is not None:
                rest = tuple(config_path[cut:])
                return origin + rest if _walkable(self.document.data, origin + rest) else origin
        return None

    def locate(self, config_path: tuple) -> Location:
        """Where the user can fix the value at `config_path` (YAML line, or JSON5 line)."""
        if self.kind == "spec":
            spec_path = self.spec_path(tuple(config_path))
            return self.document.locate(spec_path or ())
        return self.document.locate(tuple(config_path))

    def describe_path(self, config_path: tuple) -> str:
        """`Router.default` for config.json input; `routes.default (Router.default)` for a spec."""
        text = format_path(config_path)
        spec_path = self.spec_path(tuple(config_path))
        if spec_path and format_path(spec_path) != text:
            text = f"{format_path(spec_path)} ({text})"
        return text

    def model_info(self, provider: str, model: str) -> ModelInfo | None:
        return self.models.get((provider, model)) or known_models().get(model)


def _walkable(data, path: tuple) -> bool:
    node = data
    for part in path:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            return False
    return True


def is_config_file(path: Path) -> bool:
    return Path(path).suffix.lower() in CONFIG_SUFFIXES


def load(path: str | Path | None = None, *, preset: str | None = None,
         ccr_dir: Path | None = None, text: str | None = None, check_types: bool = True) -> LoadedConfig:
    """A spec file, a preset, or a CCR config.json; with neither, ./ccrgen.yaml.

    A config.json's types are checked here, once, against CCR 2.0.0's schema: a value of the
    wrong type is a SpecError naming each one, so everything behind the loader can trust the
    data. `check_types=False` is for `ccrgen lint`, which reports them as findings instead.

    With `text`, that is the content of `path` (stdin, or a file being fixed); a path
    without a .json/.json5/.yaml/.yml suffix is then a config.json if the text starts as one.
    """
    from ccrgen.common.inputs import paused_gc

    with paused_gc():  # reading builds a large tree of objects (marks): see paused_gc
        if text is not None:
            return _load_text(Path(path), text, ccr_dir, check_types)
        return _load(path, preset, ccr_dir, check_types)


def _load_text(path: Path, text: str, ccr_dir, check_types: bool = True) -> LoadedConfig:
    if is_config_file(path) or (path.suffix.lower() not in (".yaml", ".yml") and looks_like_json(text)):
        return load_config(path, text=text, check_types=check_types)
    from ccrgen.spec.resolve import resolve_file

    return _from_spec(resolve_file(path, text=text), ccr_dir)


def looks_like_json(text: str) -> bool:
    """A config.json starts with `{` (after comments); a spec with a key or a `#` comment."""
    return re.match(r"(?:\s|//[^\n]*|/\*.*?\*/)*\{", text, re.S) is not None


def _load(path, preset, ccr_dir, check_types: bool = True) -> LoadedConfig:
    if preset is not None:
        if path is not None:
            raise InputError("give a spec file or --preset, not both")
        from ccrgen.spec.resolve import resolve_preset

        return _from_spec(resolve_preset(preset), ccr_dir)
    if path is None:
        path = Path(DEFAULT_SPEC)
        if not path.exists():
            raise InputError(
                f"no {DEFAULT_SPEC} in {Path.cwd()}",
                hint="create one with `ccrgen init --preset hicap`, name a spec file, or use --preset NAME",
            )
    path = Path(path)
    if is_config_file(path):
        return load_config(path, check_types=check_types)
    from ccrgen.spec.resolve import resolve_file

    return _from_spec(resolve_file(path), ccr_dir)


# `// ccrgen-ignore: CCR061, CCR072` anywhere in a config.json silences those codes for it.
IGNORE_COMMENT = re.compile(r"//\s*ccrgen-ignore:\s*([A-Za-z0-9_, ]+)")


def load_config(path: Path, text: str | None = None, *, check_types: bool = True) -> LoadedConfig:
    """A CCR config.json; with `check_types` (the default) its types are checked (see load)."""
    from ccrgen.ccr.config import parse_config_text
    from ccrgen.common.inputs import read_text

    text = read_text(Path(path)) if text is None else text
    doc = _plain_json_document(text, str(path)) or parse_config_text(text, str(path))
    ignore = frozenset(code.strip().upper() for match in IGNORE_COMMENT.finditer(text)
                       for code in match.group(1).split(",") if code.strip())
    loaded = LoadedConfig(config=doc.data, kind="config", file=str(path), document=doc, ignore=ignore)
    if check_types:
        _refuse_wrong_types(loaded)
    return loaded


def _plain_json_document(text: str, file: str):
    """The config as parse_config_text reads it, when the text is plain JSON (what ccrgen
    writes): read by json.loads, its marks found only when asked for. None for anything
    else, including what parse_config_text refuses (it then says why)."""
    from ccrgen.ccr.config import SURROGATE, SURROGATE_ESCAPE
    from ccrgen.ccr.json5 import parse_plain_json
    from ccrgen.common.document import PlainJsonDocument

    if SURROGATE_ESCAPE.search(text) or SURROGATE.search(text):
        return None
    data = parse_plain_json(text)
    return PlainJsonDocument(data, file, text) if isinstance(data, dict) else None


# At most this many wrongly typed values are listed in one error (the count says the rest).
MAX_TYPE_PROBLEMS_SHOWN = 20


def _unusable_host(loaded: LoadedConfig) -> list:
    """HOST is handed to the socket layer: a control character (NUL) there is no address."""
    from ccrgen.errors import Problem

    host = loaded.config.get("HOST")
    if isinstance(host, str) and re.search(r"[\x00-\x1f\x7f]", host):
        return [Problem(f"must be a host name or address (got {host!r})", loaded.locate(("HOST",)), "HOST",
                        "no address holds a control character; CCR cannot listen on it either")]
    return []


def _refuse_wrong_types(loaded: LoadedConfig) -> None:
    from ccrgen.errors import Problem, SpecError
    from ccrgen.check.validate import type_problems

    problems = type_problems(loaded) + _unusable_host(loaded)
    if not problems:
        return
    count = len(problems)
    if count > MAX_TYPE_PROBLEMS_SHOWN:
        problems = problems[:MAX_TYPE_PROBLEMS_SHOWN] + [Problem(f"... and {count - MAX_TYPE_PROBLEMS_SHOWN} more")]
    noun = "value does" if count == 1 else "values do"
    raise SpecError(f"{loaded.file}: {count} {noun} not have the type CCR 2.0.0 reads", problems=problems)


def _from_spec(resolved, ccr_dir: Path | None) -> LoadedConfig:
    from ccrgen.config.render import render

    transformer_dir = Path(ccr_dir) if ccr_dir else default_ccr_dir()
    rendered = render(resolved.spec, transformer_dir)
    models = {
        (p_name, m_name): info
        for p_name, provider in resolved.spec.providers.items()
        for m_name, info in provider.models.items()
    }
    return LoadedConfig(
        config=rendered.config, kind="spec", file=resolved.file, document=resolved.document,
        files=rendered.files, origins=rendered.origins, models=models,
        ignore=frozenset(resolved.spec.lint.ignore), spec=resolved.spec,
        transformer_dir=transformer_dir,
    )


_KNOWN: dict[str, ModelInfo] | None = None


def known_models() -> dict[str, ModelInfo]:
    """Model metadata from the bundled presets, by model name, for config.json input."""
    global _KNOWN
    if _KNOWN is None:
        from ccrgen.spec.presets import all_presets
        from ccrgen.spec.resolve import resolve_file

        _KNOWN = {}
        for ref in all_presets():
            if ref.origin != "bundled":
                continue
            try:
                spec = resolve_file(ref.path).spec
            except Exception:  # a broken preset must not break lint of an unrelated config
                continue
            for provider in spec.providers.values():
                for name, info in provider.models.items():
                    _KNOWN.setdefault(name, info)
    return _KNOWN
