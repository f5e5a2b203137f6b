"""The provider registry: every bundled preset's provider has a profile, found by its base
URL, that says how it authenticates and which transformers it needs."""

from __future__ import annotations

from pathlib import Path

import pytest

from ccrgen.spec import loader
from ccrgen.ccr.config import providers_of
from ccrgen.ccr.providers import PROFILES, provider_profile
from ccrgen.proxy.upstream import use_entry, uses_of

PRESETS = Path(__file__).resolve().parents[1] / "presets"
BUNDLED = sorted(p.stem for p in PRESETS.glob("*.yaml"))


def test_hicap_is_listed_first_and_every_bundled_preset_has_a_profile():
    assert list(PROFILES)[0] == "hicap"
    assert len(BUNDLED) >= 4 and set(BUNDLED) <= set(PROFILES)


@pytest.mark.parametrize("preset", BUNDLED)
def test_each_presets_provider_is_found_by_its_base_url_and_uses_what_its_profile_needs(preset):
    config = loader.load(PRESETS / f"{preset}.yaml").config
    for provider in providers_of(config):
        by_url = provider_profile("renamed", provider["api_base_url"])   # the host decides, not the name
        assert by_url.known and by_url.preset == preset
        assert provider["api_base_url"].endswith(by_url.endpoint)
        chain, per_model = uses_of(provider)
        assert set(by_url.transformers) <= {use_entry(e)[0] for e in chain}
        for model, needed in by_url.model_transformers.items():
            assert set(needed) <= {use_entry(e)[0] for e in per_model.get(model, [])}


def test_hicap_takes_api_key_and_warns_about_a_bearer_token_sent_along():
    hicap = PROFILES["hicap"]
    assert hicap.auth_problem({"api-key": "hk-0123456789"}) is None
    assert hicap.auth_problem({"Authorization": "Bearer hk-0123456789"}).reason == "missing"
    assert hicap.auth_warnings({"api-key": "k", "Authorization": "Bearer k"}) != []
    assert hicap.auth_warnings({"api-key": "k"}) == []


def test_unknown_providers_and_lookalike_hosts_get_the_bearer_profile():
    for name, url in (("acme", "https://llm.acme.test/v1/chat/completions"),
                      ("x", "https://nothicap.ai/v1/chat/completions"), ("", "")):
        profile = provider_profile(name, url)
        assert not profile.known and profile.auth.header == "authorization"
        assert profile.auth_problem({"authorization": "Bearer $NAME"}).reason == "literal"
    assert provider_profile("x", "https://eu.api.hicap.ai/v1/chat/completions").name == "hicap"   # a subdomain


def test_an_unknown_providers_auth_follows_the_transformers_that_set_it():
    """CCR's Anthropic transformer sends x-api-key (Bearer with UseBearer), gemini x-goog-api-key."""
    url = "https://llm.example.test/anthropic/v1/messages"
    assert provider_profile("glm", url, ["Anthropic"]).auth.header == "x-api-key"
    assert provider_profile("glm", url, [["Anthropic", {"UseBearer": True}]]).auth.header == "authorization"
    assert provider_profile("g", url, ["gemini"]).auth_problem({"x-goog-api-key": "AIza0123456789"}) is None
    assert provider_profile("g", url, ["maxtoken"]).auth.header == "authorization"


def test_required_transformers_are_distinct_from_what_a_preset_uses():
    assert PROFILES["deepseek"].requires == ("deepseek",)        # DeepSeek 400s Claude Code's max_tokens
    assert PROFILES["openrouter"].requires == ()                 # the preset's openrouter is a choice
    assert PROFILES["openrouter"].transformers == ("openrouter",)


def test_lint_reads_the_same_registry_by_host():
    from ccrgen.ccr.providers import known_provider

    assert known_provider("https://api.deepseek.com/v1") is PROFILES["deepseek"]
    assert known_provider("https://dashscope-intl.aliyuncs.com/x").chat_url("https://dashscope-intl.aliyuncs.com/x") \
        == "https://dashscope-intl.aliyuncs.com/compatible-mode/v1/chat/completions"
    assert known_provider("http://localhost:11434/v1").chat_url("http://localhost:11434/v1") \
        == "http://localhost:11434/v1/chat/completions"
    assert known_provider("https://llm.acme.test/v1") is None and known_provider(None) is None


def test_the_auth_is_that_of_the_api_the_base_url_is_on():
    native = provider_profile("g", "https://generativelanguage.googleapis.com/v1beta/models/", ["gemini"])
    assert native.name == "gemini" and native.auth.header == "x-goog-api-key"
    assert native.auth_problem({"Authorization": "Bearer AIza0123456789"}).reason == "missing"
    compatible = provider_profile("g", "https://generativelanguage.googleapis.com/v1beta/openai/chat/completions")
    assert compatible.auth.header == "authorization"
    # another API of a known host, called by a transformer that sets its own auth
    assert provider_profile("glm", "https://api.z.ai/api/anthropic/v1/messages", ["Anthropic"]).auth.header == "x-api-key"
    assert provider_profile("glm", "https://api.z.ai/api/paas/v4/chat/completions", ["Anthropic"]).auth.header \
        == "authorization"   # its chat endpoint refuses what Anthropic sends


def test_the_registry_imports_nothing_heavy():
    import subprocess
    import sys

    code = "import sys, ccrgen.ccr.providers; print(sorted(m for m in ('yaml', 'pydantic', 'aiohttp') if m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "[]"
