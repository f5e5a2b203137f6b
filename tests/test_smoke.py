"""`ccrgen smoke` as a user runs it: through ccrgen's proxy and through the real CCR 2.0.0,
offline with the mock, which answers as each provider would (Hicap 401 without `api-key`).
A route is ok only when the real provider would have accepted what left for it."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from conftest import free_port

ROUTES = {"default": "hicap,claude-sonnet-4.5", "background": "hicap,claude-haiku-4.5",
          "think": "hicap,claude-opus-4.5", "longContext": "hicap,gpt-5.2",
          "webSearch": "hicap,gemini-3-pro-preview", "image": "hicap,gemini-3-flash-preview"}
SPEC = """extends: hicap
routes:
  default: hicap,claude-sonnet-4.5
  background: hicap,claude-haiku-4.5
  think: hicap,claude-opus-4.5
  long_context: hicap,gpt-5.2
  long_context_threshold: 2000
  web_search: hicap,gemini-3-pro-preview
  image: hicap,gemini-3-flash-preview
"""
KEY = "hk-smoke-test-123456"
ENV = {"HICAP_API_KEY": KEY}
GUIDE = Path(__file__).parent / "data" / "hicap-setup-guide.md"   # a copy of shared/seed/hicap-setup-guide.md
VIAS = ["ccrgen", pytest.param("ccr", marks=pytest.mark.node)]


@pytest.fixture
def spec(tmp_path):
    path = tmp_path / "ccrgen.yaml"
    path.write_text(SPEC)
    return path


@pytest.fixture
def via_args(request):
    """The --via arguments for a test parametrized over VIAS (the real CCR for "ccr")."""
    if request.param == "ccr":
        ccr_cmd = request.getfixturevalue("ccr_cmd")
        return ["--via", "ccr", "--ccr", ccr_cmd[-1]]
    return ["--via", "ccrgen"]


def write_json(path: Path, value) -> Path:
    path.write_text(json.dumps(value, indent=2))
    return path


def routes_of(done) -> dict:
    return {r["route"]: r for r in json.loads(done.stdout)["routes"]}


def guide_config() -> dict:
    text = GUIDE.read_text(encoding="utf-8")
    return json.loads(re.search(r"```json\n(.*?)```", text[text.index("## Configuration"):], re.S).group(1))


def test_smoke_every_route_reaches_its_model(cli, spec):
    done = cli("smoke", spec, "--mock-upstream", "--json", env=ENV)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    reached = {r["route"]: (r["expected"], r["arrived"], r["status"], r["verdict"]) for r in result["routes"]}
    assert reached == {route: (target, target.split(",")[1], 200, "ok") for route, target in ROUTES.items()}
    for route in result["routes"]:   # what reached the mock: the key in api-key, and no Bearer token
        assert route["attempts"] == [{"provider": "hicap", "model": route["arrived"], "status": 200,
                                      "rejected": None, "headers_sent": route["attempts"][0]["headers_sent"]}]
        assert "api-key" in route["attempts"][0]["headers_sent"]
        assert "authorization" not in route["attempts"][0]["headers_sent"]
    progress = [line for line in done.stderr.splitlines() if line.startswith("ok ")]
    assert len(progress) == len(ROUTES)                     # one line per route, as it completed, on stderr
    assert "hk-smoke-test-123456" not in done.stdout + done.stderr


def test_smoke_all_models_prints_a_table_on_stdout_and_progress_on_stderr(cli, spec):
    done = cli("smoke", spec, "--mock-upstream", "--all-models", env=ENV)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0].split() == ["route", "expected", "reached", "upstream", "status", "latency",
                                                   "result"]
    assert "13 of 13 routes reached their model (via ccrgen, mock upstream)" in done.stdout
    assert "model hicap,gpt-5.1" in done.stdout
    assert not any(line.startswith("ok ") for line in done.stdout.splitlines())   # progress is not repeated
    assert "reached upstream" not in done.stderr                                 # the table is not on stderr


@pytest.mark.node
def test_smoke_via_real_ccr(cli, spec, ccr_cmd):
    done = cli("smoke", spec, "--mock-upstream", "--via", "ccr", "--ccr", ccr_cmd[-1], "--json", env=ENV)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["via"] == "ccr" and result["ok"]
    assert {r["route"]: r["arrived"] for r in result["routes"]} == \
        {route: target.split(",")[1] for route, target in ROUTES.items()}


def test_smoke_fails_when_a_route_misses(cli, tmp_path, mock_upstream):
    config = {"Providers": [{"name": "p", "api_base_url": mock_upstream.chat_url, "api_key": "k-123456",
                             "models": ["a"]}],
              "Router": {"default": "p,a", "think": "ghost,a"}}
    done = cli("smoke", "--config", write_json(tmp_path / "config.json", config))
    assert done.returncode == 1
    assert "sending real requests" in done.stderr.splitlines()[0]      # no mock: it says so first
    assert "FAIL think: ghost,a" in done.stderr and "ok   default: p,a -> a" in done.stderr
    assert "1 of 2 routes reached their model" in done.stdout
    assert "provider 'ghost' not found" in done.stdout


# -- the mistakes a real provider would refuse ---------------------------------------------

@pytest.mark.parametrize("via_args", VIAS, indirect=True)
def test_the_guides_verbatim_config_fails_naming_the_api_key_header(cli, tmp_path, via_args):
    """The setup guide's config as printed: the `~` transformer path never loads, so Hicap
    would get Authorization: Bearer and no api-key header, and answer 401 on every route."""
    config = write_json(tmp_path / "config.json", guide_config())
    done = cli("smoke", "--config", config, "--mock-upstream", *via_args, env=ENV)
    assert done.returncode == 1, done.stdout + done.stderr
    table = done.stdout.split("\n\n")[0].splitlines()[1:]
    assert {row.split()[0]: row.split()[-1] for row in table} == {
        "default": "FAIL", "background": "FAIL", "think": "FAIL", "longContext": "FAIL", "webSearch": "FAIL",
        "image": "skipped"}
    cause = [line for line in done.stdout.splitlines() if line.startswith("FAIL ")]
    absolute = os.path.expanduser("~/.claude-code-router/hicap-transformer.js")
    assert cause == ["FAIL default, background, think, longContext, webSearch: the transformer at "
                     "~/.claude-code-router/hicap-transformer.js was never loaded (starts with '~', which CCR does "
                     f"not expand), so no api-key header was sent; write '{absolute}', or run `ccrgen lint --fix`"]
    assert "skipped image: Router.image is empty" in done.stdout
    assert "0 of 5 routes reached their model" in done.stdout
    assert KEY not in done.stdout + done.stderr


@pytest.mark.parametrize("via_args", VIAS, indirect=True)
def test_a_build_of_the_hicap_preset_passes(cli, tmp_path, via_args):
    built = cli("build", "--preset", "hicap", "--out", tmp_path / "build", env=ENV)
    assert built.returncode == 0, built.stderr
    done = cli("smoke", "--config", tmp_path / "build" / "config.json", "--mock-upstream", "--json", *via_args,
               env=ENV)
    assert done.returncode == 0, done.stdout + done.stderr
    routes = routes_of(done)
    assert {name: r["verdict"] for name, r in routes.items()} == {
        "default": "ok", "background": "ok", "think": "ok", "longContext": "ok", "webSearch": "ok",
        "image": "skipped"}
    assert routes["default"]["warnings"] == []
    assert routes["image"]["note"] == "Router.image is empty: no model to test"


@pytest.mark.parametrize("via_args", VIAS, indirect=True)
@pytest.mark.parametrize("preset, env", [("deepseek", {"DEEPSEEK_API_KEY": "sk-ds-0123456789"}),
                                         ("openrouter", {"OPENROUTER_API_KEY": "sk-or-0123456789"})])
def test_the_deepseek_and_openrouter_presets_pass_with_every_route_verified(cli, preset, env, via_args):
    done = cli("smoke", "--preset", preset, "--mock-upstream", "--json", *via_args, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    verdicts = {r["route"]: r["verdict"] for r in json.loads(done.stdout)["routes"]}
    assert set(verdicts.values()) <= {"ok", "skipped"} and "ok" in verdicts.values()
    assert "not implemented" not in done.stderr


@pytest.mark.parametrize("via_args", VIAS, indirect=True)
def test_an_unset_key_is_sent_as_literal_text_and_fails(cli, via_args, monkeypatch):
    monkeypatch.delenv("DEEPSEEK_API_KEY", raising=False)
    done = cli("smoke", "--preset", "deepseek", "--mock-upstream", *via_args)
    assert done.returncode == 1
    assert ("FAIL default, background, think: $DEEPSEEK_API_KEY is not set, so deepseek got the literal text "
            "`$DEEPSEEK_API_KEY` in its Authorization header; export DEEPSEEK_API_KEY before starting CCR"
            ) in done.stdout


def test_a_transformer_serve_does_not_implement_is_not_verified(cli, tmp_path):
    config = {"Providers": [
        {"name": "g", "api_base_url": "https://example.test/v1/chat/completions", "api_key": "k-0123456789",
         "models": ["m1"], "transformer": {"use": ["vertex-gemini"]}},
        {"name": "h", "api_base_url": "https://example.test/v1/chat/completions", "api_key": "k-0123456789",
         "models": ["m2", "m3"], "transformer": {"m3": {"use": ["vertex-gemini"]}}}],
        "Router": {"default": "g,m1", "think": "h,m3", "background": "h,m2"}}
    done = cli("smoke", "--config", write_json(tmp_path / "config.json", config), "--mock-upstream", "--json")
    assert done.returncode == 1
    routes = routes_of(done)
    assert {name: routes[name]["verdict"] for name in ("default", "think", "background")} == {
        "default": "not verified", "think": "not verified", "background": "ok"}   # the chain is per model
    assert "transformer 'vertex-gemini'" in routes["default"]["problem"]
    assert "`ccrgen smoke --via ccr`" in routes["default"]["problem"]


def test_a_bearer_token_sent_along_to_hicap_is_a_warning(cli, tmp_path):
    """api-key set but Authorization left in place: Hicap accepts it, smoke warns."""
    keeps_bearer = tmp_path / "keeps-bearer.js"
    keeps_bearer.write_text('module.exports = class { constructor() { this.name = "addkey"; }\n'
                            '  async transformRequestIn(request, provider) {\n'
                            '    return {body: request, config: {headers: {"api-key": provider.apiKey}}}; } };\n')
    config = {"APIKEY": "", "transformers": [{"path": str(keeps_bearer)}],
              "Providers": [{"name": "hicap", "api_base_url": "https://api.hicap.ai/v1/chat/completions",
                             "api_key": "$HICAP_API_KEY", "models": ["claude-sonnet-4.5"],
                             "transformer": {"use": ["addkey"]}}],
              "Router": {"default": "hicap,claude-sonnet-4.5"}}
    done = cli("smoke", "--config", write_json(tmp_path / "config.json", config), "--mock-upstream", env=ENV)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "default      hicap,claude-sonnet-4.5" in done.stdout and "ok (warning)" in done.stdout
    assert ("warning default: Authorization: Bearer was sent to Hicap too, which takes the key only in `api-key`"
            in done.stdout)


@pytest.mark.parametrize("via_args", VIAS, indirect=True)
def test_an_unreachable_provider_exits_4(cli, tmp_path, via_args):
    config = {"Providers": [{"name": "p", "api_base_url": f"http://127.0.0.1:{free_port()}/v1/chat/completions",
                             "api_key": "k-0123456789", "models": ["m"]}], "Router": {"default": "p,m"}}
    done = cli("smoke", "--config", write_json(tmp_path / "config.json", config), *via_args)
    assert done.returncode == 4, done.stdout + done.stderr
    assert "FAIL default: p could not be reached: " in done.stdout


@pytest.mark.node
def test_a_model_other_than_the_routed_one_fails_through_ccr(cli, tmp_path, ccr_cmd):
    renames = tmp_path / "renames.js"
    renames.write_text('module.exports = class { constructor() { this.name = "renames"; }\n'
                       '  async transformRequestIn(request) { return {...request, model: "other-model"}; } };\n')
    config = {"transformers": [{"path": str(renames)}],
              "Providers": [{"name": "p", "api_base_url": "https://example.test/v1/chat/completions",
                             "api_key": "k-0123456789", "models": ["m"], "transformer": {"use": ["renames"]}}],
              "Router": {"default": "p,m"}}
    done = cli("smoke", "--config", write_json(tmp_path / "config.json", config), "--mock-upstream",
               "--via", "ccr", "--ccr", ccr_cmd[-1])
    assert done.returncode == 1, done.stdout + done.stderr
    assert "FAIL default: model 'other-model' arrived, but the route names 'm'" in done.stdout


@pytest.mark.parametrize("via_args", VIAS, indirect=True)
def test_a_route_served_only_by_its_fallback_is_reported_as_such(cli, tmp_path, mock_upstream, via_args):
    mock_upstream.script([{"when": "primary-model", "error": {"status": 500, "message": "overloaded"}}])
    config = {"Providers": [{"name": "p", "api_base_url": mock_upstream.chat_url, "api_key": "k-0123456789",
                             "models": ["primary-model", "backup-model"]}],
              "Router": {"default": "p,primary-model"}, "fallback": {"default": ["p,backup-model"]}}
    done = cli("smoke", "--config", write_json(tmp_path / "config.json", config), "--json", *via_args)
    assert [r.model for r in mock_upstream.requests] == ["primary-model", "backup-model"]
    assert done.returncode == 1, done.stdout + done.stderr
    default = routes_of(done)["default"]
    assert default["verdict"] == "fallback" and default["arrived"] == "backup-model"
    assert "only through its fallback" in default["problem"] and "p,backup-model" in default["problem"]


@pytest.mark.parametrize("change, cause", [
    ("no transformer", "no api-key header was sent: Hicap takes `api-key: <key>`, but hicap has no transformer "
                       "that puts it there (requests go out with Authorization: Bearer); in a spec give the "
                       "provider `auth: {header: api-key}`"),
    ("relative path", "the transformer at hicap-transformer.js was never loaded ("),
    ("unset key", "$HICAP_API_KEY is not set, so hicap got the literal text `$HICAP_API_KEY` in its api-key "
                  "header; export HICAP_API_KEY before starting CCR"),
])
def test_the_cause_of_a_wrong_hicap_header_is_named(cli, tmp_path, monkeypatch, change, cause):
    config = guide_config()
    env = ENV
    if change == "no transformer":
        config["transformers"] = []
        del config["Providers"][0]["transformer"]
    elif change == "relative path":
        config["transformers"] = [{"path": "hicap-transformer.js"}]
    else:
        built = cli("build", "--preset", "hicap", "--out", tmp_path / "build", env=ENV)
        assert built.returncode == 0, built.stderr
        config = json.loads((tmp_path / "build" / "config.json").read_text())
        monkeypatch.delenv("HICAP_API_KEY", raising=False)
        env = {}
    done = cli("smoke", "--config", write_json(tmp_path / "config.json", config), "--mock-upstream", env=env)
    assert done.returncode == 1
    [line] = [line for line in done.stdout.splitlines() if line.startswith("FAIL ")]
    assert line.startswith("FAIL default, background, think, longContext, webSearch: " + cause)
    if change == "relative path":
        assert line.endswith("so no api-key header was sent; write the absolute path")


@pytest.mark.node
def test_a_provider_behind_ccrs_gemini_transformer_is_judged_by_the_header_it_sends(cli, tmp_path, ccr_cmd):
    """CCR's gemini transformer sends x-goog-api-key and no Authorization: the mock takes
    that from a provider it does not know by host, rather than asking for a Bearer token."""
    config = {"Providers": [{"name": "g", "api_base_url": "https://llm.example.test/v1beta/models/",
                             "api_key": "AIza-0123456789", "models": ["gemini-2.5-pro"],
                             "transformer": {"use": ["gemini"]}}],
              "Router": {"default": "g,gemini-2.5-pro"}}
    done = cli("smoke", "--config", write_json(tmp_path / "config.json", config), "--mock-upstream", "--json",
               "--via", "ccr", "--ccr", ccr_cmd[-1])
    [attempt] = routes_of(done)["default"]["attempts"]
    assert "x-goog-api-key" in attempt["headers_sent"] and "authorization" not in attempt["headers_sent"]
    assert attempt["rejected"] is None and attempt["status"] == 200


ANTHROPIC_CONFIG = {
    "Providers": [
        {"name": "anth", "api_base_url": "https://api.anthropic.com/v1/messages", "api_key": "$ANTH_SMOKE_KEY",
         "models": ["claude-sonnet-4-5"], "transformer": {"use": ["Anthropic"]}},
        # not CCR's pass-through (another transformer in the chain): CCR sends a Bearer token only
        {"name": "anthchain", "api_base_url": "https://api.anthropic.com/v1/messages", "api_key": "$ANTH_SMOKE_KEY",
         "models": ["claude-sonnet-4-5"], "transformer": {"use": ["Anthropic", "cleancache"]}}],
    "Router": {"default": "anth,claude-sonnet-4-5", "think": "anthchain,claude-sonnet-4-5"}}


@pytest.mark.parametrize("via_args", VIAS, indirect=True)
def test_a_provider_behind_ccrs_anthropic_pass_through_is_judged_as_ccr_sends_it(cli, tmp_path, via_args):
    """`use: ["Anthropic"]` alone: CCR forwards the client's request with x-api-key (ok);
    with another transformer in the chain it sends a Bearer token only (FAIL), in both ways."""
    config = write_json(tmp_path / "config.json", ANTHROPIC_CONFIG)
    done = cli("smoke", "--config", config, "--mock-upstream", "--format", "json", *via_args,
               env={"ANTH_SMOKE_KEY": "sk-ant-smoke-1234567"})
    routes = routes_of(done)
    assert routes["default"]["verdict"] == "ok", routes["default"]
    assert routes["think"]["verdict"] == "FAIL", routes["think"]
    assert "x-api-key" in routes["think"]["problem"]


CONDITIONAL_REWRITE = """class Rewrite {
  constructor() { this.name = "rewrite"; }
  async transformRequestIn(request) {
    if (request.model !== "m") request.model += "-rewritten";   // not the probe's request; looks dated
    return request;
  }
}
module.exports = Rewrite;
"""


@pytest.mark.parametrize("via_args", VIAS, indirect=True)
def test_a_transformer_that_changes_only_real_requests_is_never_ok(cli, tmp_path, via_args):
    """ccrgen serve does not run a body-changing custom transformer; one that leaves a probe
    request alone but rewrites the routed model must be "not verified", never ok (CCR: FAIL)."""
    (tmp_path / "rewrite.js").write_text(CONDITIONAL_REWRITE)
    config = write_json(tmp_path / "config.json", {
        "transformers": [{"path": str(tmp_path / "rewrite.js")}],
        "Providers": [{"name": "oa", "api_base_url": "https://api.openai.com/v1/chat/completions",
                       "api_key": "sk-smoke-rewrite-123", "models": ["gpt-4o"], "transformer": {"use": ["rewrite"]}}],
        "Router": {"default": "oa,gpt-4o"}})
    done = cli("smoke", "--config", config, "--mock-upstream", "--format", "json", *via_args)
    verdict = routes_of(done)["default"]["verdict"]
    assert verdict == ("FAIL" if "ccr" in via_args else "not verified"), done.stdout
    assert done.returncode == 1


WRONG_ENDPOINTS = {
    "Providers": [
        # CCR posts to api_base_url as written: a bare host or a version folder reaches no API
        {"name": "ds", "api_base_url": "https://api.deepseek.com", "api_key": "sk-smoke-ds-123456",
         "models": ["deepseek-chat"], "transformer": {"use": ["deepseek"]}},
        {"name": "selfhosted", "api_base_url": "http://llm.example.test:8000/v1", "api_key": "sk-smoke-local-1",
         "models": ["qwen3"]},
        # OpenAI's chat format with a Bearer token, to Anthropic's Messages API
        {"name": "anth", "api_base_url": "https://api.anthropic.com/v1/messages", "api_key": "sk-ant-smoke-123456",
         "models": ["claude-sonnet-4-5"]},
        {"name": "good", "api_base_url": "https://api.deepseek.com/chat/completions", "api_key": "sk-smoke-ds-123456",
         "models": ["deepseek-chat"], "transformer": {"use": ["deepseek"]}}],
    "Router": {"default": "good,deepseek-chat", "background": "ds,deepseek-chat", "think": "selfhosted,qwen3",
               "webSearch": "anth,claude-sonnet-4-5"}}


@pytest.mark.parametrize("via_args", VIAS, indirect=True)
def test_an_endpoint_no_real_api_answers_at_fails_in_both_ways(cli, tmp_path, via_args):
    """A bare host, a `/v1` folder and an Anthropic URL without the Anthropic transformer all
    fail at the real provider (404, 404, 401); the mock used to answer them 200, so smoke said ok."""
    done = cli("smoke", "--config", write_json(tmp_path / "config.json", WRONG_ENDPOINTS), "--mock-upstream",
               "--format", "json", *via_args)
    routes = routes_of(done)
    assert routes["default"]["verdict"] == "ok", routes["default"]
    for route in ("background", "think"):
        assert routes[route]["verdict"] == "FAIL", routes[route]
        assert routes[route]["status"] == 404 and "no API at" in routes[route]["problem"], routes[route]
    assert routes["webSearch"]["verdict"] == "FAIL", routes["webSearch"]
    assert "x-api-key" in routes["webSearch"]["problem"] and "Anthropic" in routes["webSearch"]["problem"]
    assert done.returncode == 1


HEADER_TRANSFORMER = """class Header {
  constructor(options) {
    %(constructor)s
    this.name = "hdr";
  }
  async transformRequestIn(request, provider) {
    %(request)s
    return {body: request, config: {headers: {"api-key": provider.apiKey, "Authorization": undefined}}};
  }
}
module.exports = Header;
"""


@pytest.mark.parametrize("via_args", VIAS, indirect=True)
@pytest.mark.parametrize("constructor, request_code, expected", [
    # CCR calls new Module(undefined) for an entry without options and skips a file that throws
    ("this.prefix = options.prefix || '';", "", "FAIL"),
    # CCR sets a logger on every instance; a transformer may log through it
    ("", "this.logger.info('sending');", "ok"),
    # what a file prints to stdout while it loads does not change what CCR does
    ("console.log('loaded');", "", "ok"),
])
def test_a_custom_transformer_is_loaded_as_ccr_loads_it(cli, tmp_path, via_args, constructor, request_code, expected):
    (tmp_path / "hdr.js").write_text(HEADER_TRANSFORMER % {"constructor": constructor, "request": request_code})
    config = write_json(tmp_path / "config.json", {
        "transformers": [{"path": str(tmp_path / "hdr.js")}],
        "Providers": [{"name": "hicap", "api_base_url": "https://api.hicap.ai/v1/chat/completions",
                       "api_key": KEY, "models": ["claude-sonnet-4.5"], "transformer": {"use": ["hdr"]}}],
        "Router": {"default": "hicap,claude-sonnet-4.5"}})
    done = cli("smoke", "--config", config, "--mock-upstream", "--format", "json", *via_args)
    assert routes_of(done)["default"]["verdict"] == expected, done.stdout + done.stderr
