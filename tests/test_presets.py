"""Presets: list (table and JSON), show, the user's own presets folder, `init`, and every
bundled preset building to a config that validates and that the real CCR 2.0.0 loads."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml

from ccrgen.ccr.config import env_references
from ccrgen.ccr.runner import CcrServer, get_json
from ccrgen.spec.presets import all_presets
from ccrgen.common.resources import data_dir
from conftest import free_port

REPO = Path(__file__).resolve().parents[1]
BUNDLED = sorted(p.stem for p in (REPO / "presets").glob("*.yaml"))
USER_PRESET = """\
# my team's preset
description: Team gateway
extends: hicap
routes:
  default: hicap,gpt-5.2
"""


def test_the_bundled_presets_are_the_ones_in_presets_folder():
    assert {r.name for r in all_presets() if r.origin == "bundled"} >= set(BUNDLED)
    assert "hicap" in BUNDLED and len(BUNDLED) >= 4


def test_committed_preset_index_is_fresh():
    """presets/index.json (what `preset list` reads to stay fast) matches the presets;
    regenerate it with `python -m ccrgen.spec.presets > presets/index.json`."""
    from ccrgen.spec.presets import build_index

    assert (REPO / "presets" / "index.json").read_text(encoding="utf-8") == build_index()


def test_preset_list_without_the_index_gives_the_same_rows(monkeypatch, tmp_path):
    """The index is only a cache: a stale one is ignored, and the rows are the same."""
    import ccrgen.spec.presets as presets

    monkeypatch.setenv("CCRGEN_PRESETS_DIR", str(tmp_path / "none"))
    fast = presets.preset_summaries()
    monkeypatch.setattr(presets, "bundled_digest", lambda: "stale")
    assert presets.preset_summaries() == fast


# --- preset list / show -----------------------------------------------------------------

def test_preset_list_table(cli, tmp_path):
    result = cli("preset", "list", env={"CCRGEN_PRESETS_DIR": str(tmp_path / "none")})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["NAME", "ORIGIN", "PROVIDERS", "MODELS", "DEFAULT", "ROUTE", "DESCRIPTION"]
    rows = {line.split()[0]: line.split() for line in lines[1:] if line and not line.startswith("your own")}
    assert set(rows) == set(BUNDLED)
    assert lines[1].split()[0] == "hicap"  # the guide's preset leads
    assert rows["hicap"][1:5] == ["bundled", "hicap", "7", "hicap,claude-sonnet-4.5"]
    assert f"{tmp_path / 'none'}/<name>.yaml" in result.stdout  # where your own go


def test_preset_list_json_matches_the_presets(cli, tmp_path):
    result = cli("preset", "list", "--json", env={"CCRGEN_PRESETS_DIR": str(tmp_path / "none")})
    assert result.returncode == 0, result.stderr
    rows = {row["name"]: row for row in json.loads(result.stdout)}
    assert set(rows) == set(BUNDLED)
    for name, row in rows.items():
        data = yaml.safe_load((REPO / "presets" / f"{name}.yaml").read_text(encoding="utf-8"))
        assert row["origin"] == "bundled"
        assert row["providers"] == list(data["providers"])
        assert row["models"] == sum(len(p["models"]) for p in data["providers"].values())
        assert row["default_route"] == data["routes"]["default"]
        assert row["description"] == data["description"]
        assert Path(row["path"]).name == f"{name}.yaml"


def test_preset_show_prints_the_yaml_with_its_comments(cli):
    result = cli("preset", "show", "hicap")
    assert result.returncode == 0, result.stderr
    source = (REPO / "presets" / "hicap.yaml").read_text(encoding="utf-8")
    first, rest = result.stdout.split("\n", 1)
    assert first.startswith("# bundled preset 'hicap'")
    assert rest == source
    assert "# " in rest  # the comments are kept
    assert yaml.safe_load(result.stdout) == yaml.safe_load(source)


def test_preset_show_unknown_says_did_you_mean(cli):
    result = cli("preset", "show", "olama")
    assert result.returncode == 2
    assert "no preset named 'olama'" in result.stderr and "did you mean 'ollama'?" in result.stderr
    assert "Traceback" not in result.stderr


def test_user_presets_are_listed_marked_and_usable(cli, tmp_path):
    folder = tmp_path / "my-presets"
    folder.mkdir()
    (folder / "team.yaml").write_text(USER_PRESET, encoding="utf-8")
    (folder / "ollama.yaml").write_text("description: my own ollama\nextends: deepseek\n", encoding="utf-8")
    (folder / "broken.yaml").write_text("routes: [\n", encoding="utf-8")
    env = {"CCRGEN_PRESETS_DIR": str(folder)}

    rows = {row["name"]: row for row in json.loads(cli("preset", "list", "--json", env=env).stdout)}
    assert rows["team"]["origin"] == "user"
    assert rows["team"]["description"] == "Team gateway"
    assert rows["team"]["default_route"] == "hicap,gpt-5.2"
    assert rows["ollama"]["origin"] == "user (replaces bundled)"
    assert rows["ollama"]["path"] == str(folder / "ollama.yaml")
    assert rows["ollama"]["description"] == "my own ollama"
    assert rows["broken"]["description"].startswith("(invalid:")
    assert rows["hicap"]["origin"] == "bundled"

    table = cli("preset", "list", env=env).stdout
    assert re.search(r"^team\s+user\s", table, re.M)
    assert re.search(r"^ollama\s+user \(replaces bundled\)", table, re.M)

    out = tmp_path / "out"
    built = cli("build", "--preset", "team", "--out", out, env=env)
    assert built.returncode == 0, built.stderr
    assert json.loads((out / "config.json").read_text())["Router"]["default"] == "hicap,gpt-5.2"
    assert "Team gateway" not in (out / "config.json").read_text()
    show = cli("preset", "show", "team", env=env)
    assert show.stdout.startswith(f"# user preset 'team': {folder / 'team.yaml'}")


def test_user_presets_default_to_xdg_config_home(cli, tmp_path):
    folder = tmp_path / "xdg" / "ccrgen" / "presets"
    folder.mkdir(parents=True)
    (folder / "team.yaml").write_text(USER_PRESET, encoding="utf-8")
    env = {"XDG_CONFIG_HOME": str(tmp_path / "xdg"), "CCRGEN_PRESETS_DIR": ""}
    rows = {row["name"]: row for row in json.loads(cli("preset", "list", "--json", env=env).stdout)}
    assert rows["team"]["origin"] == "user"


# --- init -------------------------------------------------------------------------------

def test_init_writes_a_starter_spec_with_a_schema_line(cli, tmp_path):
    result = cli("init", "--preset", "hicap", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    spec = tmp_path / "ccrgen.yaml"
    text = spec.read_text(encoding="utf-8")
    first = text.splitlines()[0]
    match = re.fullmatch(r"# yaml-language-server: \$schema=(\S+)", first)
    assert match, first
    assert match.group(1) == "ccrgen.schema.json"  # relative: survives a rebuilt venv, travels with the spec
    schema_file = tmp_path / match.group(1)
    assert schema_file.is_file()
    assert json.loads(schema_file.read_text()) == json.loads(cli("schema").stdout)
    assert yaml.safe_load(text) == {"extends": "hicap"}
    assert "#" in text.split("extends:", 1)[1]  # commented examples follow

    built = cli("build", "--out", "out", cwd=tmp_path)  # ./ccrgen.yaml is the default
    assert built.returncode == 0, built.stderr
    reference = cli("build", "--preset", "hicap", "--out", tmp_path / "out2")
    assert reference.returncode == 0
    a = json.loads((tmp_path / "out/config.json").read_text())
    b = json.loads((tmp_path / "out2/config.json").read_text())
    a.pop("transformers"), b.pop("transformers")
    assert a == b


def test_init_refuses_to_overwrite_and_force_replaces(cli, tmp_path):
    spec = tmp_path / "ccrgen.yaml"
    spec.write_text("# mine\nextends: ollama\n", encoding="utf-8")
    refused = cli("init", cwd=tmp_path)
    assert refused.returncode == 2
    assert "exists already" in refused.stderr and "--force" in refused.stderr
    assert spec.read_text() == "# mine\nextends: ollama\n"
    forced = cli("init", "--preset", "deepseek", "--force", cwd=tmp_path)
    assert forced.returncode == 0, forced.stderr
    assert yaml.safe_load(spec.read_text()) == {"extends": "deepseek"}


def test_init_with_an_unknown_preset_writes_nothing(cli, tmp_path):
    result = cli("init", "--preset", "hicp", cwd=tmp_path)
    assert result.returncode == 2
    assert "did you mean 'hicap'?" in result.stderr
    assert not (tmp_path / "ccrgen.yaml").exists()


# --- every bundled preset works in the real CCR 2.0.0 -------------------------------------

def ccr_schema_validator():
    schema = json.loads((data_dir("schemas") / "ccr-config.schema.json").read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


@pytest.mark.parametrize("preset", BUNDLED)
def test_every_bundled_preset_builds_and_matches_ccrs_schema(preset, cli, tmp_path):
    result = cli("build", "--preset", preset, "--out", tmp_path)
    assert result.returncode == 0, result.stderr
    config = json.loads((tmp_path / "config.json").read_text())
    errors = [e.message for e in ccr_schema_validator().iter_errors(config)]
    assert errors == []
    assert config["Router"]["default"].split(",", 1)[0] in {p["name"] for p in config["Providers"]}


@pytest.mark.node
@pytest.mark.parametrize("preset", BUNDLED)
def test_every_bundled_preset_loads_in_the_real_ccr(preset, cli, ccr_cmd, tmp_home, tmp_path):
    port = free_port()
    spec = tmp_path / "spec.yaml"
    spec.write_text(f"extends: {preset}\nserver:\n  port: {port}\n  log: true\n  log_level: info\n",
                    encoding="utf-8")
    built = cli("build", spec, "--install", "--yes", env={"HOME": str(tmp_home)})
    assert built.returncode == 0, built.stderr
    ccr_dir = tmp_home / ".claude-code-router"
    text = (ccr_dir / "config.json").read_text()
    config = json.loads(text)
    env = {name: f"test-value-for-{name.lower()}" for name in env_references(text)}

    expected = [f"{provider['name']} provider registered" for provider in config["Providers"]]
    with CcrServer(tmp_home, ccr_cmd, env=env, port=port) as server:
        answer = get_json(server.url + "/", timeout=10)
        logs = server.wait_for_log("(?s)^" + "".join(f"(?=.*{re.escape(line)})" for line in expected))
    assert answer and answer["message"] == "LLMs API"
    assert "load transformer" not in logs, logs[-3000:]
    for provider in config["Providers"]:
        assert f"{provider['name']} provider registered" in logs
    for path in (t["path"] for t in config.get("transformers", [])):
        name = re.search(r'name = ("[^"]*")', Path(path).read_text()).group(1)
        assert f"register transformer: {json.loads(name)} " in logs


def test_user_preset_can_extend_the_bundled_preset_it_replaces(cli, tmp_path):
    folder = tmp_path / "presets"
    folder.mkdir()
    (folder / "hicap.yaml").write_text("extends: hicap\ndescription: team hicap\nroutes:\n"
                                       "  default: hicap,gpt-5.2\n", encoding="utf-8")
    result = cli("build", "--preset", "hicap", "--out", tmp_path / "out",
                 env={"CCRGEN_PRESETS_DIR": str(folder)})
    assert result.returncode == 0, result.stderr
    config = json.loads((tmp_path / "out" / "config.json").read_text(encoding="utf-8"))
    assert config["Router"]["default"] == "hicap,gpt-5.2"       # the user's layer
    assert config["Providers"][0]["name"] == "hicap"             # the bundled base
