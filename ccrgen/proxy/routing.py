"""CCR 2.0.0's routing as a pure function of (request, config, session usage): the seven
rules of packages/core/src/utils/router.ts in its order, quirks included (see
shared/ccr-2.0.0-facts.md). `ccrgen route`, `serve` and `smoke` all call `choose_route`."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ccrgen.ccr import facts
from ccrgen.ccr.config import providers_of

SUBAGENT = re.compile(r"<CCR-SUBAGENT-MODEL>(.*?)</CCR-SUBAGENT-MODEL>", re.S)
LAST_USAGE_MIN_TOKENS = 20000


@dataclass(frozen=True)
class RouteDecision:
    route: str              # explicit, longContext, subagent, background, webSearch, think, default
    provider: str
    model: str
    reason: str
    token_count: int | None
    body: dict = field(repr=False, compare=False)   # the request as CCR forwards it

    @property
    def target(self) -> str:
        return f"{self.provider},{self.model}"


class SessionUsage:
    """Last usage per session id, for CCR's rule: a session whose last request was long
    stays on long context while requests are above 20,000 tokens. An LRU of `limit`
    sessions (ccrgen.common.limits.MAX_SESSIONS_TRACKED: 100, CCR 2.0.0's `new D6(100)`; a read
    refreshes a session as CCR's does), so new session ids cannot grow the proxy's memory."""

    def __init__(self, limit: int | None = None) -> None:
        from collections import OrderedDict

        from ccrgen.common.limits import MAX_SESSIONS_TRACKED

        self.limit = limit if limit is not None else MAX_SESSIONS_TRACKED
        self.last: OrderedDict[str, dict] = OrderedDict()

    def record(self, session_id: str | None, usage: dict) -> None:
        if session_id:
            self.last[session_id] = usage
            self.last.move_to_end(session_id)
            while len(self.last) > self.limit:
                self.last.popitem(last=False)

    def get(self, session_id: str | None) -> dict | None:
        if not session_id or session_id not in self.last:
            return None
        self.last.move_to_end(session_id)
        return self.last[session_id]

    def __len__(self) -> int:
        return len(self.last)


def session_id_of(body: dict) -> str | None:
    user_id = (body.get("metadata") or {}).get("user_id") if isinstance(body.get("metadata"), dict) else None
    if isinstance(user_id, str) and "_session_" in user_id:
        return user_id.split("_session_")[1]
    return None


def threshold_of(router: dict) -> int:
    value = router.get("longContextThreshold")
    return value if value else facts.DEFAULT_LONG_CONTEXT_THRESHOLD  # CCR: `|| 60000`


def choose_route(body: dict, config: dict, usage: SessionUsage | None = None,
                 token_count: int | None = None) -> RouteDecision:
    from ccrgen.proxy.tokens import CountingFailed, count_tokens

    body = dict(body)  # the caller's request is never changed: only model and system[1] are rewritten
    router = config.get("Router") if isinstance(config.get("Router"), dict) else {}
    model = body.get("model") or ""
    if token_count is None:
        try:
            token_count = count_tokens(body)
        except CountingFailed as exc:
            return _decide("default", router.get("default"), body,
                           f"token counting failed ({exc}); CCR falls back to Router.default", None)
    threshold = threshold_of(router)

    if "," in model:  # 1. explicit provider,model: only a lower-case request matches
        parts = model.split(",")
        wanted_provider, wanted_model = parts[0], parts[1] if len(parts) > 1 else ""
        for provider in providers_of(config):
            if isinstance(provider, dict) and str(provider.get("name", "")).lower() == wanted_provider:
                found = next((m for m in provider.get("models") or []
                              if isinstance(m, str) and m.lower() == wanted_model), None)
                if found is not None:
                    return _decide("explicit", f"{provider['name']},{found}", body,
                                   "the request names provider,model", token_count)
        return _decide("explicit", model, body,
                       "the request names provider,model (passed on as written: no lower-case match)", token_count)

    last = usage.get(session_id_of(body)) if usage is not None else None
    long_by_last = bool(last) and (last.get("input_tokens") or 0) > threshold and token_count > LAST_USAGE_MIN_TOKENS
    if (token_count > threshold or long_by_last) and router.get("longContext"):  # 2.
        why = (f"{token_count} tokens > threshold {threshold}" if token_count > threshold else
               f"the session's last request used {last.get('input_tokens')} tokens > {threshold}, "
               f"and this one has {token_count} > {LAST_USAGE_MIN_TOKENS}")
        return _decide("longContext", router["longContext"], body, why, token_count)

    system = body.get("system")
    if isinstance(system, list) and len(system) > 1 and isinstance(system[1], dict):  # 3.
        text = system[1].get("text")
        if isinstance(text, str) and text.startswith("<CCR-SUBAGENT-MODEL>"):
            match = SUBAGENT.search(text)
            if match:
                body["system"] = system = list(system)
                system[1] = dict(system[1], text=text.replace(match.group(0), "", 1))
                return _decide("subagent", match.group(1), body,
                               "system[1] starts with a <CCR-SUBAGENT-MODEL> tag", token_count)

    if "claude" in model and "haiku" in model and router.get("background"):  # 4.
        return _decide("background", router["background"], body, f"'{model}' is a Claude Haiku model", token_count)

    tools = body.get("tools")
    if isinstance(tools, list) and router.get("webSearch") and any(  # 5.
            isinstance(t, dict) and str(t.get("type") or "").startswith("web_search") for t in tools):
        return _decide("webSearch", router["webSearch"], body, "a web_search tool is offered", token_count)

    if _js_truthy(body.get("thinking")) and router.get("think"):  # 6. {"type": "disabled"} and {} count
        return _decide("think", router["think"], body, "the request has `thinking`", token_count)

    return _decide("default", router.get("default"), body, "no other rule matched", token_count)  # 7.


def _js_truthy(value) -> bool:
    """JavaScript's truthiness, which CCR's `if (req.body.thinking)` uses: every object and
    array is true, even an empty one."""
    if isinstance(value, (dict, list)):
        return True
    return bool(value) and value == value  # NaN is false


def _decide(route: str, target, body: dict, reason: str, token_count: int | None) -> RouteDecision:
    target = target if isinstance(target, str) else ""
    provider, _, model = target.partition(",")
    body["model"] = target
    return RouteDecision(route, provider, model, reason, token_count, body)
