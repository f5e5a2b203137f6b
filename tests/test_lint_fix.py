"""`ccrgen lint --fix`: the certain fixes, applied as text edits that keep everything else
byte for byte, in config.json (JSON5) and in YAML specs; `--diff`, `--unsafe-fixes`, backups.

The acceptance test at the end runs the real CCR 2.0.0 on the setup guide's config after
`lint --fix`: the upstream then receives Hicap's `api-key` header and no Authorization.
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path

import pytest

from ccrgen.ccr.runner import CcrServer
from ccrgen.lint.fix import Edit, apply_edits, fix_text
from conftest import free_port
from test_e2e_ccr import GUIDE, KEY, guide_transformer, message, only_request, post_messages

ENV = {"HICAP_API_KEY": "set", "ACME_KEY": "set"}


def changed_lines(before: str, after: str) -> list[str]:
    """The lines a fix removed (-) and added (+), nothing else."""
    return [line[0] + line[2:] for line in difflib.ndiff(before.splitlines(), after.splitlines())
            if line[:1] in "+-"]


def fixed(tmp_path: Path, name: str, text: str, **kw):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8", newline="")
    return fix_text(path, text, env=ENV, **kw)


CONFIG = """\
// my CCR config: comments, odd spacing and key order must survive
{
  PORT:   3456,  /* a block comment */
  'transformers': [ {'path': '~/.claude-code-router/acme.js'}, ],
  "Providers": [
    {
      "name": "acme",
      "api_base_url": "https://api.acme.test/v1",   // OpenAI-compatible, /chat/completions missing
      "api_key": "$ACME_KEY",
      "models": ["m1", "m2"],
    },
  ],
  "router": {                        // CCR reads only `Router`
    "default": "Acme,m1",
    "think": "acme , m2",
    "longcontext": "acme,m2",
  },
}
"""


def test_config_fixes_edit_only_the_values_and_keep_everything_else(tmp_path, monkeypatch):
    home = tmp_path / "home"
    (home / ".claude-code-router").mkdir(parents=True)
    (home / ".claude-code-router" / "acme.js").write_text('module.exports = class A { name = "acme"; }')
    monkeypatch.setenv("HOME", str(home))
    result = fixed(tmp_path, "config.json", CONFIG)

    assert changed_lines(CONFIG, result.text) == [
        "-  'transformers': [ {'path': '~/.claude-code-router/acme.js'}, ],",
        f"+  'transformers': [ {{'path': '{home}/.claude-code-router/acme.js'}}, ],",
        '-      "api_base_url": "https://api.acme.test/v1",   // OpenAI-compatible, /chat/completions missing',
        '+      "api_base_url": "https://api.acme.test/v1/chat/completions",   '
        '// OpenAI-compatible, /chat/completions missing',
        '-  "router": {                        // CCR reads only `Router`',
        '+  "Router": {                        // CCR reads only `Router`',
        '-    "default": "Acme,m1",',
        '+    "default": "acme,m1",',
        '-    "think": "acme , m2",',
        '+    "think": "acme,m2",',
        '-    "longcontext": "acme,m2",',
        '+    "longContext": "acme,m2",',
    ]
    assert [f for f in result.findings if f.severity == "error"] == []
    assert {f.code for f in result.applied} == {"CCR051", "CCR044", "CCR011", "CCR002", "CCR010", "CCR013"}


def test_crlf_line_endings_and_a_byte_order_mark_are_kept(tmp_path):
    text = '\ufeff{\r\n  "Providers": [{"name": "acme", "api_base_url": "https://api.acme.test/v1", ' \
           '"api_key": "$ACME_KEY", "models": ["m1"]}],\r\n  "Router": {"default": "Acme,m1"}\r\n}\r\n'
    result = fixed(tmp_path, "config.json", text)
    assert result.text == text.replace("Acme,m1", "acme,m1").replace("test/v1", "test/v1/chat/completions")


def test_a_provider_transformers_key_becomes_transformer_with_a_use_list(tmp_path):
    text = """{
  "Providers": [
    {"name": "acme", "api_base_url": "https://api.acme.test/v1/chat/completions", "api_key": "$ACME_KEY",
     "models": ["m1"],
     "transformers": ["maxtoken", "enhancetool"]},
    {"name": "beta", "api_base_url": "https://api.beta.test/v1/chat/completions", "api_key": "$ACME_KEY",
     "model": "b1", "transformers": {"use": ["enhancetool"]}}
  ],
  "Router": {"default": "acme,m1", "background": "beta,b1"}
}
"""
    result = fixed(tmp_path, "config.json", text)
    config = json.loads(result.text)
    assert config["Providers"][0]["transformer"] == {"use": ["maxtoken", "enhancetool"]}
    assert config["Providers"][1]["transformer"] == {"use": ["enhancetool"]}
    assert config["Providers"][1]["models"] == ["b1"]
    assert '"transformer": {"use": ["maxtoken", "enhancetool"]}}' in result.text
    assert not [f for f in result.findings if f.code in ("CCR005", "CCR004")]


def test_a_guess_is_applied_only_with_unsafe_fixes(tmp_path):
    text = """{
  "Providers": [{"name": "acme", "api_base_url": "https://llm.acme.test", "api_key": "$ACME_KEY",
                 "models": ["m1"]}],
  "Router": {"default": "acme,m1"}
}
"""
    safe = fixed(tmp_path, "config.json", text)
    assert safe.text == text
    leftover = next(f for f in safe.findings if f.code == "CCR044")
    assert leftover.fix is not None and leftover.fix.safe is False
    unsafe = fixed(tmp_path, "config.json", text, unsafe=True)
    assert '"https://llm.acme.test/v1/chat/completions"' in unsafe.text
    assert not [f for f in unsafe.findings if f.severity == "error"]


def test_a_known_providers_documented_endpoint_is_certain(tmp_path):
    text = """{
  "Providers": [{"name": "deepseek", "api_base_url": "https://api.deepseek.com", "api_key": "$ACME_KEY",
                 "models": ["deepseek-chat"], "transformer": {"use": ["deepseek"]}}],
  "Router": {"default": "deepseek,deepseek-chat"}
}
"""
    result = fixed(tmp_path, "config.json", text)
    assert '"https://api.deepseek.com/chat/completions"' in result.text


def test_what_cannot_be_fixed_is_left_and_reported(tmp_path):
    text = '{"Providers": [{"name": "acme", "api_base_url": "https://api.acme.test/v1/chat/completions",' \
           ' "api_key": "$ACME_KEY", "models": ["m1"]}], "Router": {"default": "acme,nope"}}'
    result = fixed(tmp_path, "config.json", text)
    assert result.text == text and not result.applied
    assert [f.code for f in result.findings if f.severity == "error"] == ["CCR001"]


SPEC = """\
# my spec: every comment stays
extends: hicap          # the preset
routes:
  think: Hicap,claude-opus-4.5    # a comment after the value
  background: 'hicap , claude-haiku-4.5'
providers:
  hicap:
    base_url: https://api.hicap.ai/v1
    transformers: {use: [hicap]}
"""


def test_spec_fixes_keep_comments_and_quoting(tmp_path):
    result = fixed(tmp_path, "ccrgen.yaml", SPEC)
    assert changed_lines(SPEC, result.text) == [
        "-  think: Hicap,claude-opus-4.5    # a comment after the value",
        "+  think: hicap,claude-opus-4.5    # a comment after the value",
        "-  background: 'hicap , claude-haiku-4.5'",
        "+  background: 'hicap,claude-haiku-4.5'",
        "-    base_url: https://api.hicap.ai/v1",
        "+    base_url: https://api.hicap.ai/v1/chat/completions",
        "-    transformers: {use: [hicap]}",
        "+    transformer: {use: [hicap]}",
    ]
    assert [f for f in result.findings if f.severity == "error"] == []


def test_a_value_from_the_file_a_spec_extends_is_not_edited(tmp_path):
    base = tmp_path / "base.yaml"
    base_text = ("providers:\n  acme:\n    base_url: https://api.acme.test/v1\n    api_key: $ACME_KEY\n"
                 "    models: [m1]\nroutes:\n  default: acme,m1\n")
    base.write_text(base_text)
    spec = "extends: ./base.yaml\nroutes:\n  think: acme , m1\n"
    result = fixed(tmp_path, "ccrgen.yaml", spec)
    assert result.text == "extends: ./base.yaml\nroutes:\n  think: acme,m1\n"
    assert base.read_text() == base_text
    assert any(f.code == "CCR044" and f.file.endswith("base.yaml") for f in result.findings)


def test_edits_are_applied_from_the_end_and_insertions_keep_their_order():
    assert apply_edits("abcdef", [Edit(0, 1, "X"), Edit(3, 3, "["), Edit(5, 6, "YY"), Edit(3, 3, "]")]) \
        == "Xbc[]deYY"


# --- The command line -------------------------------------------------------------------


def test_fix_writes_atomically_with_a_backup_and_diff_writes_nothing(cli, tmp_path):
    config = tmp_path / "config.json"
    config.write_text(CONFIG.replace("~/.claude-code-router/acme.js", "/nonexistent/acme.js"))
    config.chmod(0o600)

    diff = cli("lint", config, "--diff", env=ENV)
    assert diff.returncode == 1, diff.stderr
    assert '+    "default": "acme,m1",' in diff.stdout and diff.stdout.startswith("--- a/")
    assert config.read_text() == CONFIG.replace("~/.claude-code-router/acme.js", "/nonexistent/acme.js")
    assert list(tmp_path.iterdir()) == [config]

    done = cli("lint", config, "--fix", env=ENV)
    assert "fixed 5 problems" in done.stderr and "backup: config.json." in done.stderr
    # what is left is reported: the transformer file does not exist
    assert done.returncode == 1 and "CCR053" in done.stdout and "CCR002" not in done.stdout
    backups = list(tmp_path.glob("config.json.*.bak"))
    assert len(backups) == 1
    assert backups[0].read_text() == CONFIG.replace("~/.claude-code-router/acme.js", "/nonexistent/acme.js")
    assert (config.stat().st_mode & 0o777) == 0o600
    assert '"default": "acme,m1"' in config.read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["config.json", backups[0].name])

    again = cli("lint", config, "--fix", env=ENV)
    assert "fixed" not in again.stderr and len(list(tmp_path.glob("*.bak"))) == 1


def test_fix_from_stdin_prints_the_fixed_text(cli):
    text = SPEC
    result = cli("lint", "-", "--fix", env=ENV, input=text)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("# my spec: every comment stays\n")
    assert "  think: hicap,claude-opus-4.5    # a comment after the value\n" in result.stdout


def test_an_unreadable_file_is_not_touched(cli, tmp_path):
    config = tmp_path / "config.json"
    config.write_text('{"Router": {"default": "Acme,m1"},,}')
    result = cli("lint", config, "--fix")
    assert result.returncode == 2 and "config.json:1:" in result.stderr
    assert list(tmp_path.iterdir()) == [config]


# --- Acceptance: the guide's config, fixed, in the real CCR 2.0.0 ----------------------------


def guide_config_text() -> str:
    """The setup guide's config.json block, character for character."""
    text = GUIDE.read_text(encoding="utf-8")
    start = text.index("```json\n", text.index("## Configuration")) + len("```json\n")
    return text[start:text.index("```", start)]


@pytest.mark.node
@pytest.mark.slow
def test_the_guides_config_after_lint_fix_sends_hicaps_api_key_through_real_ccr(cli, ccr_cmd, tmp_home,
                                                                               mock_upstream):
    verbatim = guide_config_text()
    assert '"path": "~/.claude-code-router/hicap-transformer.js"' in verbatim
    port = free_port()
    # verbatim, a comment added, and only what must reach the mock and a free port changed
    text = (verbatim.replace('"https://api.hicap.ai/v1/chat/completions"', json.dumps(mock_upstream.chat_url))
            .replace('"PORT": 3456,', f'"PORT": {port},')
            .replace('  "LOG": true,', '  // my Hicap setup, from the guide\n  "LOG": true,'))
    ccr_dir = tmp_home / ".claude-code-router"
    ccr_dir.mkdir()
    config = ccr_dir / "config.json"
    config.write_text(text, encoding="utf-8")
    (ccr_dir / "hicap-transformer.js").write_text(guide_transformer(), encoding="utf-8")
    env = {"HOME": str(tmp_home), "HICAP_API_KEY": KEY}

    before = cli("lint", config, env=env)
    assert before.returncode == 1 and "CCR051" in before.stdout and "CCR050" in before.stdout

    result = cli("lint", config, "--fix", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert ": error:" not in result.stdout and ": warning:" not in result.stdout, result.stdout
    assert "fixed 1 problem in" in result.stderr
    after = config.read_text(encoding="utf-8")
    assert "  // my Hicap setup, from the guide\n" in after
    assert changed_lines(text, after) == [
        '-    { "path": "~/.claude-code-router/hicap-transformer.js" }',
        f'+    {{ "path": "{ccr_dir}/hicap-transformer.js" }}',
    ]

    with CcrServer(tmp_home, ccr_cmd, env={"HICAP_API_KEY": KEY}, port=port) as server:
        server.wait_for_log(r"register transformer: hicap ")
        status, answer = post_messages(server, message())
    assert status == 200, answer
    seen = only_request(mock_upstream)
    assert seen.headers.get("api-key") == KEY
    assert "authorization" not in seen.headers, seen.headers.get("authorization")


def test_diff_masks_literal_secrets_on_the_lines_it_shows(cli, tmp_path):
    config = tmp_path / "config.json"
    secret = "sk-live-0123456789abcdefXYZ"
    config.write_text(json.dumps({
        "APIKEY": "router-key-9f8e7d6c5b4a",
        "Providers": [{"name": "acme", "api_base_url": "https://api.acme.test/v1", "api_key": secret,
                       "models": ["m1"]}],
        "Router": {"default": "Acme,m1"},
    }, indent=2))
    result = cli("lint", config, "--diff", "--ignore", "CCR061")
    assert result.returncode == 1
    assert '+      "api_base_url": "https://api.acme.test/v1/chat/completions",' in result.stdout
    assert '"api_key": "********"' in result.stdout
    assert secret not in result.stdout + result.stderr
    assert "router-key-9f8e7d6c5b4a" not in result.stdout + result.stderr


def test_json_format_carries_each_fix(cli):
    guide = Path(__file__).parent / "lint_corpus" / "broken" / "guide-verbatim-tilde-path.json"
    findings = json.loads(cli("lint", guide, "--format", "json").stdout)
    tilde = next(f for f in findings if f["code"] == "CCR051")
    assert tilde["fix"]["safe"] is True and tilde["fix"]["title"].startswith("expand '~'")
    (edit,) = tilde["fix"]["edits"]
    text = guide.read_text()
    assert text[edit["start"]:edit["end"]] == '"~/.claude-code-router/hicap-transformer.js"'
    assert "fix" not in next(f for f in findings if f["code"] == "CCR050")


def test_references_in_other_tools_syntax_become_ccrs(tmp_path):
    text = """{
  "APIKEY": "ROUTER_API_KEY",
  "Providers": [
    {"name": "a", "api_base_url": "https://api.a.test/v1/chat/completions", "api_key": "${env:A_KEY}", "models": ["m"]},
    {"name": "b", "api_base_url": "https://api.b.test/v1/chat/completions", "api_key": "%B_KEY%", "models": ["m"]},
    {"name": "c", "api_base_url": "https://api.c.test/v1/chat/completions", "api_key": "${C_KEY:-none}", "models": ["m"]}
  ],
  "Router": {"default": "a,m", "think": "b,m", "background": "c,m"}
}
"""
    env = {"A_KEY": "1", "B_KEY": "1", "C_KEY": "1", "ROUTER_API_KEY": "1"}
    path = tmp_path / "config.json"
    safe = fix_text(path, text, env=env)
    config = json.loads(safe.text)
    assert config["APIKEY"] == "$ROUTER_API_KEY"
    assert [p["api_key"] for p in config["Providers"]] == ["${A_KEY}", "${B_KEY}", "${C_KEY:-none}"]
    unsafe = fix_text(path, text, env=env, unsafe=True)
    assert json.loads(unsafe.text)["Providers"][2]["api_key"] == "${C_KEY}"  # its default dropped
    assert not [f for f in unsafe.findings if f.severity == "error"]


# --- Spans: every mark's value or key is found exactly where it is ------------------------

from hypothesis import given, settings, strategies as st  # noqa: E402

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=60, deadline=None)
@given(JSON_VALUES, st.sampled_from([None, 0, 2, "\t"]), st.booleans())
def test_every_value_and_key_span_reads_back_as_itself(value, indent, comments):
    from ccrgen.lint.source import Json5Source

    text = json.dumps({"root": value}, indent=indent, ensure_ascii=False)
    if comments:  # a comment before every line break, and a trailing comma kept out of the way
        text = text.replace("\n", " // a } ] comment\n")
    source = Json5Source(text)
    for path, mark in source._value_marks.items():
        start, end = source.value_span(path)
        assert json.loads(text[start:end].replace(" // a } ] comment", "")) == source.value(path)
    for path in source._key_marks:
        start, end = source.key_span(path)
        assert json.loads(text[start:end]) == path[-1]


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.text(min_size=1, max_size=6), st.text(max_size=10) | st.lists(st.text(max_size=6), max_size=3),
                       min_size=1, max_size=5),
       st.sampled_from([None, True, False]))
def test_every_yaml_string_span_reads_back_as_itself(value, flow):
    import yaml

    from ccrgen.lint.source import YamlSource

    text = yaml.safe_dump({"root": value}, default_flow_style=flow, allow_unicode=True)
    source = YamlSource(text)
    for key, item in value.items():
        paths = [("root", key)] if isinstance(item, str) else [("root", key, i) for i in range(len(item))]
        for path in paths:
            span = source.value_span(path)
            if span is None:
                continue  # a block scalar: never edited
            assert yaml.safe_load(text[span[0]:span[1]] or "''") == source.value(path)
        span = source.key_span(("root", key))
        if span is None:  # no edit is always safe; an ordinary key must be found
            assert not key.isidentifier()
            continue
        assert str(yaml.safe_load(text[span[0]:span[1]] or "''")) == key


def test_an_instance_transformer_in_list_form_becomes_its_name(tmp_path):
    text = ('{"Providers": [{"name": "acme", "api_base_url": "https://api.acme.test/v1/chat/completions",\n'
            ' "api_key": "$ACME_KEY", "models": ["m1"],\n'
            ' "transformer": {"use": [ ["tooluse"] , ["enhancetool", {}]], "m1": {"use": [["Anthropic", {"UseBearer": true}]]}}}],\n'
            ' "Router": {"default": "acme,m1"}}\n')
    safe = fixed(tmp_path, "config.json", text)
    assert '"use": [ "tooluse" , "enhancetool"]' in safe.text
    assert '[["Anthropic", {"UseBearer": true}]]' in safe.text  # dropping options: unsafe only
    unsafe = fixed(tmp_path, "config.json", text, unsafe=True)
    assert '"m1": {"use": ["Anthropic"]}' in unsafe.text
    assert not [f for f in unsafe.findings if f.code == "CCR059"]


def test_an_instance_transformer_in_a_spec_is_fixed_in_flow_style_only(tmp_path):
    text = ("providers:\n  ds:\n    base_url: https://api.deepseek.com/chat/completions\n"
            "    api_key: $ACME_KEY\n    models: [deepseek-chat]\n    transformer:\n      use:\n"
            "        - deepseek\n        - - tooluse\n          - {}\n        - [enhancetool, {}]\n"
            "routes:\n  default: ds,deepseek-chat  # a comment\n")
    result = fixed(tmp_path, "ccrgen.yaml", text)
    assert changed_lines(text, result.text) == ["-        - [enhancetool, {}]", "+        - enhancetool"]
    assert [f.code for f in result.findings if f.severity == "error"] == ["CCR059"]  # block style: by hand
