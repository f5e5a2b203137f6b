"""Which CCR is installed, found without running it.

On CCR 3.1.1 every command but start/stop/--help is a profile lookup that loads the config on
the way (it imports and deletes config.json and rewrites ~/.claude/settings.json), so `ccr -v`
is not a safe way to ask for the version. The version here comes from the `package.json` of
the package the `ccr` command resolves to: one directory above `dist/cli.js` in 2.x, two above
`dist/main/cli.js` in 3.x. While a 3.x CCR runs, `app_info` asks its management RPC.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from ccrgen.ccr import facts
from ccrgen.errors import ExternalError

PACKAGE_NAME = facts.CCR_NPM_PACKAGE
CCR3_CLI_REL = Path("node_modules") / PACKAGE_NAME / "dist" / "main" / "cli.js"
# A launcher script (such as .cache/ccr3/bin/ccr3) that names the cli.js it runs.
_SCRIPT_TARGET = re.compile(r"""["']?([^\s"']*dist/(?:main/)?cli\.js)["']?""")


@dataclass(frozen=True)
class CcrInstall:
    command: list[str]            # argv that runs it: ["node", ".../cli.js"] or ["/path/ccr"]
    package_dir: Path | None      # the folder holding its package.json
    version: str | None           # package.json's version, e.g. "3.1.1"
    cli: Path | None = None       # the JavaScript entry point the command runs

    @property
    def generation(self) -> int | None:
        """2 or 3 (from the version; from the layout when the version is unknown)."""
        if self.version and (m := re.match(r"(\d+)\.", self.version)):
            return 3 if int(m.group(1)) >= 3 else int(m.group(1))
        if self.cli is not None:
            return 3 if self.cli.parent.name == "main" else 2
        return None

    @property
    def label(self) -> str:
        return f"CCR {self.version or '(version unknown)'}"


def find_install(explicit: str | None = None) -> CcrInstall | None:
    """The CCR that `ccr` runs: `explicit` (a `ccr` executable, a cli.js or an install folder),
    $CCRGEN_CCR, `ccr` on PATH, then the test installs ($CCRGEN_NPM_DIR, $CCRGEN_CCR3_DIR)."""
    for cand in _candidates(explicit):
        path = Path(cand).expanduser()
        if not path.exists():
            if cand is explicit:
                raise ExternalError(f"no CCR at {cand}", hint="give the path of ccr or of its cli.js")
            continue
        install = describe(path)
        if install is not None:
            return install
        if cand is explicit:
            raise ExternalError(f"{cand} is not a Claude Code Router install",
                                hint="give the path of ccr, of its cli.js or of its install folder")
    return None


def ccr3_dir() -> Path | None:
    """Where .ci/run installs CCR 3.1.1 for the tests ($CCRGEN_CCR3_DIR, else .cache/ccr3)."""
    if os.environ.get("CCRGEN_CCR3_DIR"):
        return Path(os.environ["CCRGEN_CCR3_DIR"]).expanduser().absolute()
    repo_cache = Path(__file__).resolve().parents[2] / ".cache" / "ccr3"
    return repo_cache if repo_cache.is_dir() else None


def find_ccr3() -> CcrInstall | None:
    """The CCR 3.x of the test install (never the user's `ccr`): for tests and benchmarks."""
    folder = ccr3_dir()
    install = describe(folder) if folder and folder.exists() else None
    return install if install and install.generation == 3 else None


def _candidates(explicit: str | None) -> list[str]:
    from ccrgen.ccr.runner import CCR_CLI_REL, _npm_dirs

    out = [explicit, os.environ.get("CCRGEN_CCR"), shutil.which("ccr")]
    out += [str(d / CCR_CLI_REL) for d in _npm_dirs()]
    folder = ccr3_dir()
    if folder:
        out.append(str(folder))
    return [c for c in out if c]


def describe(path: Path) -> CcrInstall | None:
    """A CcrInstall for `path`: a cli.js, a `ccr` bin (symlink or launcher script) or a folder
    that holds node_modules/@musistudio/claude-code-router (or is that package)."""
    path = Path(path)
    cli = _cli_of(path)
    if cli is None:
        return None
    package_dir = _package_dir(cli)
    version = _read_version(package_dir) if package_dir else None
    from ccrgen.ccr.runner import find_node

    node = find_node()
    if node is None:
        raise ExternalError("node is not installed; CCR needs Node.js 20 or later")
    return CcrInstall(command=[node, str(cli)], package_dir=package_dir, version=version, cli=cli)


def _cli_of(path: Path) -> Path | None:
    if path.is_dir():
        for rel in (CCR3_CLI_REL, Path("node_modules") / PACKAGE_NAME / "dist" / "cli.js",
                    Path("dist/main/cli.js"), Path("dist/cli.js")):
            if (path / rel).is_file():
                return (path / rel).resolve()
        return None
    real = path.resolve()
    if real.suffix in (".js", ".cjs", ".mjs"):
        return real
    try:
        head = real.read_bytes()[:4096].decode("utf-8", "replace")
    except OSError:
        return None
    for match in _SCRIPT_TARGET.finditer(head):
        target = Path(match.group(1).replace("$basedir", str(real.parent)))
        if not target.is_absolute():
            target = real.parent / target
        if target.is_file():
            return target.resolve()
    return None


def _package_dir(cli: Path) -> Path | None:
    """The nearest folder above `cli` whose package.json is CCR's (two up in 3.x, one in 2.x)."""
    for folder in list(cli.parents)[:3]:
        manifest = folder / "package.json"
        if manifest.is_file():
            try:
                if json.loads(manifest.read_text(encoding="utf-8")).get("name") == PACKAGE_NAME:
                    return folder
            except (OSError, ValueError):
                continue
    return None


def _read_version(package_dir: Path) -> str | None:
    try:
        version = json.loads((package_dir / "package.json").read_text(encoding="utf-8")).get("version")
    except (OSError, ValueError):
        return None
    return version if isinstance(version, str) else None
