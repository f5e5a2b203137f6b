"""Shared fixtures. Real parts only: the real ccrgen CLI (as a subprocess), the real CCR
2.0.0 and the real `claude` CLI from npm (installed by .ci/run into .cache/npm), started in
a temp HOME on 127.0.0.1. The one stand-in is the upstream provider: ccrgen's own mock.

A test that needs node, CCR or claude fails when CI=true and they are missing, and skips
with the reason otherwise.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ccrgen.ccr.runner import free_port  # noqa: F401  (tests import it from conftest)

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
REPO = Path(__file__).resolve().parents[1]


def need(what: str, how: str = "run `bash .ci/run` once, or install it yourself") -> None:
    """Stop a test that cannot get a real part: a failure in CI, a skip elsewhere."""
    message = f"{what} is not available ({how})"
    if IN_CI:
        pytest.fail(message + " -- CI must provide it", pytrace=False)
    pytest.skip(reason=message)  # outside CI only: the message says what is missing and how to get it


def run_cli(*args, env: dict | None = None, cwd=None, input: str | None = None, timeout: float = 120):
    """Run the real `ccrgen` command line; returns the CompletedProcess (text)."""
    full_env = {**os.environ, **(env or {})}
    full_env.pop("CCRGEN_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-m", "ccrgen", *map(str, args)], env=full_env, cwd=cwd,
        input=input, capture_output=True, text=True, timeout=timeout,
    )


@pytest.fixture
def cli():
    return run_cli


@pytest.fixture(scope="session")
def node_bin() -> str:
    from ccrgen.ccr.runner import find_node

    node = find_node()
    if not node:
        need("node")
    return node


@pytest.fixture(scope="session")
def ccr_cmd(node_bin) -> list[str]:
    from ccrgen.ccr.runner import find_ccr

    cmd = find_ccr()
    if not cmd:
        need("CCR 2.0.0 (npm @musistudio/claude-code-router@2.0.0)")
    return cmd


@pytest.fixture(scope="session")
def ccr3(node_bin):
    """The real CCR 3.1.1 (.ci/run installs it into .cache/ccr3; CCRGEN_CCR3_DIR names it), a
    ccrgen.ccr.installed.CcrInstall. Run only start/stop/--help with it, in a temp HOME."""
    from ccrgen.ccr.installed import find_ccr3

    install = find_ccr3()
    if install is None:
        need("CCR 3.1.1 (bash .ci/install-ccr3.sh .cache/ccr3)")
    return install


@pytest.fixture(scope="session")
def claude_bin() -> str:
    from ccrgen.ccr.runner import find_claude

    claude = find_claude()
    if not claude:
        need("the claude CLI (npm @anthropic-ai/claude-code)")
    return claude


@pytest.fixture
def tmp_home(tmp_path) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    return home


@pytest.fixture
def mock_upstream():
    """ccrgen's mock OpenAI-compatible upstream, on a free loopback port, in a thread."""
    from ccrgen.proxy.mock_upstream import MockUpstream

    handle = MockUpstream.start_in_thread(host="127.0.0.1", port=0)
    try:
        yield handle
    finally:
        handle.stop()


def claude_env(base_url: str, token: str, home: Path) -> dict:
    """The environment `ccr code` gives Claude Code, offline, in a temp HOME."""
    return {
        **os.environ,
        "HOME": str(home),
        "ANTHROPIC_BASE_URL": base_url,
        "ANTHROPIC_AUTH_TOKEN": token,
        "ANTHROPIC_API_KEY": "",
        "DISABLE_TELEMETRY": "1",
        "DISABLE_COST_WARNINGS": "1",
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        "DISABLE_AUTOUPDATER": "1",
        "NO_PROXY": "127.0.0.1",
    }
