"""`ccrgen import`: a config.json becomes a spec that builds back to it.

Round trip: the spec is written as YAML text, read back as a user's file would be, built,
and the result compared with the original semantically (providers by name, models by
value) after the normalisations the README lists."""

from __future__ import annotations

import json
import stat
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ccrgen.spec import loader
from ccrgen.lifecycle.diff import diff_configs
from ccrgen.config.importer import comparable, import_config, to_yaml
from ccrgen.config.render import render
from ccrgen.spec.resolve import resolve_file
from conftest import REPO

CORPUS = REPO / "tests" / "lint_corpus"
# Configs whose values CCR 2.0.0 cannot use and the spec refuses (import says where):
REFUSED = {"model-with-comma.json", "port-and-log-level.json", "timeout-not-number.json",
           "issue-272-lmstudio-no-key-no-default.json",  # no api_key: a spec provider needs one
           "threshold-string.json"}


def _wrongly_typed(path: Path) -> bool:
    from ccrgen.check.validate import type_problems

    return bool(type_problems(loader.load_config(path, check_types=False)))


# Configs with a value of the wrong type: the config loader refuses them (test_hostile_input.py)
TYPE_REFUSED = {p.name for p in CORPUS.glob("*/*.json") if _wrongly_typed(p)}


@pytest.mark.parametrize("config_file", sorted(p for p in CORPUS.glob("*/*.json")
                                                if p.name not in REFUSED | TYPE_REFUSED),
                         ids=lambda p: f"{p.parent.name}/{p.name}")
@pytest.mark.parametrize("use_presets", [True, False], ids=["presets", "no-presets"])
def test_every_corpus_config_round_trips(config_file, use_presets):
    from ccrgen.errors import SpecError
    from ccrgen.config.importer import ImportFailed

    loaded = loader.load_config(config_file)
    try:
        imported = import_config(loaded, node="", use_presets=use_presets)
    except ImportFailed:  # the spec would not build back: always a bug of the importer
        raise
    except SpecError as refused:
        # a broken config may hold a value no spec can express (CCR cannot use it either):
        # then import refuses it, naming the line; a good config must always import
        assert config_file.parent.name == "broken", refused.render()
        assert refused.problems[0].location and refused.problems[0].location.line, refused.render()
        return
    with tempfile.TemporaryDirectory() as folder:
        spec_file = Path(folder) / "ccrgen.yaml"
        spec_file.write_text(to_yaml(imported, str(config_file)), encoding="utf-8")
        ccr_dir = Path(folder) / "ccr"
        rendered = render(resolve_file(spec_file).spec, ccr_dir)
    changes = diff_configs(comparable(loaded.config, imported.moved_paths(ccr_dir)), comparable(rendered.config),
                           ignore_order=True)
    assert changes == [], [(c.op, c.path) for c in changes]


@pytest.mark.parametrize("name", sorted(REFUSED | TYPE_REFUSED))
def test_values_ccr_cannot_use_are_refused_with_their_line(cli, name):
    [path] = CORPUS.glob(f"*/{name}")
    done = cli("import", path)
    assert done.returncode == 1
    first = done.stderr.splitlines()[0]
    assert first.startswith(f"error: {path}:") and "Traceback" not in done.stderr
    assert "hint:" in done.stderr


def test_the_guide_config_becomes_extends_hicap(cli, tmp_path):
    from test_render import guide_config

    guide = guide_config()
    config = tmp_path / "config.json"
    config.write_text(json.dumps(guide, indent=2))
    out = tmp_path / "ccrgen.yaml"
    done = cli("import", config, "-o", out)
    assert done.returncode == 0, done.stderr
    spec_lines = [line for line in out.read_text().splitlines() if line and not line.startswith("#")]
    assert spec_lines == ["extends: hicap"]
    assert "imported as providers.hicap.auth" in done.stderr
    built = tmp_path / "build"
    assert cli("build", out, "--out", built, env={"HICAP_API_KEY": "hk-12345678"}).returncode == 0
    expected = comparable(guide, {"~/.claude-code-router/hicap-transformer.js": str(built / "hicap-transformer.js")})
    assert diff_configs(expected, comparable(json.loads((built / "config.json").read_text()))) == []


def test_the_guide_transformer_file_is_recognised_by_what_it_does(tmp_path, node_bin):
    """With the file readable, recognition runs it in node: a hand-written header
    transformer under another name is still imported as `auth:`."""
    js = tmp_path / "my-auth.js"
    js.write_text('module.exports = class X { static name = "myauth"; name = "myauth";\n'
                  '  async transformRequestIn(r, p) { return {body: r, config: {headers: '
                  '{"x-goog-api-key": p.apiKey, Authorization: undefined}}}; } };\n')
    config = {"transformers": [{"path": str(js)}],
              "Providers": [{"name": "g", "api_base_url": "https://example.test/v1/chat/completions",
                             "api_key": "$G_KEY", "models": ["m"], "transformer": {"use": ["myauth"]}}],
              "Router": {"default": "g,m"}}
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    imported = import_config(loader.load_config(path), node=node_bin, use_presets=False)
    assert imported.spec["providers"]["g"]["auth"] == {"header": "x-goog-api-key", "transformer": "myauth"}
    assert "transformers" not in imported.spec


def test_literal_keys_are_masked_when_printed_and_0600_when_written(cli, tmp_path):
    config = CORPUS / "broken" / "literal-keys.json"
    data = loader.load_config(config).config        # JSON5, with comments
    secrets = [data["APIKEY"]] + [p["api_key"] for p in data["Providers"] if len(p["api_key"]) > 8]
    printed = cli("import", config)
    assert printed.returncode == 0 and secrets
    assert not any(s in printed.stdout + printed.stderr for s in secrets)
    out = tmp_path / "spec.yaml"
    written = cli("import", config, "-o", out)
    assert written.returncode == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert all(s in out.read_text() for s in secrets)
    assert not any(s in written.stdout + written.stderr for s in secrets)


def test_an_existing_spec_is_backed_up(cli, tmp_path):
    out = tmp_path / "ccrgen.yaml"
    out.write_text("# my old spec\nextends: hicap\n")
    done = cli("import", CORPUS / "good" / "ccr-docs-quick-start.json", "-o", out)
    assert done.returncode == 0 and "backed up" in done.stdout
    backups = list(tmp_path.glob("ccrgen.yaml.*.bak"))
    assert len(backups) == 1 and backups[0].read_text() == "# my old spec\nextends: hicap\n"


def test_missing_config_is_exit_2(cli, tmp_path):
    done = cli("import", tmp_path / "nope.json")
    assert done.returncode == 2 and "no such file" in done.stderr


# -- property: generated configs ------------------------------------------------------------

NAME = st.from_regex(r"[a-z][a-z0-9_-]{0,7}", fullmatch=True)
MODEL = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9./:_-]{0,12}", fullmatch=True) | st.sampled_from(
    ["1.5", "yes", "null", "on", "gpt-5.2", "deepseek/deepseek-chat", "qwen2.5-coder:latest"])
KEY = st.sampled_from(["$KEY_A", "${KEY_B}", "sk-literal-1234567890", "ollama", ""])
USE = st.one_of(st.sampled_from(["openrouter", "tooluse", "enhancetool", "deepseek"]),
                st.builds(lambda n: ["maxtoken", {"max_tokens": n}], st.integers(1, 200000)),
                st.builds(lambda t: ["sampling", {"temperature": t}], st.sampled_from([0, 0.5, 1])))
JSONISH = st.recursive(st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=5),
                       lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(min_size=1, max_size=4),
                                                                                   inner, max_size=3),
                       max_leaves=6)


@st.composite
def configs(draw) -> dict:
    providers = []
    for name in draw(st.lists(NAME, min_size=1, max_size=3, unique=True)):
        models = draw(st.lists(MODEL, min_size=1, max_size=4, unique=True))
        provider = {"name": name, "api_base_url": f"https://{name}.example/v1/chat/completions",
                    "api_key": draw(KEY), "models": models}
        chain = {}
        if draw(st.booleans()):
            chain["use"] = draw(st.lists(USE, max_size=3))
        for model in draw(st.lists(st.sampled_from(models), max_size=2, unique=True)):
            chain[model] = {"use": draw(st.lists(USE, min_size=1, max_size=2))}
        if chain:
            provider["transformer"] = chain
        if draw(st.booleans()):
            provider["extra_field"] = draw(JSONISH)
        providers.append(provider)
    targets = [f"{p['name']},{m}" for p in providers for m in p["models"]]
    router = {"default": draw(st.sampled_from(targets))}
    for route in draw(st.lists(st.sampled_from(["background", "think", "longContext", "webSearch", "image"]),
                               unique=True)):
        router[route] = draw(st.sampled_from(targets + [""]))
    if draw(st.booleans()):
        router["longContextThreshold"] = draw(st.integers(1, 300000))  # a string: refused at load
    if draw(st.booleans()):
        router["customRoute"] = draw(JSONISH)
    config = {"Providers": providers, "Router": router}
    optional = {"LOG": st.booleans(), "LOG_LEVEL": st.sampled_from(["debug", "info", "warn"]),
                "PORT": st.integers(1, 65535), "HOST": st.sampled_from(["127.0.0.1", "0.0.0.0"]),
                "APIKEY": KEY, "API_TIMEOUT_MS": st.integers(1, 10**6) | st.just("600000"),
                "PROXY_URL": st.just("http://127.0.0.1:7890"), "NON_INTERACTIVE_MODE": st.booleans(),
                "StatusLine": st.fixed_dictionaries({"enabled": st.booleans()}), "forceUseImageAgent": st.booleans(),
                "fallback": st.fixed_dictionaries({"default": st.lists(st.sampled_from(targets), max_size=2)}),
                "transformers": st.lists(st.builds(lambda n, o: {"path": f"/opt/t/{n}.js", **o}, NAME,
                                                   st.sampled_from([{}, {"options": {"a": 1}}])), max_size=2)}
    for key in draw(st.lists(st.sampled_from(sorted(optional)), unique=True)):
        config[key] = draw(optional[key])
    return config


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(configs(), st.booleans())
def test_generated_configs_round_trip(config, use_presets):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "config.json"
        path.write_text(json.dumps(config))
        loaded = loader.load_config(path)
        imported = import_config(loaded, node="", use_presets=use_presets)
        spec_file = Path(folder) / "ccrgen.yaml"
        spec_file.write_text(to_yaml(imported, str(path)), encoding="utf-8")
        rendered = render(resolve_file(spec_file).spec, Path(folder) / "ccr")
    changes = diff_configs(comparable(config), comparable(rendered.config), ignore_order=True)
    assert changes == [], [(c.op, c.path, c.old, c.new) for c in changes]
