"""`ccrgen smoke`: one real request down every configured route, and where each one landed.

The requests go through ccrgen's own proxy (in-process, free port) or, `via="ccr"`, through
a real CCR 2.0.0 started in a temp HOME with the built config. With `mock_upstream` every
provider is replaced by ccrgen's mock, which records the model that arrived; otherwise
the real providers answer and the model is the one their answer names.
"""

from __future__ import annotations

import http.client
import json
import os
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable
from urllib.parse import urlparse

from ccrgen.ccr.config import as_ccr_sees_it, providers_of
from ccrgen.proxy.routing import threshold_of

HAIKU = "claude-3-5-haiku-20241022"
SONNET = "claude-sonnet-4-5"
TINY_PNG = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")


@dataclass(frozen=True)
class Scenario:
    route: str
    expected: str          # provider,model the config says this route goes to
    body: dict
    note: str = ""


@dataclass
class Outcome:
    route: str
    expected: str
    arrived: str | None    # the model the upstream received (mock) or answered as (real)
    status: int | None
    latency_ms: float
    error: str | None = None
    note: str = ""

    @property
    def ok(self) -> bool:
        expected_model = self.expected.partition(",")[2]
        return (self.status is not None and 200 <= self.status < 300 and self.arrived is not None
                and _same_model(self.arrived, expected_model))


def _same_model(arrived: str, expected: str) -> bool:
    # Real providers may answer with a dated or prefixed name (gpt-5.2 -> gpt-5.2-2025-12-01).
    return arrived == expected or arrived.startswith(expected + "-") or arrived.endswith("/" + expected)


def words(count: int) -> str:
    """Text of exactly `count` cl100k_base tokens."""
    return "hello" + " hello" * (count - 1)


def _request(text: str = "Reply with one word: ok", model: str = SONNET, **extra) -> dict:
    return {"model": model, "max_tokens": 16, "messages": [{"role": "user", "content": text}], **extra}


def scenarios(config: dict, all_models: bool = False) -> list[Scenario]:
    router = config.get("Router") if isinstance(config.get("Router"), dict) else {}
    out = []

    def add(route: str, body: dict, note: str = "") -> None:
        target = router.get(route)
        if isinstance(target, str) and target:
            out.append(Scenario(route, target, body, note))

    add("default", _request())
    add("background", _request(model=HAIKU))
    add("think", _request(thinking={"type": "enabled", "budget_tokens": 1024}))
    threshold = threshold_of(router)
    add("longContext", _request(words(threshold + 1)), f"{threshold + 1} tokens")
    add("webSearch", _request(tools=[{"type": "web_search_20250305", "name": "web_search", "max_uses": 1}]))
    image = router.get("image")
    if isinstance(image, str) and image:
        body = _request(model=image.lower(), messages=[{"role": "user", "content": [
            {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": TINY_PNG}},
            {"type": "text", "text": "What colour is this pixel? One word."}]}])
        out.append(Scenario("image", image, body, "sent as an explicit provider,model with an image"))
    if all_models:
        for provider in providers_of(config):
            if not isinstance(provider, dict):
                continue
            for model in provider.get("models") or []:
                target = f"{provider.get('name')},{model}"
                # CCR only matches an explicit provider,model written in lower case.
                out.append(Scenario(f"model {target}", target, _request(model=target.lower())))
    return out


# -- running --------------------------------------------------------------------------------

class _Target:
    """Where the requests go, and how to see what reached the upstream."""

    url: str
    key: str | None
    mock = None

    def arrived(self, answer: dict | None) -> str | None:
        if self.mock is not None:
            models = [r.model for r in self.mock.requests]
            self.mock.clear()
            return models[-1] if models else None
        return answer.get("model") if isinstance(answer, dict) else None

    def close(self) -> None:
        pass


class _ThroughCcrgen(_Target):
    def __init__(self, loaded, mock_upstream: bool):
        from ccrgen.proxy.server import Proxy

        self.handle = Proxy.start_in_thread(loaded, port=0, mock_upstream=mock_upstream)
        self.url = self.handle.url
        self.key = self.handle.server.apikey
        self.mock = self.handle.server.mock
        self.notes = self.handle.server.notes

    def close(self) -> None:
        self.handle.stop()


class _ThroughCcr(_Target):
    def __init__(self, loaded, mock_upstream: bool, ccr: str | None, env):
        from ccrgen.ccr.runner import CcrServer, find_ccr, free_port
        from ccrgen.errors import ExternalError
        from ccrgen.proxy.mock_upstream import MockUpstream

        command = find_ccr(ccr)
        if not command:
            raise ExternalError("no CCR found", hint="install it (npm install -g @musistudio/claude-code-router@2.0.0) "
                                                     "or name it with --ccr PATH")
        self.home = tempfile.TemporaryDirectory(prefix="ccrgen-smoke-")
        ccr_dir = Path(self.home.name) / ".claude-code-router"
        ccr_dir.mkdir()
        config, files = dict(loaded.config), {}
        if loaded.spec is not None:  # render again: transformer paths must point into the temp HOME
            from ccrgen.render import render

            rendered = render(loaded.spec, ccr_dir)
            config, files = dict(rendered.config), rendered.files
        for name, text in files.items():
            (ccr_dir / name).write_text(text, encoding="utf-8")
        self.mock_handle = MockUpstream.start_in_thread() if mock_upstream else None
        if self.mock_handle:
            self.mock = self.mock_handle
            config["Providers"] = [dict(p, api_base_url=self.mock_handle.chat_url) if isinstance(p, dict) else p
                                   for p in providers_of(config)]
            config.pop("providers", None)
            config.pop("PROXY_URL", None)
        from ccrgen.proxy.auth import LOOPBACK

        port = free_port()
        config.update(PORT=port, HOST=LOOPBACK, LOG=False)
        (ccr_dir / "config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
        self.server = CcrServer(Path(self.home.name), command, env=dict(env), port=port).start()
        self.url = self.server.url
        self.key = as_ccr_sees_it(config, env).get("APIKEY") or None
        self.notes = [f"CCR started in a temp HOME ({self.home.name})"]

    def close(self) -> None:
        self.server.stop()
        if self.mock_handle:
            self.mock_handle.stop()
        self.home.cleanup()


def run(loaded, *, via: str = "ccrgen", mock_upstream: bool = False, all_models: bool = False,
        ccr: str | None = None, env=None, progress: Callable[[Outcome], None] | None = None,
        timeout: float = 120) -> tuple[list[Outcome], list[str]]:
    env = os.environ if env is None else env
    plan = scenarios(as_ccr_sees_it(loaded.config, env), all_models)
    target = _ThroughCcr(loaded, mock_upstream, ccr, env) if via == "ccr" else _ThroughCcrgen(loaded, mock_upstream)
    outcomes = []
    try:
        for scenario in plan:
            outcome = _send(target, scenario, timeout)
            outcomes.append(outcome)
            if progress:
                progress(outcome)
    finally:
        target.close()
    return outcomes, list(target.notes)


def _send(target: _Target, scenario: Scenario, timeout: float) -> Outcome:
    parsed = urlparse(target.url)
    headers = {"content-type": "application/json", "anthropic-version": "2023-06-01"}
    if target.key:
        headers["x-api-key"] = target.key
    started = time.perf_counter()
    status, answer, error = None, None, None
    try:
        conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=timeout)
        conn.request("POST", "/v1/messages", body=json.dumps(scenario.body), headers=headers)
        response = conn.getresponse()
        raw = response.read()
        status = response.status
        conn.close()
        try:
            answer = json.loads(raw)
        except ValueError:
            error = raw[:200].decode("utf-8", "replace")
        if status >= 300 and isinstance(answer, dict):
            error = (answer.get("error") or {}).get("message") if isinstance(answer.get("error"), dict) \
                else str(answer.get("error") or answer)[:200]
    except OSError as exc:
        error = f"{type(exc).__name__}: {exc}"
    latency = (time.perf_counter() - started) * 1000
    arrived = target.arrived(answer if status and status < 300 else None)
    return Outcome(scenario.route, scenario.expected, arrived, status, latency, error, scenario.note)


# -- reporting ------------------------------------------------------------------------------

def progress_line(outcome: Outcome) -> str:
    mark = "ok  " if outcome.ok else "FAIL"
    status = outcome.status if outcome.status is not None else "-"
    return f"{mark} {outcome.route}: {outcome.expected} -> {outcome.arrived or '-'} (HTTP {status}, " \
           f"{outcome.latency_ms:.0f} ms)"


def table(outcomes: list[Outcome]) -> str:
    rows = [("route", "expected", "reached upstream", "status", "latency", "")]
    for o in outcomes:
        verdict = "ok" if o.ok else (o.error or "wrong model")
        rows.append((o.route, o.expected, o.arrived or "-", str(o.status or "-"), f"{o.latency_ms:.0f} ms",
                     verdict[:100]))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    return "\n".join("  ".join(cell.ljust(widths[i]) if i < 5 else cell for i, cell in enumerate(row)).rstrip()
                     for row in rows)


def as_json(outcomes: list[Outcome], notes: list[str], via: str, mock_upstream: bool) -> str:
    return json.dumps({"via": via, "mock_upstream": mock_upstream, "ok": all(o.ok for o in outcomes),
                       "notes": notes, "routes": [dict(asdict(o), ok=o.ok) for o in outcomes]}, indent=2)
