"""CCR 2.0.0's `fallback` lists as pure decisions: which `provider,model` is tried next when
a provider fails, and which failures lead there (packages/core/src/api/routes.ts,
handleTransformerEndpoint and handleFallback at v2.0.0; checked against the real CCR in
tests/test_fallback_vs_ccr.py).

- The list is `fallback[<scenario>]`. The scenario is the route's name, except that an
  explicit `provider,model` request and a subagent tag count as "default" (CCR's router
  says `scenarioType: "default"` for both), so they use `fallback.default`.
- Only an HTTP error status (any non-2xx, streamed request or not) of the first attempt
  starts the list. A network error or timeout, a 2xx answer that cannot be read, and a
  route whose provider is not registered are answered as they are, list or not.
- Within the list every failure of any kind moves on to the next entry; an entry whose
  provider is not registered is skipped. An entry is split on its first comma
  (`provider,model`), used exactly as written (no lower-case matching).
- When every entry fails the client gets the first attempt's error.

ccrgen serve says which entry served with `x-ccrgen-fallback: <n>` (1 = the list's first
entry) next to `x-ccrgen-model: <provider,model that served>`.
"""

from __future__ import annotations

from dataclasses import dataclass

from ccrgen.ccr import facts

FALLBACK_HEADER = "x-ccrgen-fallback"


@dataclass(frozen=True)
class Candidate:
    provider: str
    model: str
    position: int       # 0 = the route's own model, n = the n-th entry of the fallback list


def scenario_of(route: str) -> str:
    """CCR's scenarioType for one of routing.choose_route's route names."""
    return route if route in facts.FALLBACK_ROUTES else "default"


def fallback_list(route: str, config: dict) -> list[str]:
    table = config.get("fallback")
    entries = table.get(scenario_of(route)) if isinstance(table, dict) else None
    return [e for e in entries if isinstance(e, str)] if isinstance(entries, list) else []


def split_entry(entry: str) -> tuple[str, str]:
    provider, _, model = entry.partition(",")
    return provider, model


def candidates(route: str, provider: str, model: str, config: dict) -> list[Candidate]:
    """The route's own target first, then its fallback list, in order."""
    out = [Candidate(provider, model, 0)]
    for position, entry in enumerate(fallback_list(route, config), start=1):
        out.append(Candidate(*split_entry(entry), position))
    return out


def starts_fallback(upstream_status: int | None) -> bool:
    """Does the first attempt's failure start the list? Only an HTTP error status does
    (None: the provider gave no status: network error, timeout)."""
    return upstream_status is not None and not 200 <= upstream_status < 300
