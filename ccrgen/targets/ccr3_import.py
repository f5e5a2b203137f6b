"""`ccrgen import` of a CCR 3.x install: its stored config (RPC or config.sqlite) as a spec.

- providers: name, base URL, key, models; an `extraHeaders` entry that carries the provider key
  with `Authorization` blanked becomes `auth: {header, prefix}`; other headers stay in `extra`;
- the rules ccrgen made (ids `ccrgen-...`) and rules of the same shapes (the facts page's
  table) become routes; the explicit/subagent rules ccrgen derives from the models are dropped;
  any other rule cannot be said in a spec and is named in a note;
- gateway host/port, API_TIMEOUT_MS, CUSTOM_ROUTER_PATH, the client key, profile.enabled.
3.x stores keys as plain text: a key equal to the value of an environment variable is written
as that `$NAME` reference; any other stays literal (the import command masks it unless -o).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Mapping

from ccrgen.errors import InputError
from ccrgen.targets.ccr3 import DEFAULT_THRESHOLD, RULE_ID_PREFIX, WEB_SEARCH_TOOL_TYPES

DERIVED_RULES = ("explicit-", "subagent-")


def import_installed(ccr_dir: Path, env: Mapping[str, str] | None = None):
    """An importer.Imported for the CCR 3.x config of `ccr_dir` (or a config.sqlite file)."""
    from ccrgen.targets import ccr3_install, ccr3_store

    path = Path(ccr_dir)
    if path.is_file():
        config, keys = ccr3_store.read(path)
        config = {**config, "APIKEYS": keys} if config is not None else None
    else:
        config = ccr3_install.read_installed(path)
    if config is None:
        raise InputError(f"{path}: no CCR 3.x config (config.sqlite) to import",
                         hint="name a config.json, or the folder of a CCR 3.x install")
    return spec_from_ccr3(config, os.environ if env is None else env)


def _reference(value: str, env: Mapping[str, str]) -> str:
    """`$NAME` when an environment variable holds exactly `value`, else `value`."""
    if not value or len(value) < 8:
        return value
    names = sorted(n for n, v in env.items() if v == value and n.isupper())
    names.sort(key=lambda n: (not n.endswith("_KEY"), len(n)))
    return f"${names[0]}" if names else value


def spec_from_ccr3(config: dict, env: Mapping[str, str]):
    from ccrgen.config.importer import Imported
    from ccrgen.spec.model import Spec

    notes: list[str] = []
    spec: dict = {}
    server = _server(config, env)
    if server:
        spec["server"] = server
    providers = {}
    for provider in config.get("Providers") or []:
        if isinstance(provider, dict) and provider.get("name"):
            providers[provider["name"]] = _provider(provider, env)
    spec["providers"] = providers
    routes, fallback = _routes(config, notes)
    spec["routes"] = routes
    if fallback:
        spec["fallback"] = fallback
    Spec.model_validate(spec)  # what import writes must build
    return Imported(spec=spec, notes=notes)


def _server(config: dict, env) -> dict:
    server: dict = {}
    gateway = config.get("gateway") or {}
    if gateway.get("host"):
        server["host"] = gateway["host"]
    if gateway.get("port"):
        server["port"] = int(gateway["port"])
    keys = [k for k in config.get("APIKEYS") or [] if isinstance(k, dict) and k.get("key")]
    if keys:
        chosen = next((k for k in keys if k.get("id") == "ccrgen"), keys[0])
        server["api_key"] = _reference(chosen["key"], env)
    if config.get("API_TIMEOUT_MS"):
        server["timeout_ms"] = int(config["API_TIMEOUT_MS"])
    if config.get("CUSTOM_ROUTER_PATH"):
        server["custom_router_path"] = config["CUSTOM_ROUTER_PATH"]
    if (config.get("profile") or {}).get("enabled", True):   # 3.x's default is on
        server["take_over_claude_code"] = True
    return server


def _provider(provider: dict, env) -> dict:
    key = provider.get("api_key") or ""
    out: dict = {"base_url": provider.get("api_base_url", ""), "api_key": _reference(key, env),
                 "models": list(provider.get("models") or [])}
    headers = dict(provider.get("extraHeaders") or {})
    auth = _header_auth(headers, key)
    if auth is not None:
        out["auth"] = auth
        headers.pop(auth["header"], None)
        for name in [h for h in headers if h.lower() == "authorization" and headers[h] == ""]:
            headers.pop(name)
    protocol = _protocol(provider)
    if protocol == "gemini":   # ccrgen's 3.x build of 2.0.0's gemini transformer, read back
        if headers.get("x-goog-api-key") == key:
            headers.pop("x-goog-api-key")
        out["base_url"] = out["base_url"].rstrip("/") + "/v1beta/models/"
    if protocol:
        out["transformer"] = {"use": [{"gemini": "gemini", "anthropic": "Anthropic"}[protocol]]}
    if headers:
        out["extra"] = {"extraHeaders": headers}
    return out


def _protocol(provider: dict) -> str | None:
    """gemini or anthropic when the provider's one capability is that protocol (else None: OpenAI)."""
    from ccrgen.targets.ccr3 import PROTOCOL_TYPES

    capabilities = [c for c in provider.get("capabilities") or [] if isinstance(c, dict)]
    types = {c.get("type") for c in capabilities}
    if len(types) != 1:
        return None
    return next((p for p, t in PROTOCOL_TYPES.items() if t in types), None)


def _header_auth(headers: dict, key: str) -> dict | None:
    blanked = any(h.lower() == "authorization" and v == "" for h, v in headers.items())
    for header, value in headers.items():
        if header.lower() == "authorization" or not isinstance(value, str) or not key:
            continue
        if value.endswith(key) and blanked:
            prefix = value[: -len(key)]
            return {"header": header, **({"prefix": prefix} if prefix else {})}
    return None


def _routes(config: dict, notes: list[str]) -> tuple[dict, dict]:
    router = config.get("Router") or {}
    routes: dict = {}
    for rule in router.get("rules") or []:
        if not isinstance(rule, dict) or not rule.get("enabled", True):
            continue
        rule_id = str(rule.get("id", ""))
        if rule_id.startswith(RULE_ID_PREFIX) and rule_id[len(RULE_ID_PREFIX):].startswith(DERIVED_RULES):
            continue
        route = _route_of(rule.get("condition") or {})
        target = rule.get("target")
        if route is None or not isinstance(target, str):
            notes.append(f"rule '{rule.get('name') or rule_id}' ({json.dumps(rule.get('condition'))}) has no spec "
                         "equivalent: not imported")
            continue
        name, threshold = route
        if name in routes:
            if routes[name] != target:
                notes.append(f"rule '{rule.get('name') or rule_id}': a second {name} rule: not imported")
            continue
        routes[name] = target
        if threshold is not None:
            routes["long_context_threshold"] = threshold
    fallback = router.get("fallback") or {}
    chain = {}
    if fallback.get("mode") == "model-chain" and fallback.get("models"):
        chain = {"default": list(fallback["models"])}
    elif fallback.get("mode") == "retry":
        notes.append("Router.fallback mode 'retry' has no spec equivalent: not imported")
    return routes, chain


def _route_of(condition: dict) -> tuple[str, int | None] | None:
    left, op, right = condition.get("left"), condition.get("operator"), str(condition.get("right", ""))
    if left in ("request.tokenCount", "request.token_count") and op in (">", ">="):
        try:
            threshold = int(float(right))
        except ValueError:
            return None
        return "long_context", (threshold if op == ">" else threshold - 1) or DEFAULT_THRESHOLD
    if left == "request.body.model" and op == "contains" and right == "haiku":
        return "background", None
    if left and left.startswith("request.body.thinking"):
        return "think", None
    if left == "request.body.tools" and ("web_search" in right) and (
            op == "contains-deep" or any(t in right for t in WEB_SEARCH_TOOL_TYPES)):
        return "web_search", None
    if left == "request.body.model" and op == "not-contains" and right == ",":
        return "default", None
    return None


def ccr3_source(path: Path, *, explicit: bool) -> Path | None:
    """What `ccrgen import` reads as a CCR 3.x install: a named config.sqlite, or, by default,
    the CCR folder's config.sqlite when there is no config.json or the installed ccr is 3.x."""
    from ccrgen.targets.ccr3_store import DB_NAME

    path = Path(path)
    if path.suffix == ".sqlite":
        return path
    if explicit or not (path.parent / DB_NAME).exists():
        return None
    if not path.exists():
        return path.parent
    from ccrgen.ccr.installed import find_install
    from ccrgen.errors import CcrgenError

    try:
        found = find_install()
    except CcrgenError:
        found = None
    return path.parent if found is not None and found.generation == 3 else None
