"""How a lint rule is declared. Each rule has a stable code, a severity, a one-line summary,
why it matters and how to fix it; `ccrgen rules` and the README's rule list are generated
from these declarations.

A rule's check is a function of a `LintContext` that yields `Hit`s; the engine turns hits
into located `Finding`s.
"""

from __future__ import annotations

from typing import Callable, Iterable, Mapping

from ccrgen.common.values import Value

RULES: dict[str, "Rule"] = {}

# Plain values (ccrgen.common.values), not dataclasses: lint imports this on every run.


class Hit(Value):
    """One offending value a rule's check found."""

    __slots__ = ("path", "message", "hint", "severity")

    def __init__(self, path: tuple, message: str, hint: str | None = None, severity: str | None = None) -> None:
        self.path = path                # config path of the offending value
        self.message = message
        self.hint = hint
        self.severity = severity        # overrides the rule's severity for this hit


class Rule(Value):
    """A rule's declaration (see `rule`); `check` is None for a code reported elsewhere."""

    __slots__ = ("code", "name", "severity", "summary", "why", "fix", "check", "severity_why", "environment")

    def __init__(self, code: str, name: str, severity: str, summary: str, why: str, fix: str,
                 check: Callable[["LintContext"], Iterable[Hit]] | None, severity_why: str = "",
                 environment: bool = False) -> None:
        self.code = code
        self.name = name
        self.severity = severity
        self.summary = summary
        self.why = why
        self.fix = fix
        self.check = check
        self.severity_why = severity_why    # why the rule has its severity, under the policy below
        self.environment = environment      # the finding depends on this machine, not on the file

    # `check` takes no part in comparisons or the repr, as before
    _KEY = ("code", "name", "severity", "summary", "why", "fix", "severity_why", "environment")


# The severity policy every rule follows (docs/rules.md prints it).
SEVERITY_POLICY = {
    "error": "CCR will certainly fail, or silently ignores what the user wrote (a dropped provider, "
             "a transformer that never runs, a key that is never interpolated, a route that can never "
             "match, an option that is thrown away).",
    "warning": "probably wrong, or right only in unusual setups.",
    "info": "style: nothing breaks.",
}


class LintContext:
    """What every rule reads: the loaded config, the environment, and views of the config
    that several rule families need (computed once, on first use)."""

    def __init__(self, loaded, env: Mapping[str, str], _cache: dict | None = None,
                 typed: dict | None = None) -> None:
        self.loaded = loaded            # ccrgen.spec.loader.LoadedConfig
        self.env = env
        self._cache: dict = {} if _cache is None else _cache
        self.typed = typed              # the config with every value of the wrong type left out

    def __repr__(self) -> str:
        return f"LintContext(loaded={self.loaded!r}, env=..., typed={self.typed!r})"

    @property
    def config(self) -> dict:
        """The well-typed part of the config: every value the schema types has its type here
        (the engine leaves the others out and reports them as CCR004). Rules read this."""
        return self.loaded.config if self.typed is None else self.typed

    @property
    def raw(self) -> dict:
        """The config as written, wrong types included: only for rules that judge a value of the
        wrong type themselves (they must not assume any type)."""
        return self.loaded.config

    def _once(self, key, compute):
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

    @property
    def providers_key(self) -> str:
        from ccrgen.ccr.config import providers_key

        return providers_key(self.config)

    @property
    def providers(self) -> list[tuple[tuple, dict]]:
        """(config path, provider) for every provider entry that is a mapping."""
        def compute():
            from ccrgen.ccr.config import providers_of

            key = self.providers_key
            return [((key, i), p) for i, p in enumerate(providers_of(self.config)) if isinstance(p, dict)]

        return self._once("providers", compute)

    @property
    def providers_by_name(self) -> dict[str, dict]:
        """Providers as CCR registers them: by exact name, the last one winning."""
        return self._once("by_name", lambda: {
            p["name"]: p for _, p in self.providers if isinstance(p.get("name"), str)})

    @property
    def router(self) -> dict:
        router = self.config.get("Router")
        return router if isinstance(router, dict) else {}

    @property
    def routes(self) -> list[tuple[tuple, str]]:
        """(config path, value) for every Router route and fallback entry that is a string."""
        def compute():
            from ccrgen.ccr import facts

            found = []
            for name in facts.ROUTE_NAMES:
                value = self.router.get(name)
                if isinstance(value, str) and value:
                    found.append((("Router", name), value))
            fallback = self.config.get("fallback")
            if isinstance(fallback, dict):
                for route, chain in fallback.items():
                    if isinstance(chain, list):
                        found += [(("fallback", route, i), v) for i, v in enumerate(chain)
                                  if isinstance(v, str) and v]
            return found

        return self._once("routes", compute)

    def route_target(self, route: str) -> tuple[str, str] | None:
        """(provider, model) of a Router route written as `provider,model`, else None."""
        value = self.router.get(route)
        if isinstance(value, str) and "," in value:
            provider, model = value.split(",", 1)
            return provider, model
        return None

    def model_info(self, route: str):
        """What is known about the route's model: the spec's own metadata, else the bundled
        presets' catalog (ccrgen.lint.rules.catalog), else None."""
        target = self.route_target(route)
        if not target:
            return None
        from ccrgen.lint.rules.catalog import known_model

        models = getattr(self.loaded, "models", None) or {}
        return models.get(target) or known_model(target[1])


def rule(*, code: str, name: str, severity: str, summary: str, why: str, fix: str,
         severity_why: str, environment: bool = False):
    """Register a rule. `severity_why` says why it has its severity under SEVERITY_POLICY."""
    if severity not in SEVERITY_POLICY or not severity_why.strip():
        raise RuntimeError(f"{code}: a severity from the policy and the reason for it are required")

    def register(check):
        if code in RULES:
            raise RuntimeError(f"duplicate rule code {code}")
        RULES[code] = Rule(code, name, severity, summary, why.strip(), fix.strip(), check,
                           " ".join(severity_why.split()), environment)
        return check

    return register


def reported_elsewhere(*, code: str, name: str, severity: str, summary: str, why: str, fix: str,
                       severity_why: str) -> None:
    """A documented code whose findings come from another stage (e.g. spec validation)."""
    rule(code=code, name=name, severity=severity, summary=summary, why=why, fix=fix,
         severity_why=severity_why)(None)
