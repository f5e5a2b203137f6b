"""The wheel ships everything ccrgen needs: built from this checkout, installed into a fresh
venv (dependencies from the package index), run from outside the checkout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def run(cmd, **kwargs) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env.update(kwargs.pop("env", {}))
    return subprocess.run([str(c) for c in cmd], capture_output=True, text=True, env=env, **kwargs)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    done = run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--disable-pip-version-check", "-q",
                REPO, "-w", out], timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    [built] = out.glob("ccrgen-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    """bin/ of a fresh venv with only the wheel (and its dependencies) installed."""
    env_dir = tmp_path_factory.mktemp("venv")
    venv.create(env_dir, with_pip=True)
    bin_dir = env_dir / "bin"
    done = run([bin_dir / "python", "-m", "pip", "install", "--disable-pip-version-check", "-q", wheel],
               timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    return bin_dir


@pytest.mark.slow
def test_the_wheel_contains_schemas_templates_and_presets(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for folder in ("schemas", "templates", "presets"):
        shipped = {p.name for p in (REPO / folder).iterdir() if p.is_file()}
        assert shipped, folder
        for name in shipped:
            assert f"ccrgen/_data/{folder}/{name}" in names
    assert not any(n.startswith("tests/") for n in names)


@pytest.mark.slow
def test_installed_wheel_lists_presets_and_builds_hicap(installed, tmp_path):
    cwd = tmp_path / "elsewhere"  # not the checkout: nothing can come from the source tree
    cwd.mkdir()
    env = {"HOME": str(tmp_path / "home"), "CCRGEN_PRESETS_DIR": str(tmp_path / "none")}
    where = run([installed / "python", "-c", "import ccrgen, sys; print(ccrgen.__file__)"], cwd=cwd, env=env)
    assert where.returncode == 0 and str(REPO) not in where.stdout and str(installed.parent) in where.stdout

    listed = run([installed / "ccrgen", "preset", "list"], cwd=cwd, env=env)
    assert listed.returncode == 0, listed.stderr
    names = [line.split()[0] for line in listed.stdout.splitlines()[1:] if line and not line.startswith("your own")]
    assert names[0] == "hicap"
    assert set(names) >= {p.stem for p in (REPO / "presets").glob("*.yaml")}

    out = tmp_path / "D"
    built = run([installed / "ccrgen", "build", "--preset", "hicap", "--out", out], cwd=cwd, env=env)
    assert built.returncode == 0, built.stderr
    config = json.loads((out / "config.json").read_text(encoding="utf-8"))
    [provider] = config["Providers"]
    assert provider["name"] == "hicap" and provider["transformer"] == {"use": ["hicap"]}
    assert config["transformers"] == [{"path": str(out / "hicap-transformer.js")}]
    assert '"api-key"' in (out / "hicap-transformer.js").read_text(encoding="utf-8")

    schema = run([installed / "ccrgen", "schema"], cwd=cwd, env=env)
    assert schema.returncode == 0
    assert schema.stdout == (REPO / "schemas" / "ccrgen.schema.json").read_text(encoding="utf-8")
