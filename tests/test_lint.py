"""`ccrgen lint` and its rules: a corpus of broken and correct real-world configs, locations,
report formats, exit codes and silencing."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from ccrgen.lint.engine import all_rules, lint_path

CORPUS = Path(__file__).parent / "lint_corpus"
BROKEN = sorted((CORPUS / "broken").iterdir())
GOOD = sorted((CORPUS / "good").iterdir())
EXPECT = re.compile(r"^(?://|#)[ \t]*expect:[ \t]*(CCR\d{3})[ \t]*(.*?)[ \t]*$", re.M)


class Env(dict):
    """Every variable is set, except those named UNSET_*: findings do not depend on the
    environment of the machine running the tests."""

    def get(self, key, default=None):
        return None if key.startswith("UNSET_") else "set-in-test"


def expected(path: Path) -> set[tuple[str, str]]:
    return {(code, where) for code, where in EXPECT.findall(path.read_text())}


def reported(path: Path, **kw) -> set[tuple[str, str]]:
    return {(f.code, f.path) for f in lint_path(path, env=Env(), **kw) if f.severity != "info"}


def test_the_corpus_is_big_enough():
    assert len(BROKEN) >= 25 and len(GOOD) >= 5


@pytest.mark.parametrize("path", BROKEN, ids=lambda p: p.name)
def test_broken_config_gives_exactly_the_expected_findings(path):
    assert expected(path), f"{path.name} declares no expected findings"
    assert reported(path) == expected(path)


@pytest.mark.parametrize("path", GOOD, ids=lambda p: p.name)
def test_correct_config_gives_no_error(path):
    errors = [f for f in lint_path(path, env=Env()) if f.severity == "error"]
    assert errors == []


def test_every_rule_is_exercised_by_the_corpus_or_a_test_here():
    covered = {code for p in BROKEN for code, _ in expected(p)}
    covered |= {"CCR046", "CCR047"}  # info rules: test_unused_providers_and_models below
    assert set(all_rules()) - covered == set()


def test_unused_providers_and_models_are_info(tmp_path):
    config = tmp_path / "config.json"
    config.write_text(json.dumps({
        "Providers": [
            {"name": "a", "api_base_url": "https://a.example/v1/chat/completions", "api_key": "$A",
             "models": ["m1", "m2"]},
            {"name": "b", "api_base_url": "https://b.example/v1/chat/completions", "api_key": "$B",
             "models": ["m3"]},
        ],
        "Router": {"default": "a,m1"},
    }))
    found = {(f.code, f.severity, f.path) for f in lint_path(config, env=Env())}
    assert ("CCR047", "info", "Providers[0].models") in found
    assert ("CCR046", "info", "Providers[1].name") in found
    assert not any(code == "CCR047" and path.startswith("Providers[1]") for code, _, path in found)


# --- locations ---------------------------------------------------------------------------

def position_of(text: str, needle: str) -> tuple[int, int]:
    offset = text.index(needle)
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def test_json5_location_points_at_the_value_despite_comments(tmp_path):
    text = ('// my router\n{\n  /* providers */\n  "Providers": [{"name": "p", // the provider\n'
            '    "api_base_url": "https://p.example/v1/chat/completions",\n'
            '    "api_key": "$P", "models": ["m"],},],\n'
            '  "Router": {\n    // default route\n    "default":   "p,nope",\n  },\n}\n')
    config = tmp_path / "config.json"
    config.write_text(text)
    [finding] = [f for f in lint_path(config, env=Env()) if f.code == "CCR001"]
    assert (finding.line, finding.column) == position_of(text, '"p,nope"')
    assert finding.path == "Router.default"
    assert finding.hint == "'p' has: m"


def test_yaml_location_points_at_the_spec_line_and_names_both_paths(tmp_path):
    text = ("extends: hicap\nproviders:\n  hicap:\n    api_key: $UNSET_KEY\n")
    spec = tmp_path / "ccrgen.yaml"
    spec.write_text(text)
    findings = [f for f in lint_path(spec, env=Env()) if f.code == "CCR072" and "Providers" in f.path]
    assert [(f.line, f.column) for f in findings] == [position_of(text, "$UNSET_KEY")]
    assert findings[0].path == "providers.hicap.api_key (Providers[0].api_key)"
    assert findings[0].file == str(spec)


# --- the command -------------------------------------------------------------------------

def broken(name: str) -> Path:
    return CORPUS / "broken" / name


def test_json_format_has_exactly_the_documented_fields(cli):
    result = cli("lint", broken("route-unknown-model.json"), "--format", "json")
    assert result.returncode == 1
    findings = json.loads(result.stdout)
    assert findings and all(set(f) == {"code", "severity", "file", "line", "column", "path", "message", "hint"}
                            for f in findings)
    think = next(f for f in findings if f["code"] == "CCR001")
    assert think["path"] == "Router.think" and "claude-opus-4.5" in think["hint"]


def test_github_format_prints_workflow_annotations(cli):
    result = cli("lint", broken("transformer-wrong-case.json"), "--format", "github")
    lines = [line for line in result.stdout.splitlines() if "title=CCR050" in line]
    assert len(lines) == 2 and all(line.startswith("::error file=") for line in lines)
    assert "line=11,col=31" in lines[0] and lines[0].endswith("(hint: did you mean 'OpenAI'?)")


def test_sarif_format_is_a_sarif_2_1_0_log(cli):
    result = cli("lint", broken("guide-verbatim-tilde-path.json"), "--format", "sarif")
    log = json.loads(result.stdout)
    assert log["version"] == "2.1.0"
    run = log["runs"][0]
    rule_ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert {"CCR051", "CCR050"} <= set(rule_ids)
    for res in run["results"]:
        assert rule_ids[res["ruleIndex"]] == res["ruleId"]
        assert res["locations"][0]["physicalLocation"]["region"]["startLine"] >= 1
        assert res["level"] in ("error", "warning", "note")


def test_text_format_and_exit_codes(cli, tmp_path):
    bad = cli("lint", broken("guide-verbatim-tilde-path.json"))
    assert bad.returncode == 1
    assert "guide-verbatim-tilde-path.json:15:14: error: transformers[0].path:" in bad.stdout
    assert "hint: write '" in bad.stdout and "Traceback" not in bad.stderr

    warn_only = cli("lint", broken("timeout-in-seconds.json"))
    assert warn_only.returncode == 0 and "CCR062" in warn_only.stdout
    assert cli("lint", broken("timeout-in-seconds.json"), "--strict").returncode == 1

    missing = cli("lint", tmp_path / "nope.json")
    assert missing.returncode == 2 and "nope.json" in missing.stderr

    malformed = tmp_path / "config.json"
    malformed.write_text('{"Router": {"default": "a,b",,}}')
    result = cli("lint", malformed)
    assert result.returncode == 2 and "config.json:1:" in result.stderr


def test_several_files_and_the_default_spec(cli, tmp_path):
    both = cli("lint", broken("route-unknown-model.json"), broken("model-with-comma.json"), "--format", "json")
    files = {Path(f["file"]).name for f in json.loads(both.stdout)}
    assert files == {"route-unknown-model.json", "model-with-comma.json"}

    none_here = cli("lint", cwd=tmp_path)
    assert none_here.returncode == 2 and "ccrgen.yaml" in none_here.stderr
    (tmp_path / "ccrgen.yaml").write_text("extends: hicap\nroutes:\n  think: hicap,gpt-52\n")
    here = cli("lint", "--format", "json", cwd=tmp_path)
    assert here.returncode == 1
    assert [f["path"] for f in json.loads(here.stdout) if f["code"] == "CCR001"] == ["routes.think (Router.think)"]


def test_rules_are_silenced_by_option_by_comment_and_by_spec(cli, tmp_path):
    source = broken("literal-keys.json")
    assert cli("lint", source, "--strict").returncode == 1
    assert cli("lint", source, "--strict", "--ignore", "CCR061").returncode == 0

    commented = tmp_path / "config.json"
    commented.write_text("// ccrgen-ignore: CCR061\n" + source.read_text())
    assert cli("lint", commented, "--strict").returncode == 0

    spec = tmp_path / "ccrgen.yaml"
    spec.write_text("extends: hicap\nproviders:\n  hicap:\n    api_key: sk-5a8c2e9f1b7d3a6c4e8f2b9d\n")
    assert "CCR061" in cli("lint", spec).stdout
    spec.write_text(spec.read_text() + "lint:\n  ignore: [CCR061]\n")
    assert "CCR061" not in cli("lint", spec).stdout

    assert cli("lint", source, "--ignore", "CCR999").returncode == 2


def test_build_refuses_on_a_lint_error_and_reports_each_problem_once(cli, tmp_path):
    spec = tmp_path / "s.yaml"
    spec.write_text("extends: hicap\nroutes:\n  long_context: hicap,claude-opus-4.5\n"
                    "  long_context_threshold: 250000\n")
    result = cli("build", spec, "--out", tmp_path / "out")
    assert result.returncode == 1
    assert "CCR022" in result.stderr and "nothing was written" in result.stderr
    assert not (tmp_path / "out").exists()

    spec.write_text("extends: hicap\nroutes:\n  default: hicap\n")
    result = cli("build", spec, "--out", tmp_path / "out")
    assert result.returncode == 1
    assert result.stderr.count("routes.default") == 1, result.stderr


def test_rules_command_lists_and_explains(cli):
    listing = cli("rules")
    codes = re.findall(r"^(CCR\d{3})\s", listing.stdout, re.M)
    assert codes == sorted(all_rules())
    one = cli("rules", "CCR051")
    assert one.returncode == 0 and "Why it matters" in one.stdout and "absolute path" in one.stdout
    assert cli("rules", "CCR999").returncode == 2


def test_docs_rules_md_is_generated_from_the_rules(cli):
    committed = (Path(__file__).parents[1] / "docs" / "rules.md").read_text()
    assert cli("rules", "--markdown").stdout == committed, \
        "docs/rules.md is stale: run `ccrgen rules --markdown > docs/rules.md`"


def test_every_bundled_preset_lints_without_error(cli):
    from ccrgen.presets import all_presets

    for ref in all_presets():
        if ref.origin == "bundled":
            errors = [f for f in lint_path(None, preset=ref.name, env=Env()) if f.severity == "error"]
            assert errors == [], ref.name


def test_guide_config_with_an_absolute_path_is_clean_and_verbatim_is_not(tmp_path):
    guide = Path(__file__).parents[2] / "shared" / "seed" / "hicap-setup-guide.md"
    if not guide.exists():
        guide = Path("/work/shared/seed/hicap-setup-guide.md")
    text = guide.read_text()
    blocks = re.findall(r"```(?:json|javascript|js)\n(.*?)```", text, re.S)
    config_text = next(b for b in blocks if '"Providers"' in b)
    transformer = next(b for b in blocks if "module.exports" in b)
    (tmp_path / "hicap-transformer.js").write_text(transformer)
    verbatim = tmp_path / "verbatim.json"
    verbatim.write_text(config_text)
    assert {"CCR051", "CCR050"} <= {f.code for f in lint_path(verbatim, env=Env()) if f.severity == "error"}
    fixed = tmp_path / "config.json"
    fixed.write_text(re.sub(r'"~/[^"]*hicap-transformer\.js"', json.dumps(str(tmp_path / "hicap-transformer.js")),
                            config_text))
    assert [f for f in lint_path(fixed, env=Env()) if f.severity == "error"] == []
