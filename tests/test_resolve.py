"""`ccrgen resolve`: the merged spec with the origin of every value."""

from __future__ import annotations

import json


SPEC = """\
extends: hicap
routes:
  think: hicap,claude-opus-4.5
providers:
  hicap:
    api_key: sk-live-abcdefghijklmnop1234
"""


def test_an_overridden_route_names_the_users_line_and_the_rest_the_preset(cli, tmp_path):
    (tmp_path / "ccrgen.yaml").write_text(SPEC)
    result = cli("resolve", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    think = next(line for line in lines if line.strip().startswith("think:"))
    assert think.strip() == 'think: "hicap,claude-opus-4.5"  # ccrgen.yaml:3'
    default = next(line for line in lines if line.strip().startswith("default:"))
    assert default.rstrip().endswith("# preset hicap:31") or "# preset hicap:" in default
    assert "site-packages" not in result.stdout and "/presets/" not in result.stdout


def test_secrets_are_masked_but_environment_names_shown(cli, tmp_path):
    (tmp_path / "ccrgen.yaml").write_text(SPEC)
    result = cli("resolve", cwd=tmp_path)
    assert "sk-live-abcdefghijklmnop1234" not in result.stdout
    assert '"$HICAP_API_KEY"' in result.stdout  # server.api_key, a reference, shown by name


def test_json_format_lists_path_value_origin(cli, tmp_path):
    (tmp_path / "ccrgen.yaml").write_text(SPEC)
    for flag in (["--format", "json"], ["--json"]):
        result = cli("resolve", *flag, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        rows = {row["path"]: row for row in json.loads(result.stdout)}
        assert rows["routes.think"] == {"path": "routes.think", "value": "hicap,claude-opus-4.5",
                                        "origin": "ccrgen.yaml:3"}
        assert rows["providers.hicap.api_key"]["origin"] == "ccrgen.yaml:6"
        assert rows["providers.hicap.base_url"]["origin"].startswith("preset hicap:")


def test_a_config_json_is_refused_with_a_hint(cli, tmp_path):
    (tmp_path / "config.json").write_text('{"Providers": [], "Router": {}}')
    result = cli("resolve", tmp_path / "config.json")
    assert result.returncode == 2
    assert result.stderr.startswith("error: ") and "ccrgen import" in result.stderr
