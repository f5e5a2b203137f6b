"""The verdict on one `ccrgen smoke` route: pure functions from what was sent, what came back
and what the mock upstream recorded, to a `Verdict`. Nothing here sends or prints anything.

The rules, first match wins (`_verdict`):

1. no HTTP answer at all (ccrgen's proxy or CCR did not answer) ......... FAIL
2. the auth that left is not what the provider takes ................... FAIL: its cause and fix
   (not verified when the chain has a built-in whose headers serve does not reproduce,
   unless the key itself is empty or an uninterpolated `$NAME`: CCR would send that too)
3. an answer that is not 2xx ........................................... FAIL (not verified
   as in 2, when the provider refused what serve sent)
4. it succeeded only through the route's `fallback` list ................ fallback
5. the answer names no model ........................................... FAIL
6. another model answered: one of the route's fallback list ............ fallback, else FAIL
7. ccrgen serve does not implement a transformer of the route's chain ... not verified
8. otherwise ............................................................ ok

A FAIL is `unreachable` (exit 4 rather than 1) when the provider could not be reached at all,
judged by what happened and never by the wording of an error message (`unreachable_reason`):
smoke's own connection failed; ccrgen serve said so in `x-ccrgen-unreachable`; or CCR 2.0.0
answered with the error fetch itself threw (`TypeError: fetch failed`, or its timeout),
which CCR passes on as its own `internal_error` (a provider's answer comes back as
`provider_response_error` instead). A request the mock upstream recorded was never
unreachable.
"""

from __future__ import annotations

import errno
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ccrgen.ccr import facts
from ccrgen.ccr.config import as_ccr_sees_it, providers_of
from ccrgen.ccr.providers import AuthProblem, ProviderProfile, header_title, provider_profile
from ccrgen.proxy.upstream import uses_of

if TYPE_CHECKING:
    from ccrgen.proxy.smoke import Scenario

OK, FAIL, FALLBACK, NOT_VERIFIED, SKIPPED = "ok", "FAIL", "fallback", "not verified", "skipped"
UNREACHABLE_HEADER = "x-ccrgen-unreachable"   # ccrgen serve: the provider could not be reached (why)
# CCR 2.0.0 answers a fetch that threw with {"error": {"message": message + stack, "code": ...}}:
# undici's network error (refused, DNS, reset, connect timeout) is `TypeError: fetch failed`,
# and the abort of its request timeout a DOMException TimeoutError, whose code is 23.
CCR_OWN_ERROR = "internal_error"
CCR_FETCH_FAILED = ("TypeError", "fetch failed")
CCR_TIMEOUT_CODE = 23


@dataclass
class Attempt:
    """One request that reached the (mock) upstream, in the order they arrived."""

    provider: str | None
    model: str | None
    status: int
    rejected: str | None = None
    headers: dict = field(default_factory=dict, repr=False)   # never printed: they hold keys


@dataclass
class Exchange:
    """What the client side saw of one request."""

    status: int | None = None
    answer: object = None
    error: str | None = None
    fallback: str | None = None     # x-ccrgen-fallback
    served_by: str | None = None    # x-ccrgen-model
    latency_ms: float = 0.0
    no_answer: str | None = None    # why no HTTP answer came (connection_failure of the exception)
    unreachable: str | None = None  # x-ccrgen-unreachable


@dataclass(frozen=True)
class Sent:
    """What smoke knows left for the provider, besides what the mock recorded."""

    scenario: "Scenario"
    planned_headers: dict | None = None    # the headers ccrgen serve sends (None through CCR)
    unverified: tuple[str, ...] = ()       # transformers of the chain ccrgen serve does not reproduce


@dataclass(frozen=True)
class Verdict:
    verdict: str
    problem: str | None       # one line: what went wrong, and how to fix it
    arrived: str | None       # the model the upstream received (mock) or answered as (real)
    warnings: list[str] = field(default_factory=list)
    unreachable: str | None = None   # a FAIL because the provider (or CCR) could not be reached: why


def judge(sent: Sent, seen: Exchange, attempts: list[Attempt], ctx: "Context") -> Verdict:
    scenario = sent.scenario
    first = attempts[0] if attempts else None
    headers = first.headers if first else sent.planned_headers
    verdict, problem = _verdict(sent, seen, attempts, headers, ctx)
    warnings = []
    if headers is not None and not (first and first.provider is None) and \
            ctx.auth_problem(scenario, first, headers) is None:
        warnings = ctx.profile(first.provider if first else scenario.provider).auth_warnings(headers)
    why = unreachable_reason(seen, attempts, ctx.via) if verdict == FAIL else None
    return Verdict(verdict, ctx.mask(problem) if problem else problem, arrived_model(seen, attempts), warnings, why)


def _verdict(sent: Sent, seen: Exchange, attempts: list[Attempt], headers, ctx: "Context") -> tuple[str, str | None]:
    scenario = sent.scenario
    if seen.status is None:                                                        # 1
        return FAIL, seen.error
    primary = attempts[0] if attempts else None
    problem = ctx.auth_problem(scenario, primary, headers, seen.status)
    if problem is not None:                                                        # 2
        cause = ctx.auth_cause(scenario.provider, scenario.model, problem, headers)
        if len(attempts) > 1 and 200 <= seen.status < 300:
            cause += f" (its fallback {attempts[-1].provider},{attempts[-1].model} answered instead)"
        if _headers_not_reproduced(sent) and problem.reason not in ("literal", "empty"):
            return NOT_VERIFIED, _not_reproduced(sent, scenario, cause)
        return FAIL, cause
    if not 200 <= seen.status < 300:                                               # 3
        refusal = _refusal(scenario, seen, primary, unreachable_reason(seen, attempts, ctx.via))
        if sent.unverified and primary is not None:   # the provider refused what CCR would not send
            return NOT_VERIFIED, _not_reproduced(sent, scenario, refusal)
        return FAIL, refusal
    served = attempts[-1] if attempts else None
    if len(attempts) > 1 or seen.fallback:                                         # 4
        how = (f"{primary.provider or scenario.provider},{primary.model} answered HTTP {primary.status}"
               if primary else f"{scenario.expected} failed")
        by = (f"{served.provider},{served.model}" if served and served.provider else
              seen.served_by or f"entry {seen.fallback} of its fallback list")
        return FALLBACK, f"only through its fallback: {how}, {by} answered instead; fix the route's own provider"
    arrived = served.model if served else (seen.answer.get("model") if isinstance(seen.answer, dict) else None)
    if arrived is None:                                                            # 5
        return FAIL, "the answer names no model, so smoke cannot tell which one answered"
    # the mock records the exact model sent; only a real provider's answer may name it dated
    if (arrived != scenario.model) if served else not same_model(arrived, scenario.model):   # 6
        backup = ctx.fallback_serving(scenario.route, arrived)
        if backup:
            return FALLBACK, (f"only through its fallback: {backup} answered instead of {scenario.expected}; "
                              "fix the route's own provider")
        return FAIL, f"model '{arrived}' arrived, but the route names '{scenario.model}'"
    if sent.unverified:                                                            # 7
        return NOT_VERIFIED, _not_reproduced(sent, scenario)
    return OK, None                                                                # 8


def _headers_not_reproduced(sent: Sent) -> bool:
    """Does the chain hold a built-in whose headers ccrgen serve does not send as CCR does?
    Serve sends CCR's headers for every chain but those of the Vertex transformers (Google
    Cloud credentials): a custom transformer's headers are probed, and outside its
    pass-through CCR's `Anthropic` sets none (the Bearer token goes out, as from serve)."""
    return any(name in facts.BUILTIN_TRANSFORMERS and name not in HEADERS_AS_CCR for name in sent.unverified)


HEADERS_AS_CCR = frozenset({"Anthropic"})


def _not_reproduced(sent: Sent, scenario, failed: str | None = None) -> str:
    """Why a route is not verified: ccrgen serve does not send what CCR would; and, when the
    provider refused what serve sent, that refusal (CCR's request may or may not fare better)."""
    names = ", ".join(f"'{n}'" for n in sent.unverified)
    text = (f"ccrgen serve does not implement transformer {names} of provider {scenario.provider}, so this is "
            "not the request CCR would send; run `ccrgen smoke --via ccr` to test it through CCR")
    return text if failed is None else f"{text} (what serve sent failed: {failed})"


def unreachable_reason(seen: Exchange, attempts: list[Attempt], via: str) -> str | None:
    """Why the provider (or CCR) could not be reached at all, or None when it was, or when
    nothing says it was not. Judged by what happened, never by an error message's words."""
    if seen.status is None:
        return seen.no_answer or "no answer"
    if attempts:   # the mock upstream received the request: the provider was reached
        return None
    if via == "ccrgen":
        return seen.unreachable
    error = seen.answer.get("error") if isinstance(seen.answer, dict) else None
    if not isinstance(error, dict) or seen.status != 500:
        return None
    if error.get("code") == CCR_TIMEOUT_CODE:
        return "timeout"
    if error.get("code") == CCR_OWN_ERROR and _ccr_caught(error, CCR_FETCH_FAILED):
        return "fetch failed"
    return None


def _ccr_caught(error: dict, exception: tuple[str, str]) -> bool:
    """CCR's error `message` is the caught exception's message followed by its stack, whose
    first line is `<name>: <message>`: so the first line tells the exception (name, message)."""
    name, message = exception
    return str(error.get("message") or "").split("\n", 1)[0] == f"{message}{name}: {message}"


def connection_failure(exc: OSError) -> str:
    """What a failed connection attempt (an OSError) means: refused, dns, timeout, or its errno."""
    if isinstance(exc, ConnectionRefusedError):
        return "refused"
    if isinstance(exc, socket.gaierror):
        return "dns"
    if isinstance(exc, TimeoutError):
        return "timeout"
    return errno.errorcode.get(exc.errno, type(exc).__name__) if exc.errno else type(exc).__name__


def exit_code(outcomes) -> int:
    """0 all tested routes ok; 1 a route failed (or is unverified, or needed its fallback);
    4 nothing failed but a provider or CCR could not be reached."""
    failed = [o for o in outcomes if o.tested and not o.ok]
    if any(not o.unreachable for o in failed):
        return 1
    return 4 if failed else 0


def arrived_model(seen: Exchange, attempts: list[Attempt]) -> str | None:
    """The model the mock received last, or (real provider) the one a 2xx answer names."""
    if attempts:
        return attempts[-1].model
    ok = seen.status and seen.status < 300 and isinstance(seen.answer, dict)
    return seen.answer.get("model") if ok else None


def same_model(arrived: str, expected: str) -> bool:
    # Real providers may answer with a dated or prefixed name (gpt-5.2 -> gpt-5.2-2025-12-01).
    return arrived == expected or arrived.startswith(expected + "-") or arrived.endswith("/" + expected)


def _refusal(scenario, seen: Exchange, primary: Attempt | None, unreachable: str | None) -> str:
    text = " ".join(str(seen.error or f"HTTP {seen.status}").split("\n")[0].split())
    if len(text) > 300:
        text = text[:300] + "..."
    if unreachable:
        return f"{scenario.provider} could not be reached: {text}; check the provider's api_base_url, and that it is up"
    if primary is not None and primary.status >= 400:
        return f"the upstream answered HTTP {primary.status}: {text}"
    return f"HTTP {seen.status}: {text}"


# -- what the config says: profiles, fallback lists, and the causes of a wrong auth header ----

class Context:
    """What the verdicts need to know of the config: the providers (as CCR sees them, with
    the environment), their profiles, the fallback lists, and why a header was wrong."""

    def __init__(self, loaded, env, via: str):
        from ccrgen.common.secrets import is_reference

        self.loaded = loaded
        self.env = env
        self.via = via
        self.config = as_ccr_sees_it(loaded.config, env)
        self.providers = {str(p.get("name")): p for p in providers_of(self.config) if isinstance(p, dict)}
        keys = [p.get("api_key") for p in self.providers.values()] + [self.config.get("APIKEY")]
        self.secrets = [str(k) for k in keys if k and not is_reference(str(k))]   # `$NAME` is no secret
        self._findings = None

    def mask(self, text: str) -> str:
        from ccrgen.common.secrets import mask_text

        return mask_text(text, self.secrets)

    def profile(self, provider: str) -> ProviderProfile:
        entry = self.providers.get(provider) or {}
        return provider_profile(provider, str(entry.get("api_base_url") or ""), uses_of(entry)[0])

    def fallback_serving(self, route: str, arrived: str) -> str | None:
        """The entry of the route's `fallback` list whose model answered, if one did."""
        fallback = self.loaded.config.get("fallback")
        entries = fallback.get(route) if isinstance(fallback, dict) else None
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, str) and same_model(arrived, entry.partition(",")[2]):
                return entry
        return None

    def auth_problem(self, scenario, primary: Attempt | None, headers,
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
        return [use_name(e) for e in chain + per_model.get(model, [])]

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


def use_name(entry) -> str:
    """The transformer name of one `use` entry (NAME or [NAME, {options}])."""
    return str(entry[0]) if isinstance(entry, list) and entry else str(entry)


def _lint_can_fix(finding) -> bool:
    """`ccrgen lint --fix` has a certain fix for this kind of finding."""
    try:
        from ccrgen.lint.fixes import BUILDERS
    except ImportError:
        return False
    return finding.fix is not None or finding.code in BUILDERS
