"""`ccrgen smoke`: one real request down every configured route. This module runs them:
what to send (`scenarios`), where (`_ThroughCcrgen`, `_ThroughCcr`), and what came back
(`_send`, and what the mock upstream recorded). Each route's verdict (ok, FAIL, fallback,
not verified, skipped), with its cause and fix, is `smoke_verdict`'s; printing and --json
are the command's (ccrgen/commands/smoke.py).

The requests go through ccrgen's own proxy (in-process, free port) or, `via="ccr"`, through
a real CCR 2.0.0 started in a temp HOME with the built config. With `mock_upstream` every
provider is replaced by ccrgen's mock, which answers as that provider would (auth
included, ccrgen.ccr.providers) and records what arrived; otherwise the real providers answer
and the model is the one their answer names.
"""

from __future__ import annotations

import http.client
import json
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable
from urllib.parse import urlparse

from ccrgen.ccr import facts
from ccrgen.ccr.config import as_ccr_sees_it, providers_of
from ccrgen.proxy.routing import threshold_of
from ccrgen.proxy.smoke_verdict import (OK, SKIPPED, UNREACHABLE_HEADER, Attempt, Context, Exchange, Sent,
                                        connection_failure, judge, use_name)
from ccrgen.proxy.upstream import ANTHROPIC, bypass_request, uses_of

HAIKU = "claude-3-5-haiku-20241022"
SONNET = "claude-sonnet-4-5"
TINY_PNG = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")

FALLBACK_HEADER = "x-ccrgen-fallback"   # ccrgen serve: which entry of the fallback list served (1 = first)
MODEL_HEADER = "x-ccrgen-model"         # ccrgen serve: the provider,model that served


@dataclass(frozen=True)
class Scenario:
    route: str
    expected: str          # provider,model the config says this route goes to ("" when skipped)
    body: dict
    note: str = ""
    skipped: str | None = None   # why the route is not tested

    @property
    def provider(self) -> str:
        return self.expected.partition(",")[0]

    @property
    def model(self) -> str:
        return self.expected.partition(",")[2]


@dataclass
class Outcome:
    route: str
    expected: str
    arrived: str | None    # the model the upstream received (mock) or answered as (real)
    status: int | None
    latency_ms: float
    verdict: str = OK
    problem: str | None = None     # one line: what went wrong, and how to fix it
    warnings: list[str] = field(default_factory=list)
    note: str = ""
    unreachable: bool = False      # the provider (or CCR) could not be reached at all
    attempts: list[Attempt] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.verdict == OK

    @property
    def tested(self) -> bool:
        return self.verdict != SKIPPED


def words(count: int) -> str:
    """Text of exactly `count` cl100k_base tokens."""
    return "hello" + " hello" * (count - 1)


# Claude Code always sends a system prompt as cached text blocks and offers tools; so does
# every smoke request (CCR's OpenAI translation turns the tool into OpenAI's function shape,
# which an Anthropic-style endpoint without the Anthropic transformer refuses).
SYSTEM = [{"type": "text", "text": "You are a smoke test of a Claude Code Router config.",
           "cache_control": {"type": "ephemeral"}}]
TOOL = {"name": "Read", "description": "Read a file.",
        "input_schema": {"type": "object", "properties": {"file_path": {"type": "string"}},
                         "required": ["file_path"]}}


def _request(text: str = "Reply with one word: ok", model: str = SONNET, **extra) -> dict:
    return {"model": model, "max_tokens": 16, "system": SYSTEM, "tools": [TOOL],
            "messages": [{"role": "user", "content": text}], **extra}


def scenarios(config: dict, all_models: bool = False) -> list[Scenario]:
    """One request per CCR route (skipped ones listed with the reason), then, with
    `all_models`, an explicit provider,model request for every model."""
    router = config.get("Router") if isinstance(config.get("Router"), dict) else {}
    out = []

    def add(route: str, body: dict, note: str = "") -> None:
        target = router.get(route)
        if isinstance(target, str) and target.strip():
            out.append(Scenario(route, target, body, note))
        elif route in router:
            out.append(Scenario(route, "", body, skipped=f"Router.{route} is empty: no model to test"))
        else:
            instead = "off" if route == "image" else "such requests go to default"
            out.append(Scenario(route, "", body, skipped=f"Router.{route} is not set ({instead})"))

    add("default", _request())
    add("background", _request(model=HAIKU))
    add("think", _request(thinking={"type": "enabled", "budget_tokens": 1024}))
    threshold = threshold_of(router)
    add("longContext", _request(words(threshold + 1)), f"{threshold + 1} tokens")
    add("webSearch", _request(tools=[TOOL, {"type": "web_search_20250305", "name": "web_search", "max_uses": 1}]))
    image = router.get("image")
    image_body = _request(model=str(image or "").lower(), messages=[{"role": "user", "content": [
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": TINY_PNG}},
        {"type": "text", "text": "What colour is this pixel? One word."}]}])
    add("image", image_body, "sent as an explicit provider,model with an image")
    if all_models:
        for provider in providers_of(config):
            if not isinstance(provider, dict):
                continue
            for model in provider.get("models") or []:
                target = f"{provider.get('name')},{model}"
                # CCR only matches an explicit provider,model written in lower case.
                out.append(Scenario(f"model {target}", target, _request(model=target.lower())))
    return out


def tested(plan: list[Scenario]) -> list[Scenario]:
    return [s for s in plan if not s.skipped]


# -- where the requests go ------------------------------------------------------------------

class _Target:
    """Where the requests go, and how to see what reached the upstream."""

    url: str
    key: str | None
    mock = None
    via = "ccrgen"

    def attempts_since(self, mark: int) -> list[Attempt]:
        if self.mock is None:
            return []
        return [Attempt(r.provider, r.model, r.status, r.rejected, dict(r.headers))
                for r in list(self.mock.requests)[mark:]]

    def mark(self) -> int:
        return len(self.mock.requests) if self.mock is not None else 0

    def unverified(self, provider: str, model: str) -> list[str]:
        return []

    def planned_headers(self, provider: str, model: str) -> dict | None:
        return None

    def close(self) -> None:
        pass


class _ThroughCcrgen(_Target):
    def __init__(self, loaded, mock_upstream: bool):
        from ccrgen.proxy.server import Proxy

        self.handle = Proxy.start_in_thread(loaded, port=0, mock_upstream=mock_upstream)
        self.url = self.handle.url
        self.key = self.handle.server.apikey
        self.mock = self.handle.server.mock
        self.notes = list(self.handle.server.notes)
        self.plan = self.handle.server.plan

    def unverified(self, provider: str, model: str) -> list[str]:
        upstream = self.plan.upstreams.get(provider)
        names = self.plan.unverified.get(provider, [])   # what serve does not reproduce, per provider
        if upstream is None:
            return list(names)
        chain = {use_name(e) for e in upstream.chain + upstream.model_chains.get(model, [])}
        if upstream.bypasses(model, self.plan.registered):   # sent as CCR's pass-through sends it
            chain.discard(ANTHROPIC)
        return [n for n in names if n in chain]

    def planned_headers(self, provider: str, model: str) -> dict | None:
        upstream = self.plan.upstreams.get(provider)
        if upstream is None:
            return None
        if upstream.bypasses(model, self.plan.registered):   # smoke's own headers, passed through
            return bypass_request({}, model, _client_headers(self.key), upstream.key)[1]
        return dict(upstream.headers_and_steps(model, self.plan.customs)[0])

    def close(self) -> None:
        self.handle.stop()


class _ThroughCcr(_Target):
    via = "ccr"

    def __init__(self, loaded, mock_upstream: bool, ccr: str | None, env):
        import contextlib

        from ccrgen.common import signals

        with contextlib.ExitStack() as undo:  # a failure or signal half-way undoes what was started
            with signals.deferred():
                self.home = tempfile.TemporaryDirectory(prefix="ccrgen-smoke-", ignore_cleanup_errors=True)
                undo.callback(self.home.cleanup)
            self._start(loaded, mock_upstream, ccr, env, undo)
            undo.pop_all()

    def _start(self, loaded, mock_upstream, ccr, env, undo) -> None:
        from ccrgen.ccr.runner import CcrServer, find_ccr, free_port
        from ccrgen.errors import ExternalError
        from ccrgen.proxy.auth import LOOPBACK
        from ccrgen.proxy.mock_upstream import MockUpstream

        command = find_ccr(ccr)
        if not command:
            raise ExternalError("no CCR found", hint="install it (npm install -g @musistudio/claude-code-router@2.0.0) "
                                                     "or name it with --ccr PATH")
        from ccrgen.ccr.installed import describe

        found = describe(Path(command[-1]))
        if found is not None and found.generation == 3:  # 3.x would import the config.json and drop its routes
            raise ExternalError(f"--via ccr drives CCR 2.0.0; {command[-1]} is {found.label}",
                                hint="name a CCR 2.0.0 with --ccr PATH, or smoke through ccrgen (--via ccrgen)")
        ccr_dir = Path(self.home.name) / facts.CONFIG_DIR_NAME
        ccr_dir.mkdir()
        config, files = dict(loaded.config), {}
        if loaded.spec is not None:  # render again: transformer paths must point into the temp HOME
            from ccrgen.config.render import render

            rendered = render(loaded.spec, ccr_dir)
            config, files = dict(rendered.config), rendered.files
        for name, text in files.items():
            (ccr_dir / name).write_text(text, encoding="utf-8")
        self.mock_handle = MockUpstream.start_in_thread() if mock_upstream else None
        if self.mock_handle:
            undo.callback(self.mock_handle.stop)
            self.mock = self.mock_handle
            stand_in = self.mock_handle.provider_url   # the mock answers as each provider would
            config["Providers"] = [dict(p, api_base_url=stand_in(p.get("name"), p.get("api_base_url"), uses_of(p)[0]))
                                   if isinstance(p, dict) else p for p in providers_of(config)]
            config.pop("providers", None)
            config.pop("PROXY_URL", None)
        port = free_port()
        config.update(PORT=port, HOST=LOOPBACK, LOG=False)
        (ccr_dir / facts.CONFIG_FILE_NAME).write_text(json.dumps(config, indent=2), encoding="utf-8")
        self.server = CcrServer(Path(self.home.name), command, env=dict(env), port=port)
        undo.callback(self.server.stop)
        self.server.start()
        self.url = self.server.url
        self.key = as_ccr_sees_it(config, env).get("APIKEY") or None
        self.notes = [f"CCR started in a temp HOME ({self.home.name})"]

    def close(self) -> None:
        from ccrgen.common import signals

        with signals.deferred():
            self.server.stop()
            if self.mock_handle:
                self.mock_handle.stop()
            self.home.cleanup()


# -- running --------------------------------------------------------------------------------

def run(loaded, *, via: str = "ccrgen", mock_upstream: bool = False, all_models: bool = False,
        ccr: str | None = None, env=None, progress: Callable[[Outcome], None] | None = None,
        timeout: float = 120) -> tuple[list[Outcome], list[str]]:
    env = os.environ if env is None else env
    plan = scenarios(as_ccr_sees_it(loaded.config, env), all_models)
    context = Context(loaded, env, via)
    target = _ThroughCcr(loaded, mock_upstream, ccr, env) if via == "ccr" else _ThroughCcrgen(loaded, mock_upstream)
    outcomes = []
    try:
        for scenario in plan:
            if scenario.skipped:
                outcome = Outcome(scenario.route, scenario.expected, None, None, 0.0, SKIPPED, note=scenario.skipped)
            else:
                outcome = _try(target, scenario, context, timeout)
            outcomes.append(outcome)
            if progress:
                progress(outcome)
    finally:
        target.close()
    return outcomes, list(target.notes)


def _try(target: _Target, scenario: Scenario, context: Context, timeout: float) -> Outcome:
    """Send one scenario's request and judge what came back (smoke_verdict)."""
    mark = target.mark()
    seen = _send(target, scenario, timeout)
    attempts = target.attempts_since(mark)
    sent = Sent(scenario, None if attempts else target.planned_headers(scenario.provider, scenario.model),
                tuple(target.unverified(scenario.provider, scenario.model)))
    verdict = judge(sent, seen, attempts, context)
    return Outcome(scenario.route, scenario.expected, verdict.arrived, seen.status, seen.latency_ms, verdict.verdict,
                   verdict.problem, verdict.warnings, scenario.note, verdict.unreachable is not None, attempts)


def _client_headers(key: str | None) -> dict:
    headers = {"content-type": "application/json", "anthropic-version": "2023-06-01"}
    if key:
        headers["x-api-key"] = key
    return headers


def _send(target: _Target, scenario: Scenario, timeout: float) -> Exchange:
    parsed = urlparse(target.url)
    headers = _client_headers(target.key)
    started = time.perf_counter()
    seen = Exchange()
    try:
        conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=timeout)
        try:
            conn.request("POST", "/v1/messages", body=json.dumps(scenario.body), headers=headers)
            response = conn.getresponse()
            raw = response.read()
            seen.status = response.status
            seen.fallback = response.getheader(FALLBACK_HEADER)
            seen.served_by = response.getheader(MODEL_HEADER)
            seen.unreachable = response.getheader(UNREACHABLE_HEADER)
        finally:
            conn.close()
        try:
            seen.answer = json.loads(raw)
        except ValueError:
            seen.error = raw[:200].decode("utf-8", "replace")
        if seen.status >= 300 and isinstance(seen.answer, dict):
            error = seen.answer.get("error")
            seen.error = str(error.get("message") if isinstance(error, dict) else error or seen.answer)
    except OSError as exc:
        seen.error = f"cannot reach {'CCR' if target.via == 'ccr' else 'ccrgen proxy'} at {target.url}: " \
                     f"{type(exc).__name__}: {exc}"
        seen.status = None
        seen.no_answer = connection_failure(exc)
    seen.latency_ms = (time.perf_counter() - started) * 1000
    return seen
