"""Server settings: host and key, literal secrets, timeout, port, log level, top-level keys."""

from __future__ import annotations

import re

from ccrgen.ccr import facts
from ccrgen.lint.rule import Hit, rule
from ccrgen.lint.rules.routes import closest
from ccrgen.common.secrets import is_reference

LOOPBACK_NAMES = ("localhost", "")


def is_loopback(host: str) -> bool:
    import ipaddress

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
    severity_why="CCR still works from this machine; only other machines cannot reach it, which matters only when sharing CCR on a network.",
)
def host_public_without_apikey(ctx):
    host = ctx.config.get("HOST")
    if isinstance(host, str) and not is_loopback(host) and not ctx.config.get("APIKEY") and ctx.providers:
        yield Hit(("HOST",), f"HOST is {host} but APIKEY is empty: CCR will listen on 127.0.0.1 only",
                  "set APIKEY, or remove HOST")


def looks_secret(value: str) -> bool:
    """A literal that is probably a real key: not a reference, long, or in a key's format
    (`ollama` or `none` for a local server is not a secret)."""
    from ccrgen.common.secrets import looks_like_placeholder

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
    severity_why="CCR works, but the secret is exposed: right only for a file nobody else ever sees.",
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
    severity_why="a warning for a value that works but is probably in the wrong unit; an error for text that is not a number (no timeout at all).",
)
def timeout_out_of_range(ctx):
    if "API_TIMEOUT_MS" not in ctx.raw:
        return
    value = ctx.raw["API_TIMEOUT_MS"]
    number = value
    if isinstance(value, str) and value.strip().isdigit():
        number = int(value)
    if isinstance(number, bool) or not isinstance(number, (int, float)) or number != number:
        yield Hit(("API_TIMEOUT_MS",), f"API_TIMEOUT_MS is {value!r}, not a number of milliseconds",
                  "write e.g. 600000", severity="error")
    elif number < 1000:
        yield Hit(("API_TIMEOUT_MS",), f"API_TIMEOUT_MS is {value} ms, under one second",
                  f"it is in milliseconds: did you mean {int(number * 1000)}?" if number > 0 else "write e.g. 600000")
    elif number > 3_600_000:
        yield Hit(("API_TIMEOUT_MS",), f"API_TIMEOUT_MS is {value} ms, over an hour", "write e.g. 600000")


@rule(
    code="CCR063",
    name="port-out-of-range",
    severity="error",
    summary="`PORT` is not a port number (1-65535)",
    why="CCR cannot listen on it: it fails to start, or listens somewhere Claude Code does not look.",
    fix="Write a whole number between 1 and 65535; the default is 3456.",
    severity_why="CCR cannot listen where the user asked: it fails to start, or Claude Code cannot reach it.",
)
def port_out_of_range(ctx):
    if "PORT" not in ctx.raw:
        return
    value = ctx.raw["PORT"]
    if isinstance(value, str) and is_reference(value):
        return
    number = int(value) if isinstance(value, str) and value.strip().isdigit() else value
    if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= 65535:
        yield Hit(("PORT",), f"PORT is {value!r}, not a port number", "write e.g. 3456")


# pino, CCR's logger, also takes `silent` (no log lines at all): verified with CCR 2.0.0, which
# serves requests with it. An unknown level makes pino throw, and CCR does not start.
LOG_LEVELS_ACCEPTED = facts.LOG_LEVELS + ("silent",)


@rule(
    code="CCR064",
    name="log-level-unknown",
    severity="error",
    summary="`LOG_LEVEL` is not a level CCR knows",
    why="CCR's logger (pino) knows only " + ", ".join(LOG_LEVELS_ACCEPTED) + "; with any other "
        "level (`warning`, `INFO`) it throws when CCR starts, and the service never comes up.",
    fix="Use one of: " + ", ".join(facts.LOG_LEVELS) + " (or `silent`, or `\"LOG\": false` for no logs).",
    severity_why="CCR's logger refuses an unknown level: the service does not start.",
)
def log_level_unknown(ctx):
    value = ctx.raw.get("LOG_LEVEL")
    if value is not None and not (isinstance(value, str) and value in LOG_LEVELS_ACCEPTED):
        close = closest(str(value), facts.LOG_LEVELS)
        yield Hit(("LOG_LEVEL",), f"LOG_LEVEL {value!r} is not one CCR knows: CCR would not start",
                  f"did you mean '{close}'?" if close else "use one of " + ", ".join(facts.LOG_LEVELS))


@rule(
    code="CCR066",
    name="providers-spelt-twice",
    severity="error",
    summary="Both `Providers` and `providers` are present",
    why="CCR reads `Providers || providers`: the lower-case list is ignored whole.",
    fix="Merge them into `Providers`.",
    severity_why="the whole lower-case list of providers is silently ignored.",
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
    severity_why="every request loops back into CCR and times out.",
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
    if same_port and is_loopback(parts.hostname or ""):  # noqa: SIM102
        yield Hit(("PROXY_URL",), f"PROXY_URL {value} is CCR's own address: requests would loop",
                  "remove PROXY_URL unless you use a network proxy")


PROXY_SCHEMES = ("http", "https", "socks", "socks4", "socks5", "socks5h")
HOST_PORT = re.compile(r"^[A-Za-z0-9.-]+:\d{1,5}$")  # what a scheme-less proxy address looks like


@rule(
    code="CCR068",
    name="proxy-url-invalid",
    severity="error",
    summary="`PROXY_URL` is not a URL with a scheme and a host",
    why="""CCR hands `PROXY_URL` to its HTTP client as the proxy for every provider request:
`127.0.0.1:7890` (no scheme) or `http://:7890` (no host) is not a URL it can connect
through, so every request fails.""",
    fix="Write the full proxy URL, e.g. `http://127.0.0.1:7890`, or remove `PROXY_URL`.",
    severity_why="every provider request fails.",
)
def proxy_url_invalid(ctx):
    from urllib.parse import urlparse

    value = ctx.config.get("PROXY_URL")
    if not isinstance(value, str) or not value.strip() or "$" in value:
        return  # empty means no proxy; CCR071 reports references
    text = value.strip()
    try:
        parts = urlparse(text)
        host = parts.hostname
    except ValueError:
        parts, host = None, None
    if parts is None or parts.scheme.lower() not in PROXY_SCHEMES or not host or value != text:
        guess = "http://" + text if HOST_PORT.match(text) else None
        yield Hit(("PROXY_URL",), f"PROXY_URL {value!r} is not a proxy URL with a scheme and host",
                  f"write '{guess}'" if guess else "write e.g. http://127.0.0.1:7890")


@rule(
    code="CCR069",
    name="rewrite-prompt-unreadable",
    severity="error",
    summary="`REWRITE_SYSTEM_PROMPT` names a file CCR cannot read",
    why="""CCR 2.0.0 reads `REWRITE_SYSTEM_PROMPT` with `readFile` for every request whose
system prompt carries Claude Code's `<env>` block (every main-agent request), outside its
error handling: a path starting with `~` (not expanded), a file that does not exist or a
folder makes every such request answer 500 `ENOENT: no such file or directory`. A relative
path is read from the folder CCR happened to be started in, not the config's.""",
    fix="Write the absolute path of an existing text file, or remove `REWRITE_SYSTEM_PROMPT`.",
    severity_why="""every Claude Code request fails with ENOENT; a warning for a relative path,
which works only when CCR is started from the folder that holds the file.""",
)
def rewrite_prompt_unreadable(ctx):
    from pathlib import Path

    value = ctx.config.get("REWRITE_SYSTEM_PROMPT")
    if not isinstance(value, str) or not value or value.startswith("$"):
        return  # empty: CCR skips it; `$NAME` is CCR071's (never interpolated)
    where = ("REWRITE_SYSTEM_PROMPT",)
    if value.startswith("~"):
        yield Hit(where, f"'{value}' starts with '~', which CCR does not expand: every Claude Code "
                  "request would fail with ENOENT", f"write '{Path(value).expanduser()}'")
    elif not Path(value).is_absolute():
        yield Hit(where, f"'{value}' is relative: CCR reads it from whatever folder it was started in",
                  "write the absolute path", severity="warning")
    elif not Path(value).is_file():
        yield Hit(where, f"'{value}' is not a file here: every Claude Code request would fail with ENOENT",
                  "fix the path, or remove REWRITE_SYSTEM_PROMPT")
