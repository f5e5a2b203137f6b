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
# `// expect: CODE SEVERITY PATH` (`#` in YAML): one line per finding the file must give.
EXPECT = re.compile(r"^(?://|#)[ \t]*expect:[ \t]*(CCR\d{3})[ \t]+(error|warning|info)\b[ \t]*(.*?)[ \t]*$", re.M)
SOURCE = re.compile(r"^(?://|#)[ \t]*source:[ \t]*\S", re.M)


class Env(dict):
    """Every variable is set, except those named UNSET_*: findings do not depend on the
    environment of the machine running the tests."""

    def get(self, key, default=None):
        return None if key.startswith("UNSET_") else "set-in-test"


def expected(path: Path) -> set[tuple[str, str, str]]:
    return set(EXPECT.findall(path.read_text()))


def reported(path: Path, **kw) -> set[tuple[str, str, str]]:
    return {(f.code, f.severity, f.path) for f in lint_path(path, env=Env(), **kw) if f.severity != "info"}


def test_the_corpus_is_big_enough_and_cites_its_sources():
    assert len(BROKEN) >= 60 and len(GOOD) >= 10
    cited = [p for p in BROKEN if SOURCE.search(p.read_text())]
    assert len(cited) >= 60, f"only {len(cited)} broken configs cite a public source"
    assert all(SOURCE.search(p.read_text()) for p in GOOD)


@pytest.mark.parametrize("path", BROKEN, ids=lambda p: p.name)
def test_broken_config_gives_exactly_the_expected_findings(path):
    assert expected(path), f"{path.name} declares no expected findings"
    assert reported(path) == expected(path)


@pytest.mark.parametrize("path", GOOD, ids=lambda p: p.name)
def test_correct_config_gives_no_error(path):
    errors = [f for f in lint_path(path, env=Env()) if f.severity == "error"]
    assert errors == []


def test_every_rule_is_exercised_by_the_corpus_or_a_test_here():
    covered = {code for p in BROKEN for code, _, _ in expected(p)}
    covered |= {"CCR046", "CCR047"}  # info rules: test_unused_providers_and_models below
    covered |= {"CCR004", "CCR005", "CCR056", "CCR058", "CCR073", "CCR074"}  # tests below
    covered |= {"CCR014", "CCR015", "CCR049", "CCR057"}  # test_shapes_ccr_never_uses
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
    assert "line=12,col=31" in lines[0] and lines[0].endswith("(hint: did you mean 'OpenAI'?)")


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

    key_set = {"DEEPSEEK_API_KEY": "sk-test"}
    warn_only = cli("lint", broken("timeout-in-seconds.json"), env=key_set)
    assert warn_only.returncode == 0 and "CCR062" in warn_only.stdout
    assert cli("lint", broken("timeout-in-seconds.json"), "--strict", env=key_set).returncode == 1
    unset = cli("lint", broken("timeout-in-seconds.json"), env={"DEEPSEEK_API_KEY": ""})
    assert unset.returncode == 1 and "CCR072" in unset.stdout  # CCR would send the literal $NAME

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
    from ccrgen.spec.presets import all_presets

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


# --- types and robustness ----------------------------------------------------------------

def lint_text(tmp_path, config) -> list:
    path = tmp_path / "config.json"
    path.write_text(config if isinstance(config, str) else json.dumps(config))
    return lint_path(path, env=Env())


def provider(**extra) -> dict:
    return {"name": "deepseek", "api_base_url": "https://api.deepseek.com/chat/completions",
            "api_key": "$DEEPSEEK_API_KEY", "models": ["deepseek-chat"],
            "transformer": {"use": ["deepseek"]}, **extra}


def test_a_string_for_a_list_is_one_located_type_finding(tmp_path):
    findings = lint_text(tmp_path, {"Providers": [provider(models="deepseek-chat")],
                                    "Router": {"default": "deepseek,deepseek-chat"}})
    assert [(f.code, f.severity, f.path) for f in findings if f.severity != "info"] == [
        ("CCR004", "error", "Providers[0].models")]
    assert findings[0].hint == 'write ["deepseek-chat"]'


def test_use_as_a_string_and_a_threshold_in_k_are_reported(tmp_path):
    findings = lint_text(tmp_path, {"Providers": [provider(transformer={"use": "deepseek"})],
                                    "Router": {"default": "deepseek,deepseek-chat",
                                               "longContext": "deepseek,deepseek-chat",
                                               "longContextThreshold": "64K"}})
    by_path = {f.path: f for f in findings}
    assert by_path["Providers[0].transformer.use"].code == "CCR004"
    assert by_path["Router.longContextThreshold"].code == "CCR020"
    assert by_path["Router.longContextThreshold"].hint == "write 64000"
    assert all(f.severity == "error" for f in by_path.values() if f.code in ("CCR004", "CCR020"))


def test_an_options_object_after_its_name_is_one_finding(tmp_path):
    findings = lint_text(tmp_path, {"Providers": [provider(transformer={"use": ["deepseek", "maxtoken",
                                                                               {"max_tokens": 8192}]})],
                                    "Router": {"default": "deepseek,deepseek-chat"}})
    assert [(f.code, f.path) for f in findings if f.severity == "error"] == [
        ("CCR056", "Providers[0].transformer.use[2]")]


@pytest.mark.parametrize("value", [None, True, 1.5, "x", [], {}, [[[]]], {"a": {"b": []}}, -1, 10**30])
def test_every_rule_survives_a_wrong_type_anywhere(tmp_path, value):
    keys = ["LOG", "LOG_LEVEL", "HOST", "PORT", "APIKEY", "API_TIMEOUT_MS", "PROXY_URL",
            "CUSTOM_ROUTER_PATH", "transformers", "Providers", "Router", "fallback"]
    inner = ["name", "api_base_url", "api_key", "models", "transformer", "tokenizer"]
    for key in keys:
        lint_text(tmp_path, {"Providers": [provider()], "Router": {"default": "deepseek,deepseek-chat"},
                             key: value})
    for key in inner:
        lint_text(tmp_path, {"Providers": [provider(**{key: value}), value],
                             "Router": {"default": value, "think": "deepseek,deepseek-chat",
                                        "longContextThreshold": value},
                             "fallback": {"default": [value]}, "transformers": [value, {"path": value}]})


def test_nan_infinity_deep_nesting_and_a_huge_config_do_not_crash(tmp_path):
    lint_text(tmp_path, '{"Providers": [], "Router": {"longContextThreshold": NaN}, "API_TIMEOUT_MS": Infinity,'
                        ' "PORT": -Infinity}')
    deep = {"Providers": [provider(extra=json.loads("[" * 100 + "]" * 100))],
            "Router": {"default": "deepseek,deepseek-chat"}}
    lint_text(tmp_path, deep)
    huge = {"Providers": [provider(name=f"p{i}", models=[f"m{j}" for j in range(50)]) for i in range(300)],
            "Router": {"default": "p0,m0"}}
    assert not [f for f in lint_text(tmp_path, huge) if f.severity == "error"]


def test_misspelt_keys_at_every_level_have_a_did_you_mean(tmp_path):
    bad = provider(transformers={"use": ["deepseek"]}, baseURL="x")
    del bad["transformer"]
    findings = lint_text(tmp_path, {"Providers": [bad], "Router": {"default": "deepseek,deepseek-chat",
                                                                    "longcontext": "deepseek,deepseek-chat"},
                                    "port": 3456, "transformers": [{"paht": "/x.js"}]})
    hints = {f.path: (f.code, f.severity, f.hint) for f in findings}
    assert hints["Providers[0].transformers"] == ("CCR005", "error", "did you mean 'transformer'?")
    assert hints["Providers[0].baseURL"] == ("CCR005", "error", "did you mean 'api_base_url'?")
    assert hints["Router.longcontext"] == ("CCR013", "error", "did you mean 'longContext'?")
    assert hints["port"] == ("CCR065", "error", "did you mean 'PORT'?")
    assert hints["transformers[0].paht"] == ("CCR005", "error", "did you mean 'path'?")


def test_references_ccr_does_not_interpolate(tmp_path):
    providers = [provider(name=f"p{i}", api_key=key) for i, key in
                 enumerate(["${env:DEEPSEEK_API_KEY}", "%DEEPSEEK_API_KEY%", "$deepseek_key", "DEEPSEEK_API_KEY"])]
    findings = lint_text(tmp_path, {"Providers": providers, "Router": {"default": "p0,deepseek-chat"}})
    codes = {f.path: f.code for f in findings if f.severity == "error"}
    assert codes == {"Providers[0].api_key": "CCR073", "Providers[1].api_key": "CCR073",
                     "Providers[2].api_key": "CCR070", "Providers[3].api_key": "CCR074"}


def test_custom_router_path_gets_the_transformer_path_checks(tmp_path):
    esm = tmp_path / "router.mjs.js"
    esm.write_text("export default async function router(req) { return null }\n")
    base = {"Providers": [provider()], "Router": {"default": "deepseek,deepseek-chat"}}
    for value, code in (("~/.claude-code-router/router.js", "CCR051"), ("router.js", "CCR052"),
                        (str(tmp_path / "nope.js"), "CCR053"), (str(esm), "CCR058")):
        found = [(f.code, f.path) for f in lint_text(tmp_path, {**base, "CUSTOM_ROUTER_PATH": value})
                 if f.severity == "error"]
        assert found == [(code, "CUSTOM_ROUTER_PATH")], value


def test_shapes_ccr_never_uses(tmp_path):
    legacy = lint_text(tmp_path, {"OPENAI_API_KEY": "$K", "OPENAI_BASE_URL": "https://api.openai.com/v1",
                                  "OPENAI_MODEL": "gpt-4o", "Router": {"default": "openai,gpt-4o"}})
    assert ("CCR014", "error", "OPENAI_API_KEY") in {(f.code, f.severity, f.path) for f in legacy}
    assert not [f for f in legacy if f.code == "CCR065"]
    openrouter = {"name": "openrouter", "api_base_url": "https://openrouter.ai/api/v1/chat/completions",
                  "api_key": "$OPENROUTER_API_KEY", "models": ["anthropic/claude-sonnet-4.5", "perplexity/sonar"],
                  "transformer": {"use": ["openrouter"], "anthropic/claude-sonet-4.5": {"use": ["tooluse"]}}}
    found = {(f.code, f.severity, f.path): f.hint for f in lint_text(tmp_path, {
        "Providers": [openrouter],
        "Router": {"default": "openrouter,anthropic/claude-sonnet-4.5",
                   "webSearch": "openrouter,anthropic/claude-sonnet-4.5"},
        "fallback": {"long_context": ["openrouter,anthropic/claude-sonnet-4.5"]}})}
    assert found[("CCR049", "error", "Router.webSearch")] == "write 'openrouter,anthropic/claude-sonnet-4.5:online'"
    assert found[("CCR057", "error", "Providers[0].transformer.anthropic/claude-sonet-4.5")] == \
        "did you mean 'anthropic/claude-sonnet-4.5'?"
    assert found[("CCR015", "error", "fallback.long_context")] == "did you mean 'longContext'?"
    sonar = lint_text(tmp_path, {"Providers": [openrouter], "Router": {
        "default": "openrouter,anthropic/claude-sonnet-4.5", "webSearch": "openrouter,perplexity/sonar"}})
    assert not [f for f in sonar if f.code == "CCR049"]  # sonar searches by itself


def test_engine_lints_only_the_well_typed_part_without_jsonschema_for_a_valid_config():
    import subprocess
    import sys

    code = ("import sys; from ccrgen.lint.engine import lint_path; "
            f"lint_path({str(CORPUS / 'good' / 'issue-895-deepseek.json')!r}, env={{}}); "
            "print(sorted(m for m in ('jsonschema', 'jinja2') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_model_catalog_is_what_the_bundled_presets_say():
    from ccrgen.lint.rules import catalog

    assert catalog.DATA_FILE.read_text(encoding="utf-8") == catalog.render(catalog.from_presets()), \
        "ccrgen/lint/rules/_catalog_data.py is stale: run `python -m ccrgen.lint.rules.catalog`"


def test_urls_ccr_cannot_use(tmp_path):
    base = {"Router": {"default": "p,m"}}
    cases = {
        "https://api.example.com/v1/chat/completions ": ("CCR043", "write 'https://api.example.com/v1/chat/completions'"),
        "api.example.com/v1/chat/completions": ("CCR043", "start it with https:// (or http:// for a local server)"),
        "https://api.deepseek.com": ("CCR044", "did you mean 'https://api.deepseek.com/chat/completions'?"),
    }
    for url, (code, hint) in cases.items():
        p = {"name": "p", "api_base_url": url, "api_key": "$P", "models": ["m"],
             "transformer": {"use": ["deepseek"]}}
        found = [(f.code, f.hint) for f in lint_text(tmp_path, {**base, "Providers": [p]}) if f.severity == "error"]
        assert found == [(code, hint)], url
    ok = {"name": "p", "api_base_url": "https://a.example/v1/chat/completions", "api_key": "$P", "models": ["m"]}
    for proxy, bad in (("127.0.0.1:7890", True), ("http://:7890", True), ("http://127.0.0.1:7890", False),
                       ("socks5://127.0.0.1:1080", False), ("", False)):
        found = [f.hint for f in lint_text(tmp_path, {**base, "Providers": [ok], "PROXY_URL": proxy})
                 if f.code == "CCR068"]
        assert bool(found) == bad, proxy
    assert found == [] and [f.hint for f in lint_text(tmp_path, {**base, "Providers": [ok], "PROXY_URL": "127.0.0.1:7890"})
                            if f.code == "CCR068"] == ["write 'http://127.0.0.1:7890'"]


def test_deepseek_without_its_transformer_and_an_empty_provider_list(tmp_path):
    bare = {"name": "deepseek", "api_base_url": "https://api.deepseek.com/chat/completions",
            "api_key": "$DEEPSEEK_API_KEY", "models": ["deepseek-chat"]}
    found = {(f.code, f.severity) for f in lint_text(tmp_path, {"Providers": [bare],
                                                                "Router": {"default": "deepseek,deepseek-chat"}})}
    assert ("CCR048", "error") in found
    capped = {**bare, "transformer": {"use": [["maxtoken", {"max_tokens": 8192}]]}}
    assert not [f for f in lint_text(tmp_path, {"Providers": [capped], "Router": {"default": "deepseek,deepseek-chat"}})
                if f.code == "CCR048"]
    anthropic = {**bare, "api_base_url": "https://api.deepseek.com/anthropic/v1/messages",
                 "transformer": {"use": ["Anthropic"]}}
    assert not [f for f in lint_text(tmp_path, {"Providers": [anthropic], "Router": {"default": "deepseek,deepseek-chat"}})
                if f.severity == "error"]
    empty = lint_text(tmp_path, {"PORT": 3456, "Providers": [], "Router": {}})  # what `ccr code` may write (#1045)
    assert ("CCR014", "error", "Providers") in {(f.code, f.severity, f.path) for f in empty}


def test_a_list_entry_for_an_instance_transformer_drops_the_provider(tmp_path):
    """CCR 2.0.0 calls `new` on what `[NAME, ...]` names: built-ins registered as instances
    and every loaded custom transformer throw, and the provider is never registered."""
    custom = tmp_path / "auth.js"
    custom.write_text('class T { constructor(o) { this.name = "my-auth"; } }\nmodule.exports = T;\n')
    findings = lint_text(tmp_path, {
        "transformers": [{"path": str(custom), "options": {}}],
        "Providers": [provider(transformer={"use": [["deepseek"], ["my-auth", {"header": "api-key"}],
                                                    ["maxtoken", {"max_tokens": 8192}]],
                                            "deepseek-chat": {"use": [["tooluse", {}]]}})],
        "Router": {"default": "deepseek,deepseek-chat"}})
    hits = {(f.code, f.path) for f in findings if f.severity == "error"}
    assert hits == {("CCR059", "Providers[0].transformer.use[0][0]"),
                    ("CCR059", "Providers[0].transformer.use[1][0]"),
                    ("CCR059", "Providers[0].transformer.deepseek-chat.use[0][0]")}
    by_path = {f.path: f for f in findings if f.code == "CCR059"}
    assert "transformers entry" in by_path["Providers[0].transformer.use[1][0]"].hint


def test_names_alone_and_class_transformers_with_options_are_fine(tmp_path):
    findings = lint_text(tmp_path, {
        "Providers": [provider(transformer={"use": ["deepseek", ["maxtoken", {"max_tokens": 8192}],
                                                    ["openrouter", {"provider": {"only": ["x"]}}]],
                                            "deepseek-chat": {"use": ["tooluse"]}})],
        "Router": {"default": "deepseek,deepseek-chat"}})
    assert not [f for f in findings if f.code in ("CCR059", "CCR054")]


def test_groq_without_its_transformer_is_a_warning(tmp_path):
    groq = {"name": "groq", "api_base_url": "https://api.groq.com/openai/v1/chat/completions",
            "api_key": "$GROQ_API_KEY", "models": ["llama-3.3-70b-versatile"]}
    found = lint_text(tmp_path, {"Providers": [groq], "Router": {"default": "groq,llama-3.3-70b-versatile"}})
    assert [(f.code, f.severity) for f in found if f.code == "CCR048"] == [("CCR048", "warning")]
    for chain in (["groq"], ["cleancache"]):
        found = lint_text(tmp_path, {"Providers": [dict(groq, transformer={"use": chain})],
                                     "Router": {"default": "groq,llama-3.3-70b-versatile"}})
        assert not [f for f in found if f.code == "CCR048"]


def test_rewrite_system_prompt_must_be_a_file_ccr_can_read(tmp_path):
    # CCR 2.0.0 reads it for every Claude Code request, outside its error handling: a path it
    # cannot open answers every such request with 500 ENOENT (verified with CCR 2.0.0).
    prompt = tmp_path / "prompt.md"
    prompt.write_text("You are a careful engineer.\n")
    base = {"Providers": [provider()], "Router": {"default": "deepseek,deepseek-chat"}}
    for value, expect in (("~/.claude-code-router/prompt.md", [("CCR069", "error")]),
                          (str(tmp_path / "nope.md"), [("CCR069", "error")]),
                          (str(tmp_path), [("CCR069", "error")]),           # a folder: EISDIR
                          ("prompt.md", [("CCR069", "warning")]),           # read from CCR's start folder
                          ("$HOME/prompt.md", [("CCR071", "error")]),       # never interpolated
                          (str(prompt), []), ("", [])):
        found = [(f.code, f.severity) for f in lint_text(tmp_path, {**base, "REWRITE_SYSTEM_PROMPT": value})
                 if f.path == "REWRITE_SYSTEM_PROMPT"]
        assert found == expect, value


def test_log_level_silent_is_a_level_ccr_accepts(tmp_path):
    base = {"Providers": [provider()], "Router": {"default": "deepseek,deepseek-chat"}}
    assert not [f for f in lint_text(tmp_path, {**base, "LOG_LEVEL": "silent"}) if f.severity != "info"]
    found = [(f.code, f.hint) for f in lint_text(tmp_path, {**base, "LOG_LEVEL": "warning"})]
    assert found == [("CCR064", "did you mean 'warn'?")]


def test_routes_nested_under_router_are_an_error(tmp_path):
    found = {(f.code, f.severity, f.path) for f in lint_text(tmp_path, {
        "Providers": [provider()],
        "Router": {"default": "deepseek,deepseek-chat", "rules": {"think": "deepseek,deepseek-chat"},
                   "notes": {"owner": "me"}}})}
    assert ("CCR013", "error", "Router.rules") in found
    assert ("CCR013", "warning", "Router.notes") in found  # nothing CCR reads: maybe another tool's


def test_minimax_openai_compatible_endpoint_is_not_a_wrong_endpoint(tmp_path):
    minimax = {"name": "minimax", "api_base_url": "https://api.minimax.io/v1/text/chatcompletion_v2",
               "api_key": "$MINIMAX_API_KEY", "models": ["MiniMax-M2"]}
    found = lint_text(tmp_path, {"Providers": [minimax], "Router": {"default": "minimax,MiniMax-M2"}})
    assert not [f for f in found if f.code == "CCR044"]
    found = lint_text(tmp_path, {"Providers": [dict(minimax, api_base_url="https://api.minimax.io/v1/text")],
                                 "Router": {"default": "minimax,MiniMax-M2"}})
    assert [f.code for f in found if f.code == "CCR044"] == ["CCR044"]


def test_a_ccr_preset_manifest_keeps_its_metadata(tmp_path):
    # ~/.claude-code-router/presets/<name>/manifest.json: `ccr preset` reads name, version, schema...
    manifest = {"name": "my-deepseek", "version": "1.0.0", "description": "DeepSeek", "author": "me",
                "keywords": ["deepseek"], "schema": [{"id": "apiKey", "type": "password", "label": "Key"}],
                "Providers": [provider()], "Router": {"default": "deepseek,deepseek-chat"}}
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    assert not [f for f in lint_path(tmp_path / "manifest.json", env=Env()) if f.severity != "info"]
    as_config = [f.path for f in lint_text(tmp_path, manifest) if f.code == "CCR065"]
    assert as_config == ["name", "version", "description", "author", "keywords", "schema"]


def test_a_map_under_router_that_holds_no_routes_is_only_a_warning(tmp_path):
    found = {(f.code, f.severity, f.path) for f in lint_text(tmp_path, {
        "Providers": [provider()],
        "Router": {"default": "deepseek,deepseek-chat", "tokenizer": {"default": {"type": "tiktoken"}}}})}
    assert ("CCR013", "warning", "Router.tokenizer") in found
