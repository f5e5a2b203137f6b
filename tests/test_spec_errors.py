"""Every mistake in a spec is reported as `file:line:col: key.path: message` (plus a hint
where one helps), with a documented exit code, and never as a traceback. These run the real
command line, as a user would."""

from __future__ import annotations

from textwrap import dedent

import pytest

HICAP = "extends: hicap\n"

# (id, spec text, exit code, "line:col: key.path: message" expected in stderr, hint or None)
CASES = [
    ("unknown-top-level-key", HICAP + "provider:\n  x: 1\n",
     1, "2:1: provider: unknown key 'provider'", "did you mean 'providers'?"),
    ("unknown-provider-key", HICAP + "providers:\n  hicap:\n    base_urll: http://x\n",
     1, "4:5: providers.hicap.base_urll: unknown key 'base_urll'", "did you mean 'base_url'?"),
    ("unknown-model-metadata-key", HICAP + "providers:\n  hicap:\n    models:\n      gpt-5.2: {contxt_window: 5}\n",
     1, "5:17: providers.hicap.models.gpt-5.2.contxt_window: unknown key 'contxt_window'",
     "did you mean 'context_window'?"),
    ("unknown-auth-key", HICAP + "providers:\n  hicap:\n    auth: {headr: x}\n",
     1, "4:12: providers.hicap.auth.headr: unknown key 'headr'", "did you mean 'header'?"),
    ("auth-not-bearer-or-header", HICAP + "providers:\n  hicap:\n    auth: basic\n",
     1, "4:11: providers.hicap.auth: auth must be 'bearer' or a map such as {header: api-key} (got 'basic')", None),
    ("unknown-key-without-close-match", HICAP + "server:\n  zzzzzz: 1\n",
     1, "3:3: server.zzzzzz: unknown key 'zzzzzz'", "known keys here:"),
    ("wrong-type", HICAP + "server:\n  port: abc\n",
     1, "3:9: server.port: Input should be a valid integer", None),
    ("out-of-range", HICAP + "server:\n  port: 70000\n",
     1, "3:9: server.port: Input should be less than or equal to 65535", None),
    ("bad-log-level", HICAP + "server:\n  log_level: verbose\n",
     1, "3:14: server.log_level: Input should be 'fatal', 'error', 'warn', 'info', 'debug', 'trace' or 'silent' (got 'verbose')",
     None),
    ("missing-required-key", "providers:\n  acme:\n    base_url: http://a/v1/chat/completions\n    models: [m]\n",
     1, "3:5: providers.acme.api_key: 'api_key' is required", None),
    ("comma-in-model-name", "providers:\n  acme:\n    base_url: http://a\n    api_key: $K\n    models: [m, \"a,b\"]\n",
     1, "5:13: providers.acme.models: model name 'a,b' contains a comma", None),
    ("comma-in-provider-name", "providers:\n  \"a,b\":\n    base_url: http://a\n    api_key: $K\n    models: [m]\n",
     1, "2:3: providers: provider name 'a,b' must be non-empty and contain no comma", None),
    ("extra-shadows-a-modelled-key", HICAP + "extra:\n  Router: {}\n",
     1, "3:3: extra: Router has a place of its own in the spec", None),
    ("custom-transformer-without-path", "transformers:\n  - options: {a: 1}\n",
     1, "2:5: transformers[0].path: 'path' is required", None),
    ("bad-use-entry", HICAP + "providers:\n  hicap:\n    transformer:\n      use: [[1, {}]]\n",
     1, "5:14: providers.hicap.transformer.use[0][0]: Input should be a valid string", None),
    ("negative-threshold", HICAP + "routes:\n  long_context_threshold: -5\n",
     1, "3:27: routes.long_context_threshold: Input should be greater than 0", None),
    ("fallback-not-a-list", "fallback:\n  default: hicap,gpt-5.2\n" + HICAP,
     1, "2:12: fallback.default: Input should be a valid list", None),
    ("extends-not-a-name", "extends: 5\n",
     1, "1:10: extends: extends must be a preset name, a path, or a list of them", None),
    ("route-unknown-model", HICAP + "routes:\n  think: hicap,claude-opus-45\n",
     1, "3:10: routes.think (Router.think): unknown model 'hicap,claude-opus-45'", "did you mean 'claude-opus-4.5'?"),
    ("route-unknown-provider", HICAP + "routes:\n  default: hicapp,gpt-5.2\n",
     1, "3:12: routes.default (Router.default): unknown provider 'hicapp'", "did you mean 'hicap'?"),
    ("route-without-comma", HICAP + "routes:\n  background: hicap\n",
     1, "3:15: routes.background (Router.background): 'hicap' is not 'provider,model'", None),
    ("malformed-yaml", HICAP + "routes:\n  default: \"hicap,gpt-5.2\n",
     2, "4:1: malformed YAML", None),
    ("duplicate-key", HICAP + "routes:\n  default: hicap,gpt-5.2\n  default: hicap,gpt-5.1\n",
     1, "4:3: routes.default: duplicate key 'default'", "already set at line 3"),
    ("unknown-preset", "extends: openroutr\n",
     2, "1:10: extends: no preset named 'openroutr'", "did you mean 'openrouter'?"),
    # YAML reads [maxtoken, {max_tokens: 8192}] as two entries; CCR would drop the options
    ("use-options-unpaired", HICAP + "providers:\n  hicap:\n    transformer:\n      use: [hicap, maxtoken, {max_tokens: 8192}]\n",
     1, "5:12: providers.hicap.transformer.use: use[2] is an options object on its own ({max_tokens: 8192}): CCR drops "
        "it and runs maxtoken without it; pair it with its transformer: use: [hicap, [maxtoken, {max_tokens: 8192}]]",
     None),
    ("binary-value", HICAP + "extra:\n  blob: !!binary aGk=\n",
     1, "3:9: extra.blob: a binary value cannot go into config.json", None),
]


@pytest.mark.parametrize("text, exit_code, expected, hint", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_spec_error_is_located_and_explained(tmp_path, cli, text, exit_code, expected, hint):
    spec = tmp_path / "ccrgen.yaml"
    spec.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    result = cli("build", spec, "--out", out)
    assert result.returncode == exit_code, result.stderr
    assert f"{spec}:{expected}" in result.stderr
    if hint:
        hint_lines = [line.strip() for line in result.stderr.splitlines() if line.strip().startswith("hint:")]
        assert any(hint in line for line in hint_lines), result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    assert result.stdout == ""
    assert not out.exists(), "a refused build must write nothing"


def test_several_problems_are_all_reported_in_file_order(tmp_path, cli):
    spec = tmp_path / "ccrgen.yaml"
    spec.write_text(dedent("""\
        extends: hicap
        server:
          port: abc
          hots: 127.0.0.1
        routes:
          default: 5
        """), encoding="utf-8")
    result = cli("build", spec, "--out", tmp_path / "out")
    assert result.returncode == 1
    lines = [line.strip() for line in result.stderr.splitlines()]
    located = [line for line in lines if line.startswith(str(spec) + ":")]
    assert [line.split(":")[1] for line in located] == ["3", "4", "6"]
    assert "did you mean 'host'?" in result.stderr
    assert "3 problems" in lines[0]


def test_no_spec_file_says_what_to_do(tmp_path, cli):
    result = cli("build", cwd=tmp_path)
    assert result.returncode == 2
    assert "no ccrgen.yaml in" in result.stderr
    assert "ccrgen init --preset hicap" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_missing_spec_file_is_exit_2(tmp_path, cli):
    result = cli("build", tmp_path / "nope.yaml", "--out", tmp_path / "out")
    assert result.returncode == 2
    assert f"no such file: {tmp_path / 'nope.yaml'}" in result.stderr


def test_the_default_spec_is_used_and_its_errors_name_it(tmp_path, cli):
    (tmp_path / "ccrgen.yaml").write_text(HICAP + "routes:\n  thinkk: hicap,gpt-5.2\n", encoding="utf-8")
    result = cli("build", "--out", "out", cwd=tmp_path)
    assert result.returncode == 1
    assert "ccrgen.yaml:3:3: routes.thinkk: unknown key 'thinkk'" in result.stderr
    assert "did you mean 'think'?" in result.stderr


def test_spec_and_preset_together_is_a_usage_error(tmp_path, cli):
    spec = tmp_path / "s.yaml"
    spec.write_text(HICAP, encoding="utf-8")
    result = cli("build", spec, "--preset", "hicap", "--out", tmp_path / "out")
    assert result.returncode == 2
    assert "not both" in result.stderr


def test_an_output_folder_that_cannot_be_created_is_exit_3(tmp_path, cli):
    (tmp_path / "file").write_text("x", encoding="utf-8")
    result = cli("build", "--preset", "hicap", "--out", tmp_path / "file" / "sub")
    assert result.returncode == 3
    assert "cannot create" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_refused_build_says_nothing_was_written(tmp_path, cli):
    spec = tmp_path / "ccrgen.yaml"
    spec.write_text(HICAP + "routes:\n  think: hicap,claude-opus-45\n", encoding="utf-8")
    out = tmp_path / "out"
    result = cli("build", spec, "--out", out)
    assert result.returncode == 1
    assert result.stderr.count("error:") == 1 and "nothing was written" in result.stderr
    assert not out.exists()


def test_one_auth_mistake_is_one_error(tmp_path, cli):
    spec = tmp_path / "ccrgen.yaml"
    spec.write_text(HICAP + "providers:\n  hicap:\n    auth: basic\n", encoding="utf-8")
    result = cli("build", spec, "--out", tmp_path / "out")
    assert result.stderr.count("providers.hicap.auth") == 1, result.stderr
