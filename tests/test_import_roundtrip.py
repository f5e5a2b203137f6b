"""`ccrgen import` then `ccrgen build`: a user's config.json comes back with every key it had,
in the order CCR cares about (providers, models, `transformers`, `use` chains, fallback lists),
with environment references kept as references, and it routes as the original in the real CCR.

test_import.py checks the round trip ignoring the order of providers and models; these tests
do not."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest

from ccrgen.config.importer import comparable, import_config, to_yaml
from ccrgen.config.render import render
from ccrgen.lifecycle.diff import diff_configs
from ccrgen.spec import loader
from ccrgen.spec.resolve import resolve_file
from test_import import CORPUS, REFUSED, TYPE_REFUSED


def _round_trip(config_path: Path, *, use_presets: bool = True):
    """(original config, the config the imported spec builds to, Imported)."""
    loaded = loader.load_config(config_path)
    imported = import_config(loaded, node="", use_presets=use_presets)
    with tempfile.TemporaryDirectory() as folder:
        spec_file = Path(folder) / "ccrgen.yaml"
        spec_file.write_text(to_yaml(imported, str(config_path)), encoding="utf-8")
        ccr_dir = Path(folder) / "ccr"
        built = render(resolve_file(spec_file).spec, ccr_dir).config
        return loaded.config, built, imported, imported.moved_paths(ccr_dir)


def _importable():
    from ccrgen.errors import SpecError

    out = []
    for path in sorted(CORPUS.glob("*/*.json")):
        if path.name in REFUSED | TYPE_REFUSED:
            continue
        try:
            import_config(loader.load_config(path), node="", use_presets=False)
        except SpecError:
            continue   # a value no spec holds (test_import.py checks it is refused with its line)
        out.append(path)
    return out


@pytest.mark.parametrize("config_file", _importable(), ids=lambda p: f"{p.parent.name}/{p.name}")
@pytest.mark.parametrize("use_presets", [True, False], ids=["presets", "no-presets"])
def test_every_corpus_config_round_trips_in_order(config_file, use_presets):
    """Order included: a config that matches a preset but lists its providers in another order
    (openrouter before deepseek) was imported as `extends: deepseek`, which builds deepseek first."""
    original, built, imported, moved = _round_trip(config_file, use_presets=use_presets)
    changes = diff_configs(comparable(original, moved), comparable(built), ignore_order=False)
    assert changes == [], [(c.op, c.path) for c in changes]


def test_a_preset_is_not_used_when_it_would_move_the_providers():
    path = CORPUS / "good" / "ccr-readme-comprehensive-fixed.json"
    original, built, imported, _ = _round_trip(path)
    names = [p["name"] for p in original["Providers"]]
    assert names[:2] == ["openrouter", "deepseek"]
    assert [p["name"] for p in built["Providers"]] == names
    assert imported.extends is None


def _write(tmp_path: Path, config: dict) -> Path:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config, indent=2), encoding="utf-8")
    return path


HICAP = {"name": "hicap", "api_base_url": "https://api.hicap.ai/v1/chat/completions", "api_key": "$HICAP_API_KEY",
         "models": ["claude-sonnet-4.5", "gpt-5.2"], "transformer": {"use": ["maxtoken", "hicap"]}}


def test_a_header_transformer_listed_before_another_keeps_its_place(tmp_path):
    """`auth:` renders the header transformer after the spec's `transformers`: a config listing
    it first was refused as "would not build back ... please report this"."""
    other = tmp_path / "other.js"
    other.write_text('module.exports = class O { constructor(o) { this.name = "other"; } };\n')
    config = {"transformers": [{"path": "/nonexistent/ccrgen-test/hicap-transformer.js"},
                               {"path": str(other), "options": {"a": 1}}],
              "Providers": [HICAP], "Router": {"default": "hicap,gpt-5.2"}}
    original, built, imported, moved = _round_trip(_write(tmp_path, config))
    assert built["transformers"] == original["transformers"]
    assert built["Providers"][0]["transformer"] == {"use": ["maxtoken", "hicap"]}
    assert any("kept as paths" in note for note in imported.notes)


def test_a_header_transformer_listed_last_still_becomes_auth(tmp_path):
    other = tmp_path / "other.js"
    other.write_text('module.exports = class O { constructor(o) { this.name = "other"; } };\n')
    config = {"transformers": [{"path": str(other), "options": {"a": 1}},
                               {"path": "/nonexistent/ccrgen-test/hicap-transformer.js"}],
              "Providers": [HICAP], "Router": {"default": "hicap,gpt-5.2"}}
    original, built, imported, moved = _round_trip(_write(tmp_path, config), use_presets=False)
    assert imported.spec["providers"]["hicap"]["auth"] == {"header": "api-key"}
    assert built["transformers"][0] == original["transformers"][0]
    assert Path(built["transformers"][1]["path"]).name == "hicap-transformer.js"


def test_keys_of_a_transformers_entry_survive(tmp_path):
    """CCR reads `path` and `options` and ignores the rest: a label (`name`) or a flag the user
    wrote was lost (`name`) or refused as a value "CCR 2.0.0 cannot use" (anything else)."""
    plugin = tmp_path / "plugin.js"
    plugin.write_text('module.exports = class P { constructor(o) { this.name = "plugin"; } };\n')
    entry = {"name": "plugin", "path": str(plugin), "options": {"k": "${PLUGIN_TOKEN}"}, "enabled": True,
             "_comment": "mine"}
    config = {"transformers": [entry],
              "Providers": [{"name": "p", "api_base_url": "https://p.example.test/v1/chat/completions",
                             "api_key": "$P_KEY", "models": ["m"], "transformer": {"use": ["plugin"]}}],
              "Router": {"default": "p,m"}}
    for use_presets in (True, False):
        original, built, imported, _ = _round_trip(_write(tmp_path, config), use_presets=use_presets)
        assert built["transformers"] == [entry]


@pytest.mark.parametrize("port", ["${CCR_PORT}", "$CCR_PORT"])
def test_a_port_reference_stays_a_reference(tmp_path, port):
    """CCR 2.0.0 interpolates PORT: `"PORT": "$CCR_PORT"` is a working config, and import
    refused it ("CCR 2.0.0 cannot use this value either")."""
    config = {"PORT": port, "Providers": [{"name": "p", "api_base_url": "https://p.example.test/v1/chat/completions",
                                           "api_key": "$P_KEY", "models": ["m"]}],
              "Router": {"default": "p,m"}}
    original, built, _, _ = _round_trip(_write(tmp_path, config))
    assert built["PORT"] == port


def test_a_port_that_is_no_reference_is_refused_with_one_message(cli, tmp_path):
    spec = tmp_path / "ccrgen.yaml"
    spec.write_text("server:\n  port: $ccr_port\n", encoding="utf-8")
    done = cli("build", spec, "--out", tmp_path / "out", env={"HOME": str(tmp_path)})
    assert done.returncode != 0
    errors = [line for line in done.stderr.splitlines() if "server.port" in line]
    assert len(errors) == 1 and "'$ccr_port' is not an environment reference" in errors[0], done.stderr
    spec.write_text("server:\n  port: 70000\n", encoding="utf-8")
    done = cli("build", spec, "--out", tmp_path / "out", env={"HOME": str(tmp_path)})
    errors = [line for line in done.stderr.splitlines() if "server.port" in line]
    assert len(errors) == 1 and "65535" in errors[0], done.stderr


# A config with most of what CCR 2.0.0 reads, and keys it keeps without reading.
RICH = {
    "LOG": False,
    "HOST": "127.0.0.1",
    "PORT": "${CCR_PORT}",
    "APIKEY": "${CCR_KEY}",
    "API_TIMEOUT_MS": "600000",
    "StatusLine": {"enabled": True, "currentStyle": "default",
                   "default": {"modules": [{"type": "model", "icon": "M", "text": "{{model}}", "color": "bright_yellow"}]}},
    "forceUseImageAgent": False,
    "CLAUDE_PATH": "/usr/bin/claude",
    "Providers": [
        {"name": "zeta", "api_base_url": "https://zeta.example.test/v1/chat/completions", "api_key": "${ZETA_KEY}",
         "models": ["m-b", "m-a", "models"],
         "transformer": {"use": [["maxtoken", {"max_tokens": 8192}], "enhancetool"],
                         "m-a": {"use": ["reasoning", ["sampling", {"temperature": 0.2}]]},
                         "models": {"use": ["tooluse"]}},
         "tokenizer": {"default": {"type": "tiktoken", "encoding": "cl100k_base"}}},
        {"name": "alpha", "_comment": "second", "api_base_url": "https://alpha.example.test/v1/chat/completions",
         "api_key": "$ALPHA_KEY", "models": ["a1"], "transformer": {"use": ["openrouter"]}},
    ],
    "Router": {"default": "zeta,m-a", "background": "zeta,m-b", "think": "alpha,a1", "image": "",
               "longContextThreshold": 100000, "custom": "x"},
    "fallback": {"default": ["alpha,a1", "zeta,m-b"], "think": ["zeta,m-a"]},
}


def test_import_then_build_gives_back_the_config(cli, tmp_path):
    """The user's loop, on the command line: every key and value back, references unresolved."""
    config = _write(tmp_path, RICH)
    env = {"HOME": str(tmp_path), "CCR_PORT": "3999", "CCR_KEY": "k", "ZETA_KEY": "z", "ALPHA_KEY": "a"}
    done = cli("import", config, "-o", tmp_path / "spec.yaml", env=env)
    assert done.returncode == 0, done.stderr
    done = cli("build", tmp_path / "spec.yaml", "--out", tmp_path / "out", "--ignore", "CCR", env=env)
    assert done.returncode == 0, done.stderr
    built = json.loads((tmp_path / "out" / "config.json").read_text())
    assert built == RICH
    assert [p["name"] for p in built["Providers"]] == ["zeta", "alpha"]
    assert list(built["Providers"][0]["transformer"]) == ["use", "m-a", "models"]


def _routes(cli, ccr_cmd, config: Path, home: Path) -> dict:
    done = cli("smoke", "--config", config, "--mock-upstream", "--via", "ccr", "--ccr", ccr_cmd[-1],
               "--format", "json", env={"HOME": str(home), "HICAP_API_KEY": "hk-12345678"}, timeout=300)
    result = json.loads(done.stdout)
    return {r["route"]: (r["arrived"], r["status"], [(a.get("provider"), a.get("model")) for a in r.get("attempts") or []])
            for r in result["routes"]}


@pytest.mark.node
def test_the_built_config_routes_like_the_original_in_real_ccr(cli, ccr_cmd, tmp_path):
    """Real CCR 2.0.0, mock upstream: every route of the original and of import + build reaches
    the same provider and model with the same answer (the header transformer listed first
    included: it stays a path, so both send the key the same way)."""
    hicap_js = tmp_path / "hicap-transformer.js"
    hicap_js.write_text(
        'module.exports = class H { static name = "hicap"; name = "hicap";\n'
        '  async transformRequestIn(r, p) { return {body: r, config: {headers: '
        '{"api-key": p.apiKey, Authorization: undefined, authorization: undefined}}}; } };\n')
    other = tmp_path / "other.js"
    other.write_text('module.exports = class O { constructor(o) { this.name = "other"; }\n'
                     '  async transformRequestIn(r) { return r; } };\n')
    config = {"transformers": [{"path": str(hicap_js)}, {"path": str(other), "options": {"a": 1}, "name": "other"}],
              "Providers": [dict(HICAP, transformer={"use": ["hicap"], "gpt-5.2": {"use": ["other"]}}),
                            {"name": "deepseek", "api_base_url": "https://api.deepseek.com/chat/completions",
                             "api_key": "sk-test", "models": ["deepseek-chat"],
                             "transformer": {"use": ["deepseek"]}}],
              "Router": {"default": "hicap,gpt-5.2", "think": "deepseek,deepseek-chat",
                         "background": "hicap,claude-sonnet-4.5", "image": ""},
              "fallback": {"default": ["deepseek,deepseek-chat"]}}
    original = _write(tmp_path, config)
    env = {"HOME": str(tmp_path)}
    assert cli("import", original, "-o", tmp_path / "spec.yaml", env=env).returncode == 0
    done = cli("build", tmp_path / "spec.yaml", "--out", tmp_path / "out", "--ignore", "CCR", env=env)
    assert done.returncode == 0, done.stderr
    before = _routes(cli, ccr_cmd, original, tmp_path / "h1")
    after = _routes(cli, ccr_cmd, tmp_path / "out" / "config.json", tmp_path / "h2")
    assert before == after
    assert before["default"][:2] == ("gpt-5.2", 200) and before["think"][:2] == ("deepseek-chat", 200)


def test_a_per_model_chain_for_a_model_ending_in_plus_survives(tmp_path):
    """In a spec `m+:` means "append to m": a per-model chain keyed `command-r+` was refused as
    "would not build back ... please report this". It is passed through whole now."""
    config = {"Providers": [{"name": "p", "api_base_url": "https://p.example.test/v1/chat/completions",
                             "api_key": "$P_KEY", "models": ["command-r", "command-r+"],
                             "transformer": {"use": ["enhancetool"], "command-r+": {"use": ["reasoning"]}}}],
              "Router": {"default": "p,command-r+"}}
    for use_presets in (True, False):
        original, built, _, _ = _round_trip(_write(tmp_path, config), use_presets=use_presets)
        assert built["Providers"][0]["transformer"] == config["Providers"][0]["transformer"]


def test_a_provider_name_ending_in_plus_is_refused_with_its_line(cli, tmp_path):
    config = {"Providers": [{"name": "p+", "api_base_url": "https://p.example.test/v1/chat/completions",
                             "api_key": "$P_KEY", "models": ["m"]}], "Router": {"default": "p+,m"}}
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config, indent=2))
    done = cli("import", path, env={"HOME": str(tmp_path)})
    assert done.returncode == 1
    first = done.stderr.splitlines()[0]
    assert first.startswith(f"error: {path}:4:") and "ending in '+'" in first, done.stderr
    assert "please report" not in done.stderr and "Traceback" not in done.stderr
