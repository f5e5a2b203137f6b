"""The CCR 3.1.1 target: the same spec as CCR 3.x's config (see shared/ccr-3.1.1-facts.md).

3.x dropped 2.0.0's routing keys, transformers and environment interpolation. What ccrgen
renders instead:

- providers: `name`, `api_base_url`, `api_key`, `models`; header auth (Hicap's `api-key`) as
  `extraHeaders: {HEADER: PREFIX+KEY, Authorization: ""}` (3.x blanks a header set to "");
- 2.0.0's scenarios as `Router.rules`, in 2.0.0's order of precedence (RULE_ORDER): an explicit
  `provider,model` for every configured model first, then long context, the subagent tag,
  background, web search, think, and default last (only for requests without a comma, so an
  explicit selector 3.x resolves itself still gets through);
- `gateway` host and port from `server.host`/`port`, the client key from `server.api_key`
  (applied as an api_keys row), `profile.enabled: false` unless `server.take_over_claude_code`.

The routing that still differs from 2.0.0 is DIFFERENCES (printed by `ccrgen build --target
ccr3` and `ccrgen lint --target ccr3` for a spec that hits one); spec features 3.x cannot express
are warned about by `unsupported`.

References (`$NAME`) stay in the rendered config: `--out` files keep them; `resolved` replaces
them from the environment for an install, because 3.x stores and sends the text as it is.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from typing import Callable, Mapping

from ccrgen.ccr import facts
from ccrgen.ccr.config import ENV_REFERENCE
from ccrgen.errors import Location, Problem, SpecError
from ccrgen.spec.model import ROUTE_KEYS, HeaderAuth, Spec

RULE_ID_PREFIX = "ccrgen-"
SUBAGENT_TAG = "<CCR-SUBAGENT-MODEL>{}</CCR-SUBAGENT-MODEL>"
# 2.0.0 takes any tool whose type starts with "web_search"; a 3.x condition can only match the
# whole type, so each known version gets a rule.
WEB_SEARCH_TOOL_TYPES = ("web_search_20250305",)
DEFAULT_THRESHOLD = 60000
OUT_FILE_NAME = "ccr3-config.json"
RULE_ORDER = ("explicit", "long_context", "subagent", "background", "web_search", "think", "default")

# Routing in 3.x that differs from 2.0.0 even with ccrgen's rules (documented in the README).
DIFFERENCES = {
    "long_context": "3.x estimates tokens as 1.15 x (words + punctuation marks), JSON keys included, not with "
                    "2.0.0's cl100k count, so a request near long_context_threshold can route differently; "
                    "2.0.0's session rule (the last answer was over the threshold and this request has more "
                    "than 20000 tokens) does not exist",
    "background": "3.x sends every model name containing 'haiku' to background (2.0.0: names "
                  "containing both 'claude' and 'haiku')",
    "web_search": "3.x matches the web_search tool type exactly (" + ", ".join(WEB_SEARCH_TOOL_TYPES)
                  + "); 2.0.0 takes any type starting with 'web_search'",
    "think": "3.x takes any `thinking` value but null/false as think; 2.0.0 any truthy value "
             "(the same for every object, {type: disabled} included)",
    "subagent": "3.x leaves the <CCR-SUBAGENT-MODEL> tag in the system prompt (2.0.0 removes it) "
                "and honours it only for configured models",
    "explicit": "an explicit provider,model that is not configured (or not in lower case) fails in 3.x "
                "('is not configured'); 2.0.0 sends the model name to the provider as written",
}


@dataclass
class Ccr3Build:
    config: dict                        # the keys ccrgen sets in 3.x's config; `$NAME` kept
    client_key: str | None              # server.api_key (a reference or a literal), or None
    warnings: list[Problem] = field(default_factory=list)      # unsupported + differences

    def out_text(self) -> str:
        """The file `--out` writes: the config with the client key as APIKEY, references kept."""
        data = dict(self.config)
        if self.client_key is not None:
            data["APIKEY"] = self.client_key
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def spec_of(loaded) -> Spec:
    """The spec behind `loaded`; a config.json is imported first (as `ccrgen import` does)."""
    if loaded.spec is not None:
        return loaded.spec
    from ccrgen.config.importer import import_config

    return spec_from_data(import_config(loaded, use_presets=False).spec, loaded.file)


def spec_from_data(data: dict, file: str) -> Spec:
    """A Spec from imported spec data (no `extends`); a SpecError if it does not validate."""
    from pydantic import ValidationError

    try:
        return Spec.model_validate({k: v for k, v in data.items() if k != "extends"})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise SpecError(f"{file}: cannot be built for CCR 3.x: {where}: {first.get('msg')}") from None


def build(loaded, spec: Spec | None = None) -> Ccr3Build:
    """The 3.x config of `loaded` (or of `spec`, when the caller imported it already)."""
    spec = spec or spec_of(loaded)
    locate = _locator(loaded)
    out = Ccr3Build(config={}, client_key=spec.server.api_key)
    cfg = out.config
    cfg["Providers"] = [_provider(name, provider) for name, provider in spec.providers.items()]
    for entry in cfg["Providers"]:   # 3.x ignores a rule whose target is not a configured model
        for model in unlisted_route_models(spec).get(entry["name"], []):
            entry["models"].append(model)
    cfg["Router"] = {"rules": rules(spec)}
    # ccrgen owns these: a value the spec no longer sets goes back to 2.0.0's default, never
    # stays behind from an earlier install (a stale CUSTOM_ROUTER_PATH would take over routing)
    cfg["Router"]["fallback"] = _fallback(spec) or {"mode": "off", "models": [], "retryCount": 1}
    port, port_note = _gateway_port(spec.server.port)
    cfg["gateway"] = {"enabled": True, "host": spec.server.host or facts.DEFAULT_HOST, "port": port}
    if spec.server.timeout_ms is not None:
        cfg["API_TIMEOUT_MS"] = spec.server.timeout_ms
    cfg["CUSTOM_ROUTER_PATH"] = spec.server.custom_router_path or ""
    cfg["profile"] = {"enabled": bool(spec.server.take_over_claude_code)}
    for key, value in spec.extra.items():
        if key not in DROPPED_TOP_LEVEL:
            cfg[key] = value
    out.warnings = unsupported(spec, locate) + differences(spec, locate)
    if port_note:
        out.warnings.append(Problem(port_note, locate(("server", "port")), "server.port",
                                    "write the port number for a CCR 3.x build"))
    return out


def _gateway_port(port) -> tuple[int, str | None]:
    """gateway.port is a number in 3.x's database: a `$NAME` port (which CCR 2.0.0 interpolates)
    is read from this environment now, with a note; unset or not a port, 3.x's default."""
    import os

    if not isinstance(port, str):
        return port or facts.DEFAULT_PORT, None
    name = port.strip("${}")
    value = os.environ.get(name, "")
    if value.isdigit() and 1 <= int(value) <= 65535:
        return int(value), f"server.port {port} was read from this environment ({value}): CCR 3.x stores a number"
    return facts.DEFAULT_PORT, (f"server.port {port} is not set to a port in this environment: "
                                f"gateway.port is {facts.DEFAULT_PORT}")


def _provider(name: str, provider) -> dict:
    entry = {"name": name, "api_base_url": provider.base_url, "api_key": provider.api_key,
             "models": list(provider.models)}
    entry.update(provider.extra)
    protocol = protocol_of(provider)
    if protocol == "gemini":
        # 3.x posts to BASE/v1beta/models/M:generateContent?key=KEY; 2.0.0's gemini transformer
        # to the configured .../v1beta/models/M:generateContent with `x-goog-api-key`
        entry["api_base_url"] = GEMINI_BASE_SUFFIX.sub("", provider.base_url)
        headers = dict(entry.get("extraHeaders") or {})
        headers.setdefault("x-goog-api-key", provider.api_key)
        entry["extraHeaders"] = headers
    if protocol:   # as 3.x stores a `protocol` (so an install of the same spec is up to date)
        entry["capabilities"] = [{"baseUrl": entry["api_base_url"], "type": PROTOCOL_TYPES[protocol]}]
    if isinstance(provider.auth, HeaderAuth):
        headers = dict(entry.get("extraHeaders") or {})
        headers[provider.auth.header] = provider.auth.prefix + provider.api_key
        if provider.auth.header.lower() != "authorization":
            headers["Authorization"] = ""     # 3.x blanks it: the key goes only in the header
        entry["extraHeaders"] = headers
    return entry


# 2.0.0 transformers that change the wire protocol -> the 3.x protocol of that provider, rendered
# as `capabilities` (3.x never runs a transformer: without it a Gemini provider gets OpenAI chat
# completions at BASE/chat/completions with a Bearer key)
PROTOCOL_TRANSFORMERS = {"gemini": "gemini", "anthropic": "anthropic"}
PROTOCOL_TYPES = {"gemini": "gemini_generate_content", "anthropic": "anthropic_messages"}
GEMINI_BASE_SUFFIX = re.compile(r"/v1beta(?:/models)?/*$")


def _use_names(use) -> list[str]:
    return [u if isinstance(u, str) else u[0] for u in use or [] if isinstance(u, (str, list, tuple)) and u]


def protocol_of(provider) -> str | None:
    """The 3.x protocol a provider's 2.0.0 chain (`use`, provider-wide) talks, or None for OpenAI."""
    chain = provider.transformer
    for name in _use_names(chain.use if chain else []):
        if str(name).lower() in PROTOCOL_TRANSFORMERS:
            return PROTOCOL_TRANSFORMERS[str(name).lower()]
    return None


def unlisted_route_models(spec: Spec) -> dict[str, list[str]]:
    """provider -> the models routes and fallback chains name that its `models` does not list.
    2.0.0 sends such a model as written (`openrouter,google/gemini-2.5-flash:online`); 3.x
    skips a rule whose target is not configured, so the 3.x build lists them."""
    targets = [getattr(spec.routes, key) for key in _FALLBACK_ROUTES]
    targets += [t for chain in spec.fallback.values() for t in chain or []]
    out: dict[str, list[str]] = {}
    for target in targets:
        if not isinstance(target, str) or "," not in target:
            continue
        name, model = target.split(",", 1)
        provider = spec.providers.get(name)
        if provider is not None and model and model not in provider.models and model not in out.get(name, []):
            out.setdefault(name, []).append(model)
    return out


def _rule(rule_id: str, name: str, left: str, operator: str, right: str, target: str) -> dict:
    return {"id": RULE_ID_PREFIX + rule_id, "name": name, "enabled": True, "type": "condition",
            "condition": {"left": left, "operator": operator, "right": right}, "target": target}


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-").lower()


def rules(spec: Spec) -> list[dict]:
    """2.0.0's routing as 3.x rules, in RULE_ORDER (first match wins in both)."""
    routes = spec.routes
    configured = [(p, m) for p, provider in spec.providers.items() for m in provider.models]
    out = []
    for p, m in configured:   # 2.0.0 matches the lower-cased names against the request as written
        out.append(_rule(f"explicit-{_slug(p)}-{_slug(m)}", f"explicit {p},{m}", "request.body.model", "==",
                         f"{p.lower()},{m.lower()}", f"{p},{m}"))
    if routes.long_context:
        threshold = routes.long_context_threshold or DEFAULT_THRESHOLD
        out.append(_rule("long-context", "longContext (2.0.0 Router.longContext)", "request.tokenCount", ">",
                         str(threshold), routes.long_context))
    for p, m in configured:
        out.append(_rule(f"subagent-{_slug(p)}-{_slug(m)}", f"subagent tag {p},{m}", "request.body.system.1.text",
                         "starts-with", SUBAGENT_TAG.format(f"{p},{m}"), f"{p},{m}"))
    if routes.background:
        out.append(_rule("background", "background (2.0.0 Router.background)", "request.body.model",
                         "contains", "haiku", routes.background))
    if routes.web_search:
        for tool_type in WEB_SEARCH_TOOL_TYPES:
            out.append(_rule(f"web-search-{tool_type}", "webSearch (2.0.0 Router.webSearch)", "request.body.tools",
                             "contains", json.dumps({"type": tool_type}), routes.web_search))
    if routes.think:
        out.append(_rule("think", "think (2.0.0 Router.think)", "request.body.thinking", "!=", "undefined",
                         routes.think))
    if routes.default:
        out.append(_rule("default", "default (2.0.0 Router.default)", "request.body.model", "not-contains", ",",
                         routes.default))
    return _unique_ids(out)


def _unique_ids(rules_list: list[dict]) -> list[dict]:
    """Model names that slug alike ("gpt 5", "gpt-5") still get rules of their own."""
    seen: dict[str, int] = {}
    for rule in rules_list:
        n = seen.get(rule["id"], 0)
        seen[rule["id"]] = n + 1
        if n:
            rule["id"] = f"{rule['id']}-{n + 1}"
    return rules_list


def _fallback(spec: Spec) -> dict | None:
    """2.0.0's per-route chains as 3.x's one chain, when they agree (else the default's)."""
    chains = [list(v) for v in spec.fallback.values() if v]
    if not chains:
        return None
    chain = list(spec.fallback.get("default") or chains[0])
    return {"mode": "model-chain", "models": chain, "retryCount": 1}


# Top-level keys 3.x drops on load (spec `extra` keys with these names are not written).
DROPPED_TOP_LEVEL = ("LOG", "LOG_LEVEL", "StatusLine", "PROXY_URL", "NON_INTERACTIVE_MODE",
                     "REWRITE_SYSTEM_PROMPT", "forceUseImageAgent", "transformers", "fallback")
_SERVER_DROPPED = {
    "log": "LOG", "log_level": "LOG_LEVEL", "non_interactive": "NON_INTERACTIVE_MODE",
    "rewrite_system_prompt": "REWRITE_SYSTEM_PROMPT",
}


def unsupported(spec: Spec, locate: Callable[[tuple], Location | None] = lambda p: None) -> list[Problem]:
    """A warning for every spec feature CCR 3.x cannot express (dropped from the 3.x build)."""
    out: list[Problem] = []

    def warn(path: tuple, message: str, hint: str | None = None) -> None:
        out.append(Problem(message, locate(path), ".".join(map(str, path)), hint))

    for key, ccr_key in _SERVER_DROPPED.items():
        if getattr(spec.server, key) is not None:
            warn(("server", key), f"CCR 3.x has no {ccr_key}: not carried over")
    if spec.server.proxy_url is not None:
        warn(("server", "proxy_url"), "CCR 3.x has no PROXY_URL (it became proxy.upstream): not carried over",
             "set the upstream proxy in CCR's UI (`ccr ui`)")
    if spec.server.api_key is None:
        warn(("server",), "no server.api_key: CCR 3.x always needs a client key and generates one",
             "set server.api_key (best a $NAME reference) so clients know the key")
    for name, provider in spec.providers.items():
        sp = ("providers", name)
        chain = provider.transformer
        if chain and (chain.use or chain.models):
            dropped = [n for n in _use_names(chain.use) if str(n).lower() not in PROTOCOL_TRANSFORMERS]
            parts = [", ".join(dropped)] if dropped else []
            parts += [f"{model}: {', '.join(_use_names(c.use))}" for model, c in chain.models.items() if c.use]
            if parts:
                protocol = protocol_of(provider)
                kept = f" (its {protocol} protocol is kept, as `capabilities`)" if protocol else ""
                warn(sp + ("transformer",), "CCR 3.x never runs a provider's transformer chain: "
                     f"[{'; '.join(parts)}] not carried over{kept}",
                     "header auth is `auth: {header: ...}`; other request changes have no 3.x equivalent")
        for model in provider.models:
            prefix = _prefix_3x_misreads(model, provider)
            if prefix:
                warn(sp + ("models",), f"CCR 3.x reads '{prefix}/' in model '{model}' as a provider prefix: "
                     f"requests routed to {name},{model} fail in 3.x ('conflicts with target provider' or "
                     "'is not configured'): not carried over",
                     "no 3.x setting avoids it; route to a model without that prefix, or stay on 2.x for it")
        if provider.tokenizer is not None:
            warn(sp + ("tokenizer",), "CCR 3.x has no provider tokenizer: not carried over")
    for i, _custom in enumerate(spec.transformers):
        warn(("transformers", i), "CCR 3.x does not load custom transformers: not carried over",
             "only header auth (`auth: {header: ...}`) has a 3.x equivalent (extraHeaders)")
    if spec.routes.image:
        warn(("routes", "image"), "CCR 3.x has no image route: not carried over")
    for key in spec.routes.extra:
        warn(("routes", "extra", key), f"CCR 3.x drops Router.{key}: not carried over")
    if any(spec.fallback.values()):
        chains = {tuple(v) for v in spec.fallback.values() if v}
        used = spec.fallback.get("default") or next(v for v in spec.fallback.values() if v)
        routed = {key for key in _FALLBACK_ROUTES if getattr(spec.routes, key)}
        without = sorted(ROUTE_KEYS[key] for key in routed
                         if not (spec.fallback.get(ROUTE_KEYS[key]) or spec.fallback.get(key)))
        if len(chains) > 1 or without:
            also = f"; 2.0.0 has none for {', '.join(without)}, 3.x uses it there too" if without else ""
            warn(("fallback",), "CCR 3.x has one fallback chain for every route, not one per route: "
                 f"using [{', '.join(used)}] for all (Router.fallback mode model-chain){also}")
    if spec.server.custom_router_path:
        warn(("server", "custom_router_path"), "CUSTOM_ROUTER_PATH is kept, but CCR 3.x calls it with its own "
             "config (Router.rules; no Router.default, background, think, longContext or webSearch) and a "
             "request of {body, headers, method, url, sessionId, tokenCount}: a router that returns "
             "config.Router.<route> gets undefined there (the rules decide instead), and a model it returns "
             "that is not configured is ignored",
             "return \"provider,model\" strings from the router itself")
    for key in spec.extra:
        if key in DROPPED_TOP_LEVEL:
            warn(("extra", key), f"CCR 3.x drops {key}: not carried over")
    return out


_FALLBACK_ROUTES = ("default", "background", "think", "long_context", "web_search")
# The first segment of a model name that CCR 3.1.1's gateway takes as a protocol and strips
# (next-ai-gateway.js; google only for a provider that speaks the gemini protocol). Verified:
# openrouter's `openai/gpt-4.1` fails ("is not configured"), `anthropic/claude-3.7-sonnet` too
# ("conflicts with target provider"); `google/...`, `deepseek/...`, `qwen/...` work, even next
# to a provider named deepseek.
_PROTOCOL_PREFIXES = ("openai", "anthropic", "claude", "gemini")


def _prefix_3x_misreads(model: str, provider) -> str | None:
    head, slash, rest = model.partition("/")
    if not slash or not head.strip() or not rest.strip():
        return None
    lowered = head.strip().lower()
    if lowered in _PROTOCOL_PREFIXES:
        return head
    if lowered == "google" and protocol_of(provider) == "gemini":
        return head
    return None


def differences(spec: Spec, locate: Callable[[tuple], Location | None] = lambda p: None) -> list[Problem]:
    """Where this spec's routing through CCR 3.x can differ from 2.0.0's (see DIFFERENCES)."""
    out: list[Problem] = []
    routes = spec.routes

    def differ(path: tuple, message: str) -> None:
        out.append(Problem(f"routes differently in CCR 3.x: {message}", locate(path), ".".join(map(str, path))))

    if routes.long_context:
        differ(("routes", "long_context"), DIFFERENCES["long_context"])
    if routes.background:
        odd = sorted(f"{p},{m}" for p, provider in spec.providers.items() for m in provider.models
                     if "haiku" in m and "claude" not in m)
        if odd:
            differ(("routes", "background"), DIFFERENCES["background"] + f": a request for {odd[0]} by its "
                   "bare name goes to background in 3.x, to default in 2.0.0")
    for name in spec.providers:
        if name != name.lower() or any(m != m.lower() for m in spec.providers[name].models):
            differ(("providers", name), "a mixed-case name: " + DIFFERENCES["explicit"])
            break
    return out


def _locator(loaded) -> Callable[[tuple], Location | None]:
    if loaded.kind != "spec":
        return lambda path: Location(loaded.file)
    from ccrgen.spec.presets import display_name

    def locate(path: tuple) -> Location | None:
        found = loaded.document.locate(path)   # a preset is named `preset NAME`, never by its path
        return Location(display_name(found.file), found.line, found.column) if found is not None else None
    return locate


def resolved(built: Ccr3Build, env: Mapping[str, str], loaded=None) -> Ccr3Build:
    """`built` with every `$NAME` replaced from `env`, for an install (3.x stores what it is
    given). Refuses, naming each key, when a variable is unset or a provider key ends up empty
    (3.x would then forward the caller's CCR key upstream)."""
    locate = _locator(loaded) if loaded is not None else (lambda path: None)
    problems: list[Problem] = []
    unset: set[str] = set()

    def fill(text: str, spec_path: tuple) -> str:
        def one(match: re.Match) -> str:
            name = match.group(1) or match.group(2)
            value = env.get(name)
            if value is None or value == "":
                if name in unset:
                    return ""
                unset.add(name)
                problems.append(Problem(
                    f"${name} is not set: CCR 3.x never reads the environment, so ccrgen must store the value",
                    locate(spec_path), ".".join(map(str, spec_path)),
                    f"export {name}=<value> and run the install again"))
                return ""
            return value
        return ENV_REFERENCE.sub(one, text)

    config = json.loads(json.dumps(built.config))
    for i, provider in enumerate(config.get("Providers", [])):
        name = provider.get("name")
        sp = ("providers", name)
        for key in ("api_base_url", "api_key"):
            if isinstance(provider.get(key), str):
                provider[key] = fill(provider[key], sp + ({"api_base_url": "base_url"}.get(key, key),))
        headers = provider.get("extraHeaders")
        if isinstance(headers, dict):
            for header, value in headers.items():
                if isinstance(value, str):
                    headers[header] = fill(value, sp + ("api_key",))
        if not provider.get("api_key") and not any(p.path.startswith(".".join(sp)) for p in problems):
            problems.append(Problem(
                "the provider key is empty: CCR 3.x would send the caller's CCR key upstream instead",
                locate(sp + ("api_key",)), ".".join(map(str, sp + ("api_key",))), "give the provider's key (any text, for a provider that needs none)"))
    client_key = built.client_key
    if client_key is not None:
        client_key = fill(client_key, ("server", "api_key"))
    if problems:
        noun = "problem" if len(problems) == 1 else "problems"
        raise SpecError(f"cannot install for CCR 3.x: {len(problems)} {noun}; nothing was written",
                        problems=problems)
    return replace(built, config=config, client_key=client_key)
