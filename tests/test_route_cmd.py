"""`ccrgen route`: the decision a user sees for a request file."""

from __future__ import annotations

import json


def test_route_explains_the_decision(cli, tmp_path):
    request = tmp_path / "req.json"
    request.write_text(json.dumps({"model": "claude-sonnet-4-5", "messages": [{"role": "user", "content": "hi"}],
                                   "thinking": {"type": "enabled", "budget_tokens": 1024}}))
    spec = tmp_path / "s.yaml"
    spec.write_text("extends: hicap\nroutes:\n  think: hicap,claude-opus-4.5\n")
    result = cli("route", request, spec, "--json")
    assert result.returncode == 0, result.stderr
    decision = json.loads(result.stdout)
    assert (decision["route"], decision["provider"], decision["model"]) == ("think", "hicap", "claude-opus-4.5")
    assert decision["token_count"] == 1 and "thinking" in decision["reason"]
    text = cli("route", request, spec)
    assert "route:  think" in text.stdout and "hicap,claude-opus-4.5" in text.stdout


def test_route_bad_request_file_names_the_line(cli, tmp_path):
    request = tmp_path / "req.json"
    request.write_text('{\n  "model": "x",\n  "messages": [,]\n}')
    result = cli("route", request, "--preset", "hicap")
    assert result.returncode == 2 and "req.json:3:" in result.stderr and "Traceback" not in result.stderr
