"""Server settings: host and key, literal secrets, timeout, port, log level, top-level keys."""

from __future__ import annotations

import ipaddress

from ccrgen.ccr import facts
from ccrgen.lint.rule import Hit, rule
from ccrgen.lint.rules.routes import closest
from ccrgen.secrets import is_reference

LOOPBACK_NAMES = ("localhost", "")


def is_loopback(host: str) -> bool:
    host = host.strip().strip("[]").lower()
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@rule(
    code="CCR060",
    name="host-public-without-apikey",
    severity="warning",
    summary="`HOST` is not loopback but there is no `APIKEY`",
    why="""With providers and no `APIKEY`, CCR 2.0.0 silently listens on 127.0.0.1 whatever
`HOST` says, so other machines cannot reach it; and exposing it without a key would let
anyone spend your provider credit.""",
    fix="Set `APIKEY` (e.g. `$CCR_APIKEY`) to listen on that host, or remove `HOST`.",
)
def host_public_without_apikey(ctx):
    host = ctx.config.get("HOST")
    if isinstance(host, str) and not is_loopback(host) and not ctx.config.get("APIKEY") and ctx.providers:
        yield Hit(("HOST",), f"HOST is {host} but APIKEY is empty: CCR will listen on 127.0.0.1 only",
                  "set APIKEY, or remove HOST")


def looks_secret(value: str) -> bool:
    """A literal that is probably a real key: not a reference, long, or in a key's format
    (`ollama` or `none` for a local server is not a secret)."""
    from ccrgen.secrets import looks_like_placeholder

    value = value.strip()
    if not value or is_reference(value) or looks_like_placeholder(value):
        return False
    return len(value) >= 16 or value.startswith(("sk-", "sk_"))


def _looks_local(provider: dict) -> bool:
    from urllib.parse import urlparse

    url = provider.get("api_base_url")
    return isinstance(url, str) and is_loopback(urlparse(url).hostname or "x")


@rule(
    code="CCR061",
    name="literal-secret",
    severity="warning",
    summary="`APIKEY` or a provider's `api_key` holds the secret itself",
    why="""A key written into config.json ends up in backups, dotfile repositories and
screenshots. CCR interpolates `$NAME` references in these keys when it starts.""",
    fix="Put the key in an environment variable and write `$NAME` (e.g. `$HICAP_API_KEY`).",
)
def literal_secret(ctx):
    apikey = ctx.config.get("APIKEY")
    if isinstance(apikey, str) and looks_secret(apikey):
        yield Hit(("APIKEY",), "APIKEY holds a literal key", "write $CCR_APIKEY and export it")
    for path, provider in ctx.providers:
        key = provider.get("api_key")
        if isinstance(key, str) and looks_secret(key) and not _looks_local(provider):
            env_name = f"{str(provider.get('name') or 'PROVIDER').upper().replace('-', '_')}_API_KEY"
            yield Hit(path + ("api_key",), f"provider '{provider.get('name')}' has a literal api_key",
                      f"write ${env_name} and export {env_name}")


@rule(
    code="CCR062",
    name="timeout-out-of-range",
    severity="warning",
    summary="`API_TIMEOUT_MS` is not a number of milliseconds between 1 s and 1 hour",
    why="""CCR passes `API_TIMEOUT_MS` on as a number of milliseconds: a value in seconds
(`600`) times every request out after 0.6 s, a huge one leaves a stuck provider hanging,
and text that is not a number gives no timeout at all.""",
    fix="Write milliseconds, e.g. `600000` for 10 minutes.",
)
def timeout_out_of_range(ctx):
    if "API_TIMEOUT_MS" not in ctx.config:
        return
    value = ctx.config["API_TIMEOUT_MS"]
    number = value
    if isinstance(value, str) and value.strip().isdigit():
        number = int(value)
    if isinstance(number, bool) or not isinstance(number, (int, float)):
        yield Hit(("API_TIMEOUT_MS",), f"API_TIMEOUT_MS is {value!r}, not a number of milliseconds",
                  "write e.g. 600000", severity="error")
    elif number < 1000:
        yield Hit(("API_TIMEOUT_MS",), f"API_TIMEOUT_MS is {value} ms, under one second",
                  f"it is in milliseconds: did you mean {int(number * 1000)}?")
    elif number > 3_600_000:
        yield Hit(("API_TIMEOUT_MS",), f"API_TIMEOUT_MS is {value} ms, over an hour", "write e.g. 600000")


@rule(
    code="CCR063",
    name="port-out-of-range",
    severity="error",
    summary="`PORT` is not a port number (1-65535)",
    why="CCR cannot listen on it: it fails to start, or listens somewhere Claude Code does not look.",
    fix="Write a whole number between 1 and 65535; the default is 3456.",
)
def port_out_of_range(ctx):
    if "PORT" not in ctx.config:
        return
    value = ctx.config["PORT"]
    if isinstance(value, str) and is_reference(value):
        return
    number = int(value) if isinstance(value, str) and value.strip().isdigit() else value
    if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= 65535:
        yield Hit(("PORT",), f"PORT is {value!r}, not a port number", "write e.g. 3456")


@rule(
    code="CCR064",
    name="log-level-unknown",
    severity="warning",
    summary="`LOG_LEVEL` is not a level CCR knows",
    why="CCR's logger knows only " + ", ".join(facts.LOG_LEVELS) + "; anything else is not the level you asked for.",
    fix="Use one of: " + ", ".join(facts.LOG_LEVELS) + ".",
)
def log_level_unknown(ctx):
    value = ctx.config.get("LOG_LEVEL")
    if value is not None and value not in facts.LOG_LEVELS:
        close = closest(str(value), facts.LOG_LEVELS)
        yield Hit(("LOG_LEVEL",), f"LOG_LEVEL {value!r} is not one CCR knows",
                  f"did you mean '{close}'?" if close else "use one of " + ", ".join(facts.LOG_LEVELS))


@rule(
    code="CCR065",
    name="unknown-top-level-key",
    severity="warning",
    summary="A top-level key CCR 2.0.0 does not read",
    why="""CCR keeps unknown keys and ignores them, so a misspelt `router` or `Api_Key`
changes nothing, without a word.""",
    fix="Fix the spelling, or remove the key.",
)
def unknown_top_level_key(ctx):
    if ctx.loaded.kind == "spec":
        return  # the spec's own schema names unknown keys; pass-through keys are deliberate
    for key in ctx.config:
        if key in facts.KNOWN_TOP_LEVEL_KEYS or not isinstance(key, str):
            continue
        if key.lower() == "router" and "Router" not in ctx.config:
            continue  # CCR011 reports it as the error it is
        close = closest(key, facts.KNOWN_TOP_LEVEL_KEYS)
        yield Hit((key,), f"'{key}' is not a key CCR 2.0.0 reads",
                  f"did you mean '{close}'?" if close else "remove it if it is not for another tool")


@rule(
    code="CCR066",
    name="providers-spelt-twice",
    severity="warning",
    summary="Both `Providers` and `providers` are present",
    why="CCR reads `Providers || providers`: the lower-case list is ignored whole.",
    fix="Merge them into `Providers`.",
)
def providers_spelt_twice(ctx):
    if "Providers" in ctx.config and "providers" in ctx.config:
        yield Hit(("providers",), "'providers' is ignored because 'Providers' is present",
                  "merge its entries into Providers")


@rule(
    code="CCR067",
    name="proxy-url-is-ccr",
    severity="error",
    summary="`PROXY_URL` points at CCR itself",
    why="""`PROXY_URL` is the HTTP proxy CCR uses to reach the providers (e.g. a VPN's
`http://127.0.0.1:7890`). Pointing it at CCR's own port sends every provider request back
into CCR, and Claude Code waits until it times out.""",
    fix="Remove `PROXY_URL`, or set it to your network proxy.",
)
def proxy_url_is_ccr(ctx):
    from urllib.parse import urlparse

    value = ctx.config.get("PROXY_URL")
    if not isinstance(value, str) or not value:
        return
    parts = urlparse(value)
    port = ctx.config.get("PORT", facts.DEFAULT_PORT)
    try:
        same_port = parts.port is not None and parts.port == int(port)
    except (TypeError, ValueError):
        return
    if same_port and is_loopback(parts.hostname or ""):
        yield Hit(("PROXY_URL",), f"PROXY_URL {value} is CCR's own address: requests would loop",
                  "remove PROXY_URL unless you use a network proxy")
