"""`ccrgen lint`'s ruff-like options (--select, --ignore prefixes, --statistics, --exit-zero,
a folder, `-` for stdin), `build --ignore` accepting the same forms, and findings reported
at the user's own line in a spec that extends a preset."""

from __future__ import annotations

import json
import re
from pathlib import Path

CORPUS = Path(__file__).parent / "lint_corpus"
GUIDE = CORPUS / "broken" / "guide-verbatim-tilde-path.json"
ENV = {"HICAP_API_KEY": "set", "UNSET_HICAP_API_KEY": "set"}
FINDING = re.compile(r"^(\S+?):(\d+):(\d+): (error|warning|info): .* \[(CCR\d{3})\]$", re.M)


def codes(stdout: str) -> list[str]:
    return [m.group(5) for m in FINDING.finditer(stdout)]


def test_select_and_ignore_take_codes_and_prefixes(cli):
    everything = codes(cli("lint", GUIDE, env=ENV).stdout)
    assert {"CCR050", "CCR051"} <= set(everything)

    selected = cli("lint", GUIDE, "--select", "CCR05", env=ENV)
    assert selected.returncode == 1
    assert codes(selected.stdout) and all(c.startswith("CCR05") for c in codes(selected.stdout))
    assert sorted(codes(selected.stdout)) == sorted(c for c in everything if c.startswith("CCR05"))

    narrowed = cli("lint", GUIDE, "--select", "CCR05", "--ignore", "CCR050,CCR053", env=ENV)
    assert codes(narrowed.stdout) == ["CCR051"]

    ignored = cli("lint", GUIDE, "--ignore", "CCR05", "--ignore", "CCR07", env=ENV)
    assert not any(c.startswith(("CCR05", "CCR07")) for c in codes(ignored.stdout))


def test_lint_and_build_reject_an_unknown_code_the_same_way(cli, tmp_path):
    lint = cli("lint", GUIDE, "--ignore", "CCR999")
    build = cli("build", "--preset", "hicap", "--out", tmp_path / "out", "--ignore", "CCR999")
    select = cli("lint", GUIDE, "--select", "XYZ")
    for result in (lint, build, select):
        assert result.returncode == 2
        assert "Traceback" not in result.stderr
    assert "no rule CCR999 (see `ccrgen rules`)" in lint.stderr
    assert "no rule CCR999 (see `ccrgen rules`)" in build.stderr
    assert "no rule XYZ" in select.stderr
    assert not (tmp_path / "out").exists()


def test_build_ignore_accepts_prefixes_and_comma_separated_codes(cli, tmp_path):
    spec = tmp_path / "ccrgen.yaml"
    spec.write_text("extends: hicap\nroutes:\n  think: 'hicap , claude-opus-4.5'\n")
    refused = cli("build", spec, "--out", tmp_path / "a", env=ENV)
    assert refused.returncode == 1 and "CCR010" in refused.stderr
    assert not (tmp_path / "a").exists()
    for form in (["--ignore", "CCR00,CCR01"], ["--ignore", "ccr001,CCR010"], ["--ignore", "CCR001", "--ignore", "CCR010"]):
        built = cli("build", spec, "--out", tmp_path / form[-1], *form, env=ENV)
        assert built.returncode == 0, (form, built.stderr)
        assert (tmp_path / form[-1] / "config.json").is_file()


def test_statistics_count_each_code_most_frequent_first(cli):
    text = cli("lint", GUIDE, "--statistics", env={"HICAP_API_KEY": "set"})
    assert text.returncode == 1
    rows = [line.split() for line in text.stdout.splitlines()]
    assert rows[0][:2] == ["2", "CCR072"]  # APIKEY and the provider's api_key
    assert {r[1] for r in rows} == {"CCR072", "CCR051", "CCR050"}
    assert [r for r in rows if r[1] == "CCR051"][0][2] == "[*]"  # fixable
    as_json = json.loads(cli("lint", GUIDE, "--statistics", "--format", "json").stdout)
    assert {r["code"]: r["count"] for r in as_json} == {"CCR072": 2, "CCR051": 1, "CCR050": 1}
    assert next(r for r in as_json if r["code"] == "CCR051")["name"] == "transformer-path-tilde"


def test_exit_zero_reports_but_does_not_fail(cli, tmp_path):
    result = cli("lint", GUIDE, "--exit-zero", env=ENV)
    assert result.returncode == 0 and "CCR051" in result.stdout
    missing = cli("lint", tmp_path / "nope.json", "--exit-zero")
    assert missing.returncode == 2 and "nope.json" in missing.stderr


def test_a_folder_stands_for_its_config_and_spec_files(cli, tmp_path):
    (tmp_path / "config.json").write_text(GUIDE.read_text())
    (tmp_path / "my.yaml").write_text("extends: hicap\nroutes:\n  think: hicap,claude-opus-45\n")
    (tmp_path / "notes.txt").write_text("{not lint's business")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "other.json").write_text("{,")
    result = cli("lint", tmp_path, env=ENV)
    assert result.returncode == 1, result.stderr
    files = {Path(m.group(1)).name for m in FINDING.finditer(result.stdout)}
    assert files == {"config.json", "my.yaml"}
    empty = tmp_path / "empty"
    empty.mkdir()
    none = cli("lint", empty)
    assert none.returncode == 2 and "holds no" in none.stderr


def test_dash_reads_stdin_as_a_config_or_a_spec(cli):
    config = cli("lint", "-", input=GUIDE.read_text(), env=ENV)
    assert config.returncode == 1
    assert "-:15:14: error: transformers[0].path:" in config.stdout
    spec = cli("lint", "-", input="extends: hicap\nroutes:\n  think: hicap,claude-opus-45\n", env=ENV)
    assert spec.returncode == 1 and "-:3:10: error: routes.think" in spec.stdout
    named = cli("lint", "-", "--stdin-filename", "mine.json", input=GUIDE.read_text(), env=ENV)
    assert "mine.json:15:14:" in named.stdout


# --- Findings at the user's own line ------------------------------------------------------


def test_a_fresh_init_then_lint_is_silent(cli, tmp_path):
    assert cli("init", "--preset", "hicap", cwd=tmp_path).returncode == 0
    result = cli("lint", cwd=tmp_path, env={"HICAP_API_KEY": "set", "HOME": str(tmp_path)})
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == "no problems found\n" and result.stderr == ""


def test_init_says_which_variable_to_export_before_lint_reports_it(cli, tmp_path):
    unset = cli("init", "--preset", "hicap", cwd=tmp_path, env={"HICAP_API_KEY": ""})
    assert unset.returncode == 0
    assert "set first: export HICAP_API_KEY=..." in unset.stdout
    lint = cli("lint", cwd=tmp_path, env={"HICAP_API_KEY": "", "HOME": str(tmp_path)})
    assert lint.returncode == 1 and "[CCR072]" in lint.stdout  # one verdict per fact (issue 11)
    again = cli("init", "--preset", "hicap", "--force", cwd=tmp_path, env={"HICAP_API_KEY": "set"})
    assert again.returncode == 0 and "export" not in again.stdout


def test_a_problem_the_users_spec_causes_is_reported_at_the_users_line(cli, tmp_path):
    spec = tmp_path / "ccrgen.yaml"
    spec.write_text("extends: hicap\nproviders:\n  hicap:\n    models: [gpt-5.2]   # only this one\n")
    result = cli("lint", spec, env={"HICAP_API_KEY": "set"})
    assert result.returncode == 1
    found = [m for m in FINDING.finditer(result.stdout) if m.group(5) == "CCR001"]
    assert found, result.stdout
    assert {(Path(m.group(1)).name, m.group(2), m.group(3)) for m in found} == {("ccrgen.yaml", "4", "13")}
    assert re.search(r"^  context: routes\.default is set in preset hicap:\d+:\d+$", result.stdout, re.M)
    assert "presets/hicap.yaml" not in result.stdout and "site-packages" not in result.stdout


def test_a_presets_own_problem_names_the_preset_not_its_path(cli, tmp_path):
    spec = tmp_path / "ccrgen.yaml"
    spec.write_text("extends: hicap\n")
    result = cli("lint", spec, env={"HICAP_API_KEY": ""})
    assert result.returncode == 1
    assert re.search(r"^preset hicap:\d+:\d+: error: server\.api_key \(APIKEY\): \$HICAP_API_KEY is not set",
                     result.stdout, re.M)
    assert "presets/hicap.yaml" not in result.stdout
    built = cli("build", "--preset", "hicap", "--out", tmp_path / "out", env={"HICAP_API_KEY": "set"})
    assert built.returncode == 0 and built.stdout.startswith("built from preset hicap\n")


def test_rules_says_which_rules_lint_fix_can_fix(cli):
    assert "`ccrgen lint --fix` fixes it" in cli("rules", "CCR051").stdout
    assert "--fix" not in cli("rules", "CCR001").stdout


def test_a_relative_path_hint_names_the_file_beside_the_config(cli, tmp_path):
    """CCR052: when the relative path names a file next to the linted config, the hint gives
    its absolute path to write; otherwise it cannot guess."""
    (tmp_path / "mine.js").write_text("module.exports = class { constructor() { this.name = 'mine'; } };\n")
    config = tmp_path / "config.json"
    config.write_text(json.dumps({
        "transformers": [{"path": "mine.js"}, {"path": "elsewhere/none.js"}],
        "Providers": [{"name": "p", "api_base_url": "https://api.openai.com/v1/chat/completions",
                       "api_key": "sk-x1234567", "models": ["gpt-4o"]}],
        "Router": {"default": "p,gpt-4o"}}))
    done = cli("lint", config, "--format", "json")
    hints = {f["path"]: f["hint"] for f in json.loads(done.stdout) if f["code"] == "CCR052"}
    assert hints == {"transformers[0].path": f"write the absolute path: '{tmp_path.resolve() / 'mine.js'}'",
                     "transformers[1].path": "write the absolute path"}, hints
