"""`ccrgen smoke`: one real request down every configured route, and a verdict for each that
means what it says: "ok" only when the request that left for the provider is one the real
provider accepts and the routed model answered it.

The requests go through ccrgen's own proxy (in-process, free port) or, `via="ccr"`, through
a real CCR 2.0.0 started in a temp HOME with the built config. With `mock_upstream` every
provider is replaced by ccrgen's mock, which answers as that provider would (auth
included, ccrgen.ccr.providers) and records what arrived; otherwise the real providers answer
and the model is the one their answer names.

A route is
- "ok": 2xx, the routed model arrived (and answered), auth as its provider takes it;
- "FAIL": the upstream (or CCR, or ccrgen) refused it, its auth was wrong for the provider,
  another model arrived, or the provider could not be reached (`unreachable`);
- "fallback": it succeeded only through its `fallback` list;
- "not verified": ccrgen serve does not implement a transformer of its chain, so what left
  is not what CCR would send (use `--via ccr`);
- "skipped": the config gives the route no model.
Warnings (a Bearer token sent along to a provider that takes `api-key`) ride on the route.
"""

from __future__ import annotations

import http.client
import json
import os
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable
from urllib.parse import urlparse

from ccrgen.ccr import facts
from ccrgen.ccr.config import as_ccr_sees_it, providers_of
from ccrgen.ccr.providers import AuthProblem, ProviderProfile, header_title, provider_profile
from ccrgen.proxy.routing import threshold_of
from ccrgen.proxy.upstream import uses_of

HAIKU = "claude-3-5-haiku-20241022"
SONNET = "claude-sonnet-4-5"
TINY_PNG = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")

OK, FAIL, FALLBACK, NOT_VERIFIED, SKIPPED = "ok", "FAIL", "fallback", "not verified", "skipped"
FALLBACK_HEADER = "x-ccrgen-fallback"   # ccrgen serve: which entry of the fallback list served (1 = first)
MODEL_HEADER = "x-ccrgen-model"         # ccrgen serve: the provider,model that served
# How ccrgen serve and CCR 2.0.0 say a provider could not be reached at all.
UNREACHABLE_SIGNS = ("cannot connect to provider", "did not answer within", "fetch failed", "econnrefused",
                     "enotfound", "getaddrinfo", "connect timeout")


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
class Attempt:
    """One request that reached the (mock) upstream, in the order they arrived."""

    provider: str | None
    model: str | None
    status: int
    rejected: str | None = None
    headers: dict = field(default_factory=dict, repr=False)   # never printed: they hold keys

    def as_dict(self) -> dict:
        return {"provider": self.provider, "model": self.model, "status": self.status,
                "rejected": self.rejected, "headers_sent": sorted(self.headers)}


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

    def as_dict(self) -> dict:
        out = asdict(self)
        out["attempts"] = [a.as_dict() for a in self.attempts]
        out["ok"] = self.ok
        return out


def _same_model(arrived: str, expected: str) -> bool:
    # Real providers may answer with a dated or prefixed name (gpt-5.2 -> gpt-5.2-2025-12-01).
    return arrived == expected or arrived.startswith(expected + "-") or arrived.endswith("/" + expected)


def words(count: int) -> str:
    """Text of exactly `count` cl100k_base tokens."""
    return "hello" + " hello" * (count - 1)


def _request(text: str = "Reply with one word: ok", model: str = SONNET, **extra) -> dict:
    return {"model": model, "max_tokens": 16, "messages": [{"role": "user", "content": text}], **extra}


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
    add("webSearch", _request(tools=[{"type": "web_search_20250305", "name": "web_search", "max_uses": 1}]))
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
        chain = {_use_name(e) for e in upstream.chain + upstream.model_chains.get(model, [])}
        return [n for n in names if n in chain]

    def planned_headers(self, provider: str, model: str) -> dict | None:
        upstream = self.plan.upstreams.get(provider)
        return dict(upstream.headers_and_steps(model, self.plan.customs)[0]) if upstream else None

    def close(self) -> None:
        self.handle.stop()


def _use_name(entry) -> str:
    return str(entry[0]) if isinstance(entry, list) and entry else str(entry)


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

@dataclass
class _Exchange:
    """What the client side saw of one request."""

    status: int | None = None
    answer: object = None
    error: str | None = None
    fallback: str | None = None     # x-ccrgen-fallback
    served_by: str | None = None    # x-ccrgen-model
    latency_ms: float = 0.0


def run(loaded, *, via: str = "ccrgen", mock_upstream: bool = False, all_models: bool = False,
        ccr: str | None = None, env=None, progress: Callable[[Outcome], None] | None = None,
        timeout: float = 120) -> tuple[list[Outcome], list[str]]:
    env = os.environ if env is None else env
    plan = scenarios(as_ccr_sees_it(loaded.config, env), all_models)
    judge = _Judge(loaded, env, via)
    target = _ThroughCcr(loaded, mock_upstream, ccr, env) if via == "ccr" else _ThroughCcrgen(loaded, mock_upstream)
    outcomes = []
    try:
        for scenario in plan:
            if scenario.skipped:
                outcome = Outcome(scenario.route, scenario.expected, None, None, 0.0, SKIPPED, note=scenario.skipped)
            else:
                mark = target.mark()
                exchange = _send(target, scenario, timeout)
                outcome = judge(scenario, exchange, target, target.attempts_since(mark))
            outcomes.append(outcome)
            if progress:
                progress(outcome)
    finally:
        target.close()
    return outcomes, list(target.notes)


def _send(target: _Target, scenario: Scenario, timeout: float) -> _Exchange:
    parsed = urlparse(target.url)
    headers = {"content-type": "application/json", "anthropic-version": "2023-06-01"}
    if target.key:
        headers["x-api-key"] = target.key
    started = time.perf_counter()
    seen = _Exchange()
    try:
        conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=timeout)
        try:
            conn.request("POST", "/v1/messages", body=json.dumps(scenario.body), headers=headers)
            response = conn.getresponse()
            raw = response.read()
            seen.status = response.status
            seen.fallback = response.getheader(FALLBACK_HEADER)
            seen.served_by = response.getheader(MODEL_HEADER)
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
    seen.latency_ms = (time.perf_counter() - started) * 1000
    return seen


# -- judging --------------------------------------------------------------------------------

class _Judge:
    """Turns what was seen of one request into its verdict, with the cause and the fix."""

    def __init__(self, loaded, env, via: str):
        self.loaded = loaded
        self.env = env
        self.via = via
        self.config = as_ccr_sees_it(loaded.config, env)
        self.providers = {str(p.get("name")): p for p in providers_of(self.config) if isinstance(p, dict)}
        from ccrgen.common.secrets import is_reference

        keys = [p.get("api_key") for p in self.providers.values()] + [self.config.get("APIKEY")]
        self.secrets = [str(k) for k in keys if k and not is_reference(str(k))]   # `$NAME` is no secret
        self._findings = None

    def profile(self, provider: str) -> ProviderProfile:
        entry = self.providers.get(provider) or {}
        return provider_profile(provider, str(entry.get("api_base_url") or ""), uses_of(entry)[0])

    def __call__(self, scenario: Scenario, seen: _Exchange, target: _Target, attempts: list[Attempt]) -> Outcome:
        arrived = attempts[-1].model if attempts else (
            seen.answer.get("model") if seen.status and seen.status < 300 and isinstance(seen.answer, dict) else None)
        outcome = Outcome(scenario.route, scenario.expected, arrived, seen.status, seen.latency_ms,
                          note=scenario.note, attempts=attempts)
        headers = attempts[0].headers if attempts else target.planned_headers(scenario.provider, scenario.model)
        outcome.verdict, outcome.problem = self._verdict(scenario, seen, target, attempts, headers)
        first = attempts[0] if attempts else None
        if headers is not None and not (first and first.provider is None) and \
                self._auth_problem(scenario, first, headers) is None:
            outcome.warnings = self.profile(first.provider if first else scenario.provider).auth_warnings(headers)
        outcome.unreachable = outcome.verdict == FAIL and _unreachable(seen)
        if outcome.problem:
            from ccrgen.common.secrets import mask_text

            outcome.problem = mask_text(outcome.problem, self.secrets)
        return outcome

    def _verdict(self, scenario, seen, target, attempts, headers) -> tuple[str, str | None]:
        if seen.status is None:
            return FAIL, seen.error
        primary = attempts[0] if attempts else None
        problem = self._auth_problem(scenario, primary, headers, seen.status)
        if problem is not None:
            cause = self.auth_cause(scenario.provider, scenario.model, problem, headers)
            if len(attempts) > 1 and 200 <= seen.status < 300:
                cause += f" (its fallback {attempts[-1].provider},{attempts[-1].model} answered instead)"
            return FAIL, cause
        if not 200 <= seen.status < 300:
            return FAIL, self._refusal(scenario, seen, primary)
        served = attempts[-1] if attempts else None
        if len(attempts) > 1 or seen.fallback:
            how = (f"{primary.provider or scenario.provider},{primary.model} answered HTTP {primary.status}"
                   if primary else f"{scenario.expected} failed")
            by = (f"{served.provider},{served.model}" if served and served.provider else
                  seen.served_by or f"entry {seen.fallback} of its fallback list")
            return FALLBACK, f"only through its fallback: {how}, {by} answered instead; fix the route's own provider"
        arrived = served.model if served else (seen.answer.get("model") if isinstance(seen.answer, dict) else None)
        if arrived is None:
            return FAIL, "the answer names no model, so smoke cannot tell which one answered"
        if not _same_model(arrived, scenario.model):
            backup = self._fallback_serving(scenario.route, arrived)
            if backup:
                return FALLBACK, (f"only through its fallback: {backup} answered instead of {scenario.expected}; "
                                  "fix the route's own provider")
            return FAIL, f"model '{arrived}' arrived, but the route names '{scenario.model}'"
        missing = target.unverified(scenario.provider, scenario.model)
        if missing:
            names = ", ".join(f"'{n}'" for n in missing)
            return NOT_VERIFIED, (f"ccrgen serve does not implement transformer {names} of provider "
                                  f"{scenario.provider}, so this is not the request CCR would send; "
                                  "run `ccrgen smoke --via ccr` to test it through CCR")
        return OK, None

    def _fallback_serving(self, route: str, arrived: str) -> str | None:
        """The entry of the route's `fallback` list whose model answered, if one did."""
        fallback = self.loaded.config.get("fallback")
        entries = fallback.get(route) if isinstance(fallback, dict) else None
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, str) and _same_model(arrived, entry.partition(",")[2]):
                return entry
        return None

    def _auth_problem(self, scenario, primary: Attempt | None, headers,
                      status: int | None = None) -> AuthProblem | None:
        """What the provider's profile says is wrong with the auth that left: judged on what
        reached the mock; with a real provider (headers from serve's plan) only to explain
        a refusal, since a real 2xx is the provider's own word."""
        if primary is not None:
            if primary.provider is None:   # the mock's plain path: auth is not judged there
                return None
            return self.profile(primary.provider).auth_problem(primary.headers)
        if headers is None or (status is not None and 200 <= status < 300):
            return None
        return self.profile(scenario.provider).auth_problem(headers)

    def _refusal(self, scenario, seen: _Exchange, primary: Attempt | None) -> str:
        text = " ".join(str(seen.error or f"HTTP {seen.status}").split("\n")[0].split())
        if len(text) > 300:
            text = text[:300] + "..."
        if _unreachable(seen):
            where = "check the provider's api_base_url, and that it is up" if self.via == "ccrgen" or \
                primary is None else "check CCR's log"
            return f"{scenario.provider} could not be reached: {text}; {where}"
        if primary is not None and primary.status >= 400:
            return f"the upstream answered HTTP {primary.status}: {text}"
        return f"HTTP {seen.status}: {text}"

    # -- causes of a wrong auth header ------------------------------------------------------
    def auth_cause(self, provider: str, model: str, problem: AuthProblem, headers) -> str:
        """One line: why the header `problem` names was wrong, and how to fix it."""
        profile = self.profile(provider)
        header = header_title(problem.header)
        if problem.reason == "literal":
            name = problem.literal.strip("${}")
            return (f"${name} is not set, so {provider} got the literal text `{problem.literal}` in its {header} "
                    f"header; export {name} before starting CCR (and this smoke test)")
        if problem.reason == "empty":
            return f"the {header} header reached {provider} empty; give provider {provider} its key (`api_key`)"
        if problem.reason == "scheme":
            return (f"the {header} header that reached {provider} is not `Bearer <key>`; {profile.title} takes "
                    f"`{profile.auth.described}`: check the transformers in {provider}'s `use` list")
        if problem.header != "authorization":
            return self._header_transformer_cause(provider, model, profile, header)
        sent = ", ".join(sorted(headers or {})) or "none"
        return (f"no Authorization header reached {provider} (headers sent: {sent}): a transformer in its `use` "
                f"list removes it; {profile.title} takes `{profile.auth.described}`: take that transformer out")

    def _header_transformer_cause(self, provider: str, model: str, profile: ProviderProfile, header: str) -> str:
        unloaded = self._unloaded_transformers(provider, model)
        if unloaded:
            path, finding = unloaded[0]
            why = f" ({finding.message.replace(repr(path) + ' ', '')})" if finding is not None else ""
            hint = f"{finding.hint}" if finding is not None and finding.hint else "write the absolute path"
            if finding is not None and _lint_can_fix(finding):
                hint += ", or run `ccrgen lint --fix`"
            return f"the transformer at {path} was never loaded{why}, so no {header} header was sent; {hint}"
        names = self._chain_names(provider, model)
        url = str((self.providers.get(provider) or {}).get("api_base_url") or "")
        if profile.native_transformer and profile.is_native(url) and profile.native_transformer not in names:
            return (f"no {header} header was sent: {provider}'s api_base_url is {profile.title}'s native API, "
                    f"which takes `{profile.auth.described}` and requests in its own format, as only the "
                    f"'{profile.native_transformer}' transformer sends them; add "
                    f"\"transformer\": {{\"use\": [\"{profile.native_transformer}\"]}} to {provider}")
        preset = f" (`ccrgen build --preset {profile.preset}` writes one)" if profile.preset else ""
        if names:
            listed = ", ".join(f"'{n}'" for n in names)
            return (f"no {header} header was sent: {profile.title} takes `{profile.auth.described}`, and no "
                    f"transformer in {provider}'s `use` list ({listed}) puts the key there; register a header "
                    f"transformer in `transformers` and name it in `use`{preset}")
        return (f"no {header} header was sent: {profile.title} takes `{profile.auth.described}`, but {provider} "
                f"has no transformer that puts it there (requests go out with Authorization: Bearer); in a spec "
                f"give the provider `auth: {{header: {profile.auth.header}}}`{preset}")

    def _chain_names(self, provider: str, model: str) -> list[str]:
        chain, per_model = uses_of(self.providers.get(provider) or {})
        return [_use_name(e) for e in chain + per_model.get(model, [])]

    def _unloaded_transformers(self, provider: str, model: str) -> list[tuple[str, object]]:
        """(path, lint finding) of each `transformers` entry CCR cannot load, those whose
        file name mentions a transformer the provider uses first."""
        entries = self.loaded.config.get("transformers")
        names = [n.lower() for n in self._chain_names(provider, model) if n not in facts.BUILTIN_TRANSFORMERS]
        if not isinstance(entries, list) or not names:   # the provider names no custom transformer
            return []
        findings = self._path_findings()
        out = []
        for index, entry in enumerate(entries):
            path = entry.get("path") if isinstance(entry, dict) else None
            if isinstance(path, str) and index in findings:
                out.append((path, findings[index]))
        out.sort(key=lambda item: not any(n in Path(item[0]).name.lower() for n in names))
        return out

    def _path_findings(self) -> dict[int, object]:
        """transformers[i] -> the lint error about its path (it cannot be loaded as written)."""
        if self._findings is None:
            from ccrgen.lint.engine import lint

            self._findings = {}
            for finding in lint(self.loaded, env=self.env):
                where = finding.config_path or ()
                if finding.severity == "error" and len(where) == 3 and where[0] == "transformers" \
                        and where[2] == "path":
                    self._findings.setdefault(where[1], finding)
        return self._findings


def _lint_can_fix(finding) -> bool:
    """`ccrgen lint --fix` has a certain fix for this kind of finding."""
    try:
        from ccrgen.lint.fixes import BUILDERS
    except ImportError:
        return False
    return finding.fix is not None or finding.code in BUILDERS


def _unreachable(seen: _Exchange) -> bool:
    if seen.status is None:
        return True
    text = str(seen.error or "").lower()
    return seen.status in (500, 502, 503, 504) and any(sign in text for sign in UNREACHABLE_SIGNS)


# -- reporting ------------------------------------------------------------------------------

def exit_code(outcomes: list[Outcome]) -> int:
    """0 all tested routes ok; 1 a route failed (or is unverified, or needed its fallback);
    4 nothing failed but a provider or CCR could not be reached."""
    failed = [o for o in outcomes if o.tested and not o.ok]
    if any(not o.unreachable for o in failed):
        return 1
    return 4 if failed else 0


def progress_line(outcome: Outcome) -> str:
    if outcome.verdict == SKIPPED:
        return f"skip {outcome.route}: {outcome.note}"
    mark = {OK: "ok  ", FAIL: "FAIL", FALLBACK: "FAIL", NOT_VERIFIED: "not verified"}[outcome.verdict]
    status = outcome.status if outcome.status is not None else "-"
    line = (f"{mark} {outcome.route}: {outcome.expected} -> {outcome.arrived or '-'} (HTTP {status}, "
            f"{outcome.latency_ms:.0f} ms)")
    if outcome.problem:
        line += f": {outcome.problem}"
    for warning in outcome.warnings:
        line += f"\n     warning: {warning}"
    return line


def table(outcomes: list[Outcome]) -> str:
    rows = [("route", "expected", "reached upstream", "status", "latency", "result")]
    for o in outcomes:
        if o.verdict == SKIPPED:
            rows.append((o.route, "-", "-", "-", "-", "skipped"))
            continue
        result = o.verdict + (" (warning)" if o.warnings and o.ok else "")
        rows.append((o.route, o.expected, o.arrived or "-", str(o.status or "-"), f"{o.latency_ms:.0f} ms", result))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows)


def findings(outcomes: list[Outcome]) -> list[str]:
    """One line per distinct problem or warning, naming the routes it applies to."""
    grouped: dict[tuple[str, str], list[str]] = {}
    for o in outcomes:
        if o.problem:
            grouped.setdefault((o.verdict, o.problem), []).append(o.route)
        elif o.verdict == SKIPPED:
            grouped.setdefault((SKIPPED, o.note), []).append(o.route)
        for warning in o.warnings:
            grouped.setdefault(("warning", warning), []).append(o.route)
    return [f"{kind} {', '.join(routes)}: {text}" for (kind, text), routes in grouped.items()]


def summary(outcomes: list[Outcome], via: str, mock_upstream: bool) -> str:
    tried = [o for o in outcomes if o.tested]
    good = [o for o in tried if o.ok]
    extra = [f"{sum(o.verdict == kind for o in outcomes)} {kind}" for kind in (NOT_VERIFIED, FALLBACK, SKIPPED)
             if any(o.verdict == kind for o in outcomes)]
    return (f"{len(good)} of {len(tried)} routes reached their model (via {via}"
            f"{', mock upstream' if mock_upstream else ''})" + (f"; {', '.join(extra)}" if extra else ""))


def as_json(outcomes: list[Outcome], notes: list[str], via: str, mock_upstream: bool) -> str:
    return json.dumps({"via": via, "mock_upstream": mock_upstream, "ok": exit_code(outcomes) == 0,
                       "exit_code": exit_code(outcomes), "notes": notes,
                       "routes": [o.as_dict() for o in outcomes]}, indent=2)
