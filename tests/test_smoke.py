"""`ccrgen smoke` as a user runs it: every route of a spec whose routes all name different
models, through ccrgen's proxy and through the real CCR 2.0.0, offline with the mock."""

from __future__ import annotations

import json

import pytest

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
ENV = {"HICAP_API_KEY": "hk-smoke-test-123456"}


@pytest.fixture
def spec(tmp_path):
    path = tmp_path / "ccrgen.yaml"
    path.write_text(SPEC)
    return path


def test_smoke_every_route_reaches_its_model(cli, spec):
    done = cli("smoke", spec, "--mock-upstream", "--json", env=ENV)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    reached = {r["route"]: (r["expected"], r["arrived"], r["status"]) for r in result["routes"]}
    assert reached == {route: (target, target.split(",")[1], 200) for route, target in ROUTES.items()}
    progress = [line for line in done.stderr.splitlines() if line.startswith("ok ")]
    assert len(progress) == len(ROUTES)                     # one line per route, as it completed
    assert "hk-smoke-test-123456" not in done.stdout + done.stderr


def test_smoke_all_models_prints_a_table(cli, spec):
    done = cli("smoke", spec, "--mock-upstream", "--all-models", env=ENV)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0].split() == ["route", "expected", "reached", "upstream", "status", "latency"]
    assert "13 of 13 routes reached their model (via ccrgen, mock upstream)" in done.stdout
    assert "model hicap,gpt-5.1" in done.stdout


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
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    done = cli("smoke", "--config", path)
    assert done.returncode == 1
    assert "sending real requests" in done.stderr.splitlines()[0]      # no mock: it says so first
    assert "FAIL think: ghost,a" in done.stderr and "ok   default: p,a -> a" in done.stderr
    assert "1 of 2 routes reached their model" in done.stdout
    assert "provider 'ghost' not found" in done.stdout
