"""`ccrgen migrate` on real-world 2.x configs (tests/lint_corpus/good/): what it reports, and,
for one config that uses every route and three kinds of provider (Anthropic, native Gemini,
OpenRouter), the differential: the config.json as a 2.x user has it through the real CCR
2.0.0, and after `ccrgen migrate` through the real CCR 3.1.1, each started once, with the mock
upstream standing in for every provider. Every request must reach the same provider and model
(and the Gemini key the same header), except where migrate named the loss."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import REPO, free_port

CORPUS = REPO / "tests" / "lint_corpus" / "good"
REFERENCE = re.compile(r"\$\{([^}]+)\}|\$([A-Z_][A-Z0-9_]*)")
M = "claude-sonnet-4-5-20250929"
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="


def lost_of(path: Path) -> list[str]:
    """What `ccrgen migrate` reports as not carried over for the 2.x config at `path`."""
    from ccrgen.targets import ccr3_migrate

    return ccr3_migrate.prepare(path, path.parent / "ccr").lost


def write_config(tmp_path: Path, config: dict) -> Path:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    return path


def provider(name: str, models: list[str], **more) -> dict:
    return {"name": name, "api_base_url": f"https://api.{name}.example/v1/chat/completions",
            "api_key": f"${name.upper()}_KEY", "models": models, **more}


# --- what migrate reports (no CCR needed) ------------------------------------------------------

def test_models_3x_reads_as_a_protocol_prefix_are_named(tmp_path):
    """CCR 3.1.1's gateway takes `openai/` and `anthropic/` in a model name as a protocol:
    openrouter's `anthropic/claude-3.7-sonnet` (this config's default route) fails there."""
    lost = " ".join(lost_of(CORPUS / "dotfiles-lutherwaves-openrouter-perplexity.json"))
    assert "'anthropic/' in model 'anthropic/claude-3.7-sonnet'" in lost
    assert "openrouter,anthropic/claude-3.7-sonnet fail in 3.x" in lost
    assert "deepseek/deepseek-r1" not in lost and "google/gemini-2.5-pro" not in lost   # these work
    lost = " ".join(lost_of(CORPUS / "dotfiles-jonaustin-lmstudio.json"))
    assert "'openai/' in model 'openai/gpt-oss-120b'" in lost


def test_a_custom_router_is_named_as_only_partly_carried_over(tmp_path):
    """3.x calls CUSTOM_ROUTER_PATH with its own config: `config.Router.think` is undefined
    there, so a router returning it falls through to the rules (seen with both real CCRs)."""
    path = write_config(tmp_path, {"CUSTOM_ROUTER_PATH": str(tmp_path / "router.js"),
                                   "Providers": [provider("a", ["m", "t"])],
                                   "Router": {"default": "a,m", "think": "a,t"}})
    lost = " ".join(lost_of(path))
    assert "server.custom_router_path: CUSTOM_ROUTER_PATH is kept, but CCR 3.x calls it with its own config" in lost
    assert "config.Router.<route> gets undefined" in lost


def test_a_default_only_fallback_is_named_when_3x_applies_it_to_every_route(tmp_path):
    """2.0.0 falls back only for the route that has a chain; 3.x's one chain serves every route
    (seen: a failing think request is answered by the default's fallback in 3.x only)."""
    path = write_config(tmp_path, {"Providers": [provider("a", ["m", "t"]), provider("b", ["n"])],
                                   "Router": {"default": "a,m", "think": "a,t"},
                                   "fallback": {"default": ["b,n"]}})
    lost = " ".join(lost_of(path))
    assert "fallback: CCR 3.x has one fallback chain for every route" in lost
    assert "2.0.0 has none for think, 3.x uses it there too" in lost
    # a chain for every route that is set: nothing differs, nothing to say
    path.write_text(json.dumps({"Providers": [provider("a", ["m"]), provider("b", ["n"])],
                                "Router": {"default": "a,m"}, "fallback": {"default": ["b,n"]}}))
    assert not [line for line in lost_of(path) if line.startswith("fallback")]


def test_transformer_losses_name_the_transformers_and_keep_the_protocol(tmp_path):
    lost = " ".join(lost_of(CORPUS / "multi-provider-fallback.json"))
    assert "providers.deepseek.transformer: CCR 3.x never runs a provider's transformer chain: " \
           "[deepseek; deepseek-chat: tooluse] not carried over" in lost
    # a chain that is only the gemini protocol is carried over (as `protocol`), not lost
    from ccrgen.targets import ccr3_migrate

    migration = ccr3_migrate.prepare(CORPUS / "issue-1069-gemini.json", tmp_path / "ccr")
    assert not [line for line in migration.lost if "transformer" in line]
    assert ("Providers[gemini].transformer (gemini)", "Providers[gemini].capabilities gemini_generate_content") \
        in migration.moved
    [gemini] = migration.built.config["Providers"]
    base = "https://generativelanguage.googleapis.com"
    assert gemini["api_base_url"] == base
    assert gemini["capabilities"] == [{"baseUrl": base, "type": "gemini_generate_content"}]
    assert gemini["extraHeaders"] == {"x-goog-api-key": gemini["api_key"]}


# --- the differential, with both real CCRs ------------------------------------------------------

def words(n: int) -> str:
    return "hello" + " hello" * (n - 1)


def cases(config: dict) -> dict[str, dict]:
    """One request per 2.0.0 route, an explicit `provider,model` per provider, a subagent tag."""
    threshold = config["Router"].get("longContextThreshold", 60000)
    out = {
        "default": {"model": M},
        "background": {"model": "claude-3-5-haiku-20241022"},
        "think": {"model": M, "thinking": {"type": "enabled", "budget_tokens": 2048}},
        "long_context": {"model": M, "messages": [{"role": "user", "content": words(int(threshold * 1.3))}]},
        "web_search": {"model": M, "tools": [{"type": "web_search_20250305", "name": "web_search", "max_uses": 2}]},
        "image": {"model": M, "messages": [{"role": "user", "content": [
            {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG}},
            {"type": "text", "text": "what is this"}]}]},
    }
    for p in config["Providers"]:
        out[f"explicit {p['name']},{p['models'][0]}"] = {"model": f"{p['name']},{p['models'][0]}"}
    p = config["Providers"][1]   # the second provider
    out["subagent"] = {"model": M, "system": [
        {"type": "text", "text": "You are Claude Code."},
        {"type": "text", "text": f"<CCR-SUBAGENT-MODEL>{p['name']},{p['models'][-1]}</CCR-SUBAGENT-MODEL>Go."}]}
    return out


def send(port: int, body: dict, key: str | None) -> int:
    payload = {"max_tokens": 16, "messages": [{"role": "user", "content": "hi"}], **body}
    headers = {"content-type": "application/json", "anthropic-version": "2023-06-01"}
    if key:
        headers["x-api-key"] = key
    request = urllib.request.Request(f"http://127.0.0.1:{port}/v1/messages", data=json.dumps(payload).encode(),
                                     method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def play(mock, port: int, requests: dict, key: str | None) -> dict:
    """case -> (status, (provider, model) of the first upstream request, its Gemini key header)."""
    out = {}
    for name, body in requests.items():
        before = len(mock.requests)
        status = send(port, body, key)
        got = mock.requests[before:]
        first = got[0] if got else None
        out[name] = (status, first and (first.provider, first.model), first and first.headers.get("x-goog-api-key"))
    return out


# the configs played through both CCRs: a corpus config using every route and three kinds of
# provider, and one whose webSearch route names a model its provider does not list (OpenRouter's
# `:online` variant, as in tests/lint_corpus/broken/local-llm-server-custom-router-routes.json)
SOURCES = {
    "arieyl": (CORPUS / "arieyl-anthropic-gemini-openrouter.json").read_text(),
    "online": json.dumps({
        "Providers": [provider("local", ["qwen3-coder"]),
                      provider("openrouter", ["google/gemini-2.5-flash", "deepseek/deepseek-v3.2"],
                               transformer={"use": ["openrouter"]})],
        "Router": {"default": "local,qwen3-coder", "think": "openrouter,deepseek/deepseek-v3.2",
                   "webSearch": "openrouter,google/gemini-2.5-flash:online"}}),
}


def config_of(text: str) -> dict:
    from ccrgen.ccr.json5 import parse

    return parse(text)[0]


def differential(tmp_path_factory, ccr_cmd, ccr3, text: str) -> dict:
    from ccrgen.ccr.runner import CcrServer
    from ccrgen.proxy.mock_upstream import MockUpstream
    from ccrgen.targets.ccr3_install import read_installed
    from ccrgen.targets.ccr3_server import Ccr3Server
    from tests.conftest import run_cli

    names = {m.group(1) or m.group(2) for m in REFERENCE.finditer(text)}
    mock = MockUpstream.start_in_thread(host="127.0.0.1", port=0)
    results = {}
    try:
        for target in ("ccr2", "ccr3"):
            home = tmp_path_factory.mktemp(f"home-{target}")
            port = free_port()
            config = config_of(text)
            for p in config["Providers"]:     # the mock stands in for each provider, at its path
                p["api_base_url"] = mock.provider_url(p["name"], p["api_base_url"], p.get("transformer", {}).get("use"))
            config.update(HOST="127.0.0.1", PORT=port)
            (home / ".claude-code-router").mkdir()
            (home / ".claude-code-router" / "config.json").write_text(json.dumps(config, indent=2))
            env = {"HOME": str(home), "NO_COLOR": "1", **{n: f"key-{n.lower()}" for n in names}}
            requests = cases(config)
            if target == "ccr2":
                with CcrServer(home, ccr_cmd, port=port, env=env):
                    results[target] = play(mock, port, requests, None)
                continue
            done = run_cli("migrate", "--yes", "--format", "json", env=env)
            assert done.returncode == 0, done.stderr
            results["report"] = json.loads(done.stdout)
            with Ccr3Server(home, ccr3.command, web_port=free_port(), env=env) as server:
                [client] = read_installed(server.ccr_dir)["APIKEYS"]   # 3.x generated one
                results[target] = play(mock, port, requests, client["key"])
                again = run_cli("migrate", "--dry-run", "--format", "json", env=env)
                assert again.returncode == 0, again.stderr
                results["again"] = json.loads(again.stdout)
    finally:
        mock.stop()
    return results


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory, ccr_cmd, ccr3):
    return {name: differential(tmp_path_factory, ccr_cmd, ccr3, text) for name, text in SOURCES.items()}


def named_loss(report: dict, case: str, reached) -> bool:
    """Whether migrate said why `case` cannot route in 3.x as it does in 2.0.0."""
    text = " ".join(report["not_carried_over"])
    if case == "image":
        return "routes.image: CCR 3.x has no image route" in text
    return reached is not None and f"{reached[0]},{reached[1]} fail in 3.x" in text


@pytest.mark.parametrize("source,case", [(name, case) for name, text in SOURCES.items()
                                         for case in cases(config_of(text))])
def test_migrated_routes_reach_what_2x_reaches(outcomes, source, case):
    found = outcomes[source]
    status2, reached2, gemini_key2 = found["ccr2"][case]
    status3, reached3, gemini_key3 = found["ccr3"][case]
    assert status2 == 200 and reached2 is not None, f"CCR 2.0.0 did not answer {case}"
    if named_loss(found["report"], case, reached2):
        return
    assert (status3, reached3) == (200, reached2)
    assert gemini_key3 == gemini_key2        # the Gemini key in x-goog-api-key, as the gemini transformer sends it


def test_the_differential_saw_every_route_and_kind_of_provider(outcomes):
    reached = {r for _status, r, _key in outcomes["arieyl"]["ccr2"].values()}
    assert {p for p, _m in reached} == {"anthropic", "gemini", "openrouter"}
    assert outcomes["online"]["ccr2"]["web_search"][1] == ("openrouter", "google/gemini-2.5-flash:online")
    moved = {m["from"] for m in outcomes["online"]["report"]["moved"]}
    assert "the route target openrouter,google/gemini-2.5-flash:online" in moved
    moved = {m["from"] for m in outcomes["arieyl"]["report"]["moved"]}
    assert {"Router.default", "Router.background", "Router.think", "Router.longContext"} <= moved


def test_a_migrated_gemini_provider_imports_back_as_the_gemini_transformer(tmp_path):
    """`ccrgen import` of the 3.x install reads the Gemini capability back as 2.0.0's gemini
    transformer (and the key header as the provider key, never as a literal header)."""
    from ccrgen.targets import ccr3_import, ccr3_migrate

    migration = ccr3_migrate.prepare(CORPUS / "issue-1069-gemini.json", tmp_path / "ccr")
    [entry] = migration.built.config["Providers"]
    spec_provider = ccr3_import._provider(entry, {})
    assert spec_provider["base_url"] == "https://generativelanguage.googleapis.com/v1beta/models/"
    assert spec_provider["transformer"] == {"use": ["gemini"]} and "extra" not in spec_provider


def test_migrating_again_while_3x_runs_changes_nothing(outcomes):
    """What migrate writes is what 3.x keeps (a Gemini provider's protocol as `capabilities`, as
    3.x stores it), so a second run finds the running install up to date."""
    for source, found in outcomes.items():
        assert found["again"]["changes"] == [], source
