"""`ccrgen smoke --mock-upstream` of a config with a native Gemini provider (the `gemini`
transformer): the mock answers Gemini's generateContent format and checks `x-goog-api-key`
as Google does, so every route passes through ccrgen and through the real CCR 2.0.0, and a
provider whose key never reaches that header fails."""

from __future__ import annotations

import pytest

from test_smoke import VIAS, routes_of, via_args, write_json  # noqa: F401  (via_args: a fixture)

KEY = "AIza-smoke-gemini-0123456789"
ROUTES = {"default": "gemini,gemini-2.5-pro", "background": "gemini,gemini-2.5-flash"}


def gemini_config(**provider) -> dict:
    return {"APIKEY": "router-key-gemini", "LOG": False,
            "Providers": [dict({"name": "gemini", "api_base_url": "https://generativelanguage.googleapis.com/v1beta/models/",
                                "api_key": "$GEMINI_API_KEY", "models": ["gemini-2.5-pro", "gemini-2.5-flash"],
                                "transformer": {"use": ["gemini"]}}, **provider)],
            "Router": dict(ROUTES)}


@pytest.mark.parametrize("via_args", VIAS, indirect=True)
def test_a_gemini_provider_passes_smoke(cli, tmp_path, via_args):
    config = write_json(tmp_path / "config.json", gemini_config())
    done = cli("smoke", config, "--mock-upstream", "--json", *via_args, env={"GEMINI_API_KEY": KEY})
    assert done.returncode == 0, done.stdout + done.stderr
    routes = routes_of(done)
    for route, target in ROUTES.items():
        result = routes[route]
        assert (result["verdict"], result["status"], result["arrived"]) == ("ok", 200, target.split(",")[1])
        (attempt,) = result["attempts"]   # the request reached Gemini's generateContent, key in its header
        assert "x-goog-api-key" in attempt["headers_sent"] and "authorization" not in attempt["headers_sent"]
    assert KEY not in done.stdout + done.stderr


@pytest.mark.parametrize("via_args", VIAS, indirect=True)
def test_a_gemini_key_that_is_never_sent_fails_smoke(cli, tmp_path, via_args):
    config = write_json(tmp_path / "config.json", gemini_config())
    done = cli("smoke", config, "--mock-upstream", "--json", *via_args, env={"GEMINI_API_KEY": ""})
    assert done.returncode != 0
    for route in ROUTES:
        result = routes_of(done)[route]
        assert result["verdict"] == "FAIL" and "x-goog-api-key" in result["problem"]


@pytest.mark.parametrize("via_args", VIAS, indirect=True)
def test_the_native_url_without_the_gemini_transformer_fails_smoke(cli, tmp_path, via_args):
    """Without the transformer CCR sends a Bearer token, which Gemini's native API refuses."""
    config = write_json(tmp_path / "config.json", gemini_config(transformer={"use": []}))
    done = cli("smoke", config, "--mock-upstream", "--json", *via_args, env={"GEMINI_API_KEY": KEY})
    assert done.returncode != 0
    routes = routes_of(done)
    assert {routes[route]["verdict"] for route in ROUTES} == {"FAIL"}
    assert all("add \"transformer\": {\"use\": [\"gemini\"]}" in routes[route]["problem"] for route in ROUTES)
    assert KEY not in done.stdout + done.stderr
