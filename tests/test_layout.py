"""The package layout a newcomer reads first: the pipeline stages are folders, commands are
thin and never import one another, and only the CLI edge lives at the top of ccrgen/."""

from __future__ import annotations

import ast
from pathlib import Path

import ccrgen

PACKAGE = Path(ccrgen.__file__).parent
STAGES = ("spec", "config", "check", "lifecycle", "lint", "proxy", "doctor", "ccr", "targets", "common", "commands")


def test_only_the_cli_edge_is_at_the_top_of_the_package():
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert top == ["__init__.py", "__main__.py", "cli.py", "errors.py"]
    folders = sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file())
    assert sorted(STAGES) == folders


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
    return names


def test_no_command_imports_another_command():
    commands = {p.stem for p in (PACKAGE / "commands").glob("*.py")} - {"__init__", "options", "completers"}
    offenders = []
    for path in (PACKAGE / "commands").glob("*.py"):
        for name in _imports(path):
            other = name.removeprefix("ccrgen.commands.")
            if name.startswith("ccrgen.commands.") and other in commands and other != path.stem:
                offenders.append(f"{path.name} imports {name}")
    assert offenders == []


def test_pipeline_stages_do_not_import_the_commands():
    offenders = [f"{path.relative_to(PACKAGE)} imports {name}"
                 for path in PACKAGE.rglob("*.py") if path.parent.name != "commands" and path.name != "cli.py"
                 for name in _imports(path) if name.startswith("ccrgen.commands")]
    assert offenders == []
