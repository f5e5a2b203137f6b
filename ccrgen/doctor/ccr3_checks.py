"""Doctor checks for a CCR 3.x install (config in config.sqlite; see shared/ccr-3.1.1-facts.md).

None of them runs `ccr`: the version comes from package.json (ccrgen.ccr.installed), the config
from the running CCR's management RPC or from config.sqlite (ccrgen.targets.ccr3_install).
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from ccrgen.ccr import facts
from ccrgen.doctor.checks import ERROR, OK, WARNING, CheckResult, Situation

BUILD_HINT = "ccrgen build --target ccr3 --install"
SHARED_CHECKS = ("tools",)       # checks of checks.py that hold for 3.x too


def installed_generation(s: Situation) -> int | None:
    """2 or 3: the `ccr` that is installed; without one, what the CCR folder holds."""
    from ccrgen.ccr.installed import find_install
    from ccrgen.errors import CcrgenError

    try:
        found = find_install()
    except CcrgenError:
        found = None
    if found is not None and found.generation is not None:
        return found.generation
    if (s.ccr_dir / "config.sqlite").exists() and not s.config_path.exists():
        return 3
    return None


def checks_for(s: Situation, checks: list[Callable]) -> list[Callable]:
    """The checks that apply: CCR 2.0.0's, or for 3.x the shared ones and CCR3_CHECKS."""
    if installed_generation(s) != 3:
        return checks
    return [c for c in checks if c.__name__ in SHARED_CHECKS] + CCR3_CHECKS


def generation(s: Situation) -> list[CheckResult]:
    from ccrgen.ccr.installed import find_install
    from ccrgen.errors import CcrgenError

    try:
        found = find_install()
    except CcrgenError:
        found = None
    label = found.label if found is not None else "CCR 3.x (no ccr command found; judged by config.sqlite)"
    results = [CheckResult("generation", OK, f"{label} is installed: CCR 3.x keeps its config in "
                           f"{s.ccr_dir / 'config.sqlite'}; ccrgen builds for it with --target ccr3")]
    running = _running_version(s)
    if running and found is not None and found.version and running != found.version:
        results.append(CheckResult("generation", WARNING, f"the running CCR is {running}, the installed one "
                                   f"{found.version}: it still runs the old version",
                                   "restart it: `ccr stop && ccr start`"))
    elif running:
        results.append(CheckResult("generation", OK, f"CCR {running} is running (its management RPC answers)"))
    return results


def _running_version(s: Situation) -> str | None:
    from ccrgen.errors import CcrgenError
    from ccrgen.targets.ccr3_rpc import running

    service = running(s.ccr_dir)
    if service is None:
        return None
    try:
        info = service.call("getAppInfo", timeout=5)
    except CcrgenError:
        return None
    return info.get("version") if isinstance(info, dict) else None


def legacy_config(s: Situation) -> list[CheckResult]:
    if not s.config_path.exists():
        return []
    from ccrgen.targets import ccr3_store

    stored, _keys = _stored(s)
    if stored is not None:
        return [CheckResult("config", WARNING,
                            f"{s.config_path} is not read by CCR 3.x: config.sqlite already holds a config (3.x "
                            "imports a config.json once, dropping Router routes, transformers and fallback)",
                            "carry it over with `ccrgen migrate`, then remove it")]
    return [CheckResult("config", WARNING,
                        f"CCR 3.x will import {s.config_path} once, at its next start, delete it and drop its "
                        "routes (Router.default, background, think, longContext, webSearch), transformers and fallback",
                        f"run `ccrgen migrate` first: it installs the equivalent 3.x config into {ccr3_store.DB_NAME}")]


def _stored(s: Situation):
    from ccrgen.targets import ccr3_store

    try:
        return ccr3_store.read(ccr3_store.db_path(s.ccr_dir))
    except Exception:  # unreadable: reported by installed_config
        return None, []


def installed_config(s: Situation) -> list[CheckResult]:
    from ccrgen.errors import CcrgenError
    from ccrgen.targets.ccr3_install import read_installed

    try:
        s.installed3 = read_installed(s.ccr_dir)
    except CcrgenError as exc:
        s.installed3 = None
        return [CheckResult("config", ERROR, exc.problems[0].message, "see `ccr ui`, or restore a backup")]
    if s.installed3 is None:
        return [CheckResult("config", ERROR, f"no CCR 3.x config in {s.ccr_dir / 'config.sqlite'}", BUILD_HINT)]
    return [CheckResult("config", OK, f"the installed CCR 3.x config is readable ({_source(s)})")]


def _source(s: Situation) -> str:
    from ccrgen.targets.ccr3_rpc import running

    return "from the running CCR" if running(s.ccr_dir) else "from config.sqlite; CCR is stopped"


def _config(s: Situation) -> dict | None:
    return getattr(s, "installed3", None)


def routing(s: Situation) -> list[CheckResult]:
    config = _config(s)
    if config is None:
        return []
    configured = {f"{p.get('name')},{m}" for p in config.get("Providers") or [] if isinstance(p, dict)
                  for m in p.get("models") or []}
    rules = [r for r in (config.get("Router") or {}).get("rules") or [] if isinstance(r, dict) and r.get("enabled", True)]
    if not rules:
        return [CheckResult("routing", ERROR, "no routing rules: a request that does not name a configured model "
                            "fails with 'All target providers failed'", BUILD_HINT)]
    results = []
    for rule in rules:
        target = rule.get("target")
        if target not in configured:
            results.append(CheckResult("routing", ERROR, f"rule '{rule.get('name') or rule.get('id')}' targets "
                                       f"'{target}', which no provider configures: CCR 3.x skips it",
                                       "add the model to its provider, or fix the route in the spec"))
    if not results:
        results.append(CheckResult("routing", OK, f"{len(rules)} routing rules, every target configured"))
    return results


def client_key(s: Situation) -> list[CheckResult]:
    config = _config(s)
    if config is None:
        return []
    keys = [k for k in config.get("APIKEYS") or [] if isinstance(k, dict) and k.get("key")]
    if not keys:
        return [CheckResult("client key", WARNING, "no client key: CCR 3.x generates one, which clients do not know",
                            "set server.api_key in the spec and install again")]
    return [CheckResult("client key", OK, f"{len(keys)} client key(s) set")]


def provider_auth(s: Situation) -> list[CheckResult]:
    config = _config(s)
    if config is None:
        return []
    from ccrgen.common.secrets import is_reference

    results = []
    for provider in config.get("Providers") or []:
        if not isinstance(provider, dict):
            continue
        name, key = provider.get("name"), provider.get("api_key")
        headers = provider.get("extraHeaders") if isinstance(provider.get("extraHeaders"), dict) else {}
        texts = [key] + [v for v in headers.values() if isinstance(v, str)]
        if not key:
            results.append(CheckResult("provider auth", ERROR, f"provider '{name}' has an empty api_key: CCR 3.x "
                                       "sends the caller's CCR client key upstream instead", BUILD_HINT))
        elif any(isinstance(t, str) and "$" in t and is_reference(t.strip()) for t in texts):
            results.append(CheckResult("provider auth", ERROR, f"provider '{name}' holds an environment reference: "
                                       "CCR 3.x never interpolates it and sends the text as the key",
                                       f"{BUILD_HINT} stores the value from the environment"))
        else:
            extra = [h for h, v in headers.items() if v and h.lower() != "authorization"]
            how = f"header {', '.join(extra)}" if extra else "Authorization: Bearer"
            if extra and headers.get("Authorization", headers.get("authorization")) != "":
                results.append(CheckResult("provider auth", WARNING, f"provider '{name}' sends its key in {how} and "
                                           "also as Authorization: Bearer", "blank Authorization in extraHeaders"))
            else:
                results.append(CheckResult("provider auth", OK, f"provider '{name}': key set ({how})"))
    return results


def gateway_port(s: Situation) -> list[CheckResult]:
    config = _config(s)
    if config is None:
        return []
    from ccrgen.doctor import probe
    from ccrgen.targets.ccr3_rpc import running

    gateway = config.get("gateway") or {}
    host, port = gateway.get("host") or facts.DEFAULT_HOST, int(gateway.get("port") or facts.DEFAULT_PORT)
    service = running(s.ccr_dir)
    status = None
    if service is not None:
        try:
            status = service.call("getGatewayStatus", timeout=5)
        except Exception:
            status = None
    if status and status.get("state") == "running" and str(status.get("endpoint", "")).endswith(f":{port}"):
        return [CheckResult("server", OK, f"CCR 3.x's gateway runs on {status['endpoint']}")]
    listener = probe.port_listener("127.0.0.1" if host in ("0.0.0.0", "::") else host, port)
    if not listener.reachable:
        return [CheckResult("server", OK if service is None else WARNING,
                            f"port {port} is free" + ("; CCR is not running" if service is None
                                                      else " but the running CCR's gateway is not on it"),
                            "start it: `ccr start`" if service is None else "restart it: `ccr stop && ccr start`")]
    who = listener.process or "another program"
    if service is not None and listener.pid is not None and listener.pid in _ccr_pids(service, status):
        return [CheckResult("server", OK, f"port {port} is held by CCR 3.x")]
    return [CheckResult("server", ERROR, f"port {port} (gateway.port) is taken by {who}, not CCR 3.x",
                        f"stop it{f' (pid {listener.pid})' if listener.pid else ''}, or set server.port to a free port")]


def _ccr_pids(service, status) -> set[int]:
    pids = {service.pid} if service.pid else set()
    if status and isinstance(status.get("pid"), int):
        pids.add(status["pid"])
    return pids


def claude_settings(s: Situation) -> list[CheckResult]:
    config = _config(s)
    if config is None:
        return []
    settings = Path(s.ccr_dir).parent / ".claude" / "settings.json"
    taken_before = settings.with_name(settings.name + ".ccr-original").exists()
    profile = config.get("profile") if isinstance(config.get("profile"), dict) else {}
    if "enabled" not in profile:   # 3.x's default is on
        return [CheckResult("claude code", WARNING, f"CCR 3.x takes over {settings} when it starts (its default: "
                            "no profile.enabled is stored)", f"{BUILD_HINT} sets profile.enabled false, unless the "
                            "spec says server.take_over_claude_code: true")]
    if profile["enabled"]:
        return [CheckResult("claude code", OK, f"CCR 3.x takes over {settings} when it starts (profile.enabled); "
                            "the original is kept as settings.json.ccr-original")]
    note = f" (a settings.json.ccr-original shows CCR rewrote {settings} before)" if taken_before else ""
    return [CheckResult("claude code", OK if not taken_before else WARNING,
                        f"CCR 3.x leaves {settings} alone (profile.enabled false){note}",
                        "restore settings.json from settings.json.ccr-original if Claude Code should not use CCR"
                        if taken_before else None)]


CCR3_CHECKS: list[Callable[[Situation], list[CheckResult]]] = [
    generation, legacy_config, installed_config, routing, client_key, provider_auth, gateway_port, claude_settings,
]
