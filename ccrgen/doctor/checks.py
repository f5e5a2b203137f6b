"""Doctor checks: each a small function of the machine's state returning CheckResults with a
status (ok / warning / error), a one-line finding and the command that fixes it."""

from __future__ import annotations

import os
import re
import stat
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Mapping

from ccrgen.ccr import facts

OK, WARNING, ERROR = "ok", "warning", "error"
MIN_NODE = 20


def env_unset_code() -> str:
    """The lint rule for an unset variable, which the environment check reports too: one code
    and one severity everywhere (the rule table is the source; imported only when needed)."""
    from ccrgen.lint.engine import all_rules

    return next(code for code, declared in all_rules().items()
                if declared.environment and declared.name == "env-unset")


@dataclass(frozen=True)
class CheckResult:
    check: str
    status: str
    message: str
    hint: str | None = None

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class Situation:
    """What the checks look at, gathered once."""

    ccr_dir: Path
    env: Mapping[str, str]
    spec: Path | None = None            # the local spec, when there is one
    online: bool = False
    installed: object = None            # LoadedConfig of the installed config.json
    problem: object = None              # the CcrgenError that stopped it loading
    loaded: dict = field(default_factory=dict)   # transformer path -> CustomTransformer (name, headers)
    judged: tuple | None = None         # (environment, which one) CCR runs with: judged_environment()

    @property
    def config_path(self) -> Path:
        return self.ccr_dir / facts.CONFIG_FILE_NAME

    @property
    def config(self) -> dict | None:
        return self.installed.config if self.installed is not None else None


CHECKS: list[Callable[[Situation], list[CheckResult]]] = []


def check(func):
    CHECKS.append(func)
    return func


def run_checks(situation: Situation) -> list[CheckResult]:
    from ccrgen.doctor.ccr3_checks import checks_for

    results = []
    for func in checks_for(situation, CHECKS):
        results += func(situation)
    return results


@check
def config_parses(s: Situation) -> list[CheckResult]:
    from ccrgen.errors import CcrgenError
    from ccrgen.spec.loader import load_config

    if not s.config_path.exists():
        return [CheckResult("config", ERROR, f"no {s.config_path}",
                            "build and install one: `ccrgen build --preset hicap --install`")]
    try:
        s.installed = load_config(s.config_path)
    except CcrgenError as exc:
        s.problem = exc
        return [CheckResult("config", ERROR, exc.problems[0].render().splitlines()[0],
                            "fix the file; CCR refuses to start with it" if exc.exit_code == 2 else
                            "fix these values (`ccrgen lint` lists them all): CCR 2.0.0 misreads or drops them")]
    return [CheckResult("config", OK, f"{s.config_path} parses as CCR reads it (JSON5)")]


def _references(config: dict) -> dict[str, list[str]]:
    """Variable name -> the config keys that use it, where CCR interpolates."""
    from ccrgen.ccr.config import ENV_REFERENCE
    from ccrgen.common.document import format_path
    from ccrgen.lint.rules.env import strings

    used: dict[str, list[str]] = {}
    for key in facts.INTERPOLATED_KEYS:
        for path, text in strings(config.get(key), (key,)):
            for match in ENV_REFERENCE.finditer(text):
                used.setdefault(match.group(1) or match.group(2), []).append(format_path(path))
    return used


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' * (n != 1)}"


def configured_port(s: Situation) -> int:
    try:
        return int(str(s.config.get("PORT", facts.DEFAULT_PORT))) if s.config is not None else facts.DEFAULT_PORT
    except ValueError:
        return facts.DEFAULT_PORT


def running_ccr_pid(s: Situation) -> int | None:
    """The pid of the CCR serving this config: its pid file's process when alive, else the
    process that listens on the configured port and answers as CCR."""
    from ccrgen.doctor import probe

    pid = _read_pid(s.ccr_dir / facts.PID_FILE_NAME)
    if pid and probe.pid_alive(pid):
        return pid
    listener = probe.port_listener("127.0.0.1", configured_port(s))
    return listener.pid if listener.ccr_version else None


def judged_environment(s: Situation) -> tuple[Mapping[str, str], str]:
    """The environment CCR really has: the running CCR's own (/proc/PID/environ) when it
    runs and can be read, else this shell's (what a `ccr start` from here would get)."""
    if s.judged is not None:
        return s.judged
    s.judged = _judge_environment(s)
    return s.judged


def _judge_environment(s: Situation) -> tuple[Mapping[str, str], str]:
    from ccrgen.doctor import probe

    pid = running_ccr_pid(s)
    if pid is None:
        return s.env, "this shell's environment (CCR is not running; `ccr start` from here gets it)"
    env = probe.process_environ(pid)
    if env is None:
        return s.env, f"this shell's environment (the running CCR, pid {pid}, does not let its own be read)"
    return env, f"the environment of the running CCR (pid {pid})"


@check
def environment(s: Situation) -> list[CheckResult]:
    if s.config is None:
        return []
    from ccrgen.common.secrets import looks_like_placeholder

    references = _references(s.config)
    env, where = judged_environment(s) if references else (s.env, "")
    running = where.startswith("the environment of the running CCR")
    restart = ", then `ccr restart` from that shell" if running else ", then `ccr start`"
    results = [CheckResult("environment", OK, f"checked {where}")] if references else []
    for name, keys in sorted(references.items()):
        value = env.get(name)
        if not value:
            results.append(CheckResult(
                "environment", ERROR,
                f"${name} is not set in {where.split(' (')[0]} (used by {', '.join(keys)}): "
                f"CCR {'sends' if running else 'would send'} the literal text '${name}' [{env_unset_code()}]",
                f"export {name}=<your key> in the shell that starts CCR{restart}"))
        elif looks_like_placeholder(value):
            results.append(CheckResult("environment", WARNING, f"${name} looks like a placeholder, not a key",
                                       f"set {name} to the real key from your provider"))
        else:
            results.append(CheckResult("environment", OK, f"${name} is set"))
    for i, provider in enumerate(_providers(s.config)):
        key = provider.get("api_key")
        if isinstance(key, str) and "$" not in key and looks_like_placeholder(key):
            results.append(CheckResult("environment", WARNING,
                                       f"provider '{provider.get('name')}' has a placeholder api_key",
                                       "write the real key as an environment reference, e.g. $PROVIDER_API_KEY"))
    return results


def _providers(config: dict) -> list[dict]:
    from ccrgen.ccr.config import providers_of

    return [p for p in providers_of(config) if isinstance(p, dict)]


@check
def transformers(s: Situation) -> list[CheckResult]:
    if s.config is None:
        return []
    from ccrgen.ccr.runner import find_node

    node = find_node()
    results = []
    candidates: list[tuple[str, dict]] = []
    entries = s.config.get("transformers")
    for i, entry in enumerate(entries if isinstance(entries, list) else []):
        path = entry.get("path") if isinstance(entry, dict) else None
        label = f"transformers[{i}]"
        if not isinstance(path, str):
            results.append(CheckResult("transformers", ERROR, f"{label} has no path", "give its absolute path"))
            continue
        if path.startswith("~"):
            results.append(CheckResult(
                "transformers", ERROR, f"{label} path {path} starts with '~': CCR 2.0.0 never loads it",
                f"write the absolute path {Path(path).expanduser()} (`ccrgen build --install` does)"))
            continue
        if not Path(path).is_absolute():
            results.append(CheckResult("transformers", ERROR,
                                       f"{label} path {path} is relative: CCR resolves it against its own folder",
                                       "write the absolute path"))
            continue
        if not Path(path).is_file():
            from ccrgen.common.inputs import unreadable_reason

            what = "does not exist" if not os.path.lexists(path) else f"cannot be read: {unreadable_reason(Path(path))}"
            results.append(CheckResult("transformers", ERROR, f"transformer file {path} {what}",
                                       "install it: `ccrgen build --install`, or fix the path"))
            continue
        if not os.access(path, os.R_OK):
            results.append(CheckResult("transformers", ERROR, f"transformer file {path} is not readable",
                                       f"chmod a+r {path}"))
            continue
        if node is None:
            results.append(CheckResult("transformers", WARNING, f"cannot try {path}: node is not installed",
                                       "install Node.js 20 or later"))
            continue
        candidates.append((path, entry))
    results += _load_as_ccr(node, candidates, s)
    results += _use_names(s)
    return results


def _load_as_ccr(node: str, candidates: list[tuple[str, dict]], s: Situation) -> list[CheckResult]:
    """Each file loaded exactly as CCR 2.0.0 loads it when it starts (the options as config.json
    has them: `new Module(undefined)` for an entry without options), then run once on a request
    for the headers it sends (ccrgen.ccr.transformers, one node run for all)."""
    from ccrgen.ccr.transformers import as_custom, probe_entry, probe_in_node

    if not candidates:
        return []
    answers = probe_in_node(node, [probe_entry(path, entry) for path, entry in candidates])
    results = []
    for i, (path, entry) in enumerate(candidates):
        built = answers[i] if answers is not None else None
        if built is None:
            results.append(CheckResult("transformers", WARNING, f"cannot try {path}: node did not answer "
                                       "(a file that hangs while it loads?)",
                                       f"run `node -e 'require(\"{path}\")'` to see what it does"))
            continue
        if not built.get("ok") and built.get("step") == "transformRequestIn":
            results.append(CheckResult("transformers", ERROR, f"{path} loads as '{built.get('name')}' but fails on a "
                                       f"request: {built.get('error')}", "fix its transformRequestIn"))
            continue
        if not built.get("ok"):
            results.append(CheckResult("transformers", ERROR, f"{path} does not load in CCR: {built.get('error')}",
                                       _load_hint(built, entry)))
            continue
        if not built.get("name"):
            results.append(CheckResult("transformers", ERROR, f"{path} loads but has no name; CCR refuses it",
                                       "set `this.name` in the constructor (or a `name` property on the class instance)"))
            continue
        s.loaded[path] = loaded = as_custom(path, built)
        results.append(CheckResult("transformers", OK, f"{path} loads as '{loaded.name}'"))
    return results


def _load_hint(built: dict, entry: dict) -> str:
    error = str(built.get("error") or "")
    if built.get("step") == "require":
        if "Cannot find module" in error:
            return "a module it requires is missing: install it next to the file, or fix the require"
        if built.get("kind") == "SyntaxError":
            return "fix the syntax error (`node --check FILE` shows where); CCR needs CommonJS: module.exports = class ..."
        return "it throws while CCR requires it: fix the code that runs at load time"
    if "not a class" in error or "not a constructor" in error:
        return ("CCR calls `new` on module.exports: export a class, module.exports = class { constructor(options) {...} }"
                " (an ES module's `export default` is not enough)")
    if "options" not in entry and ("undefined" in error or "null" in error):
        return ("CCR passes no options when the entry has none (`new Module(undefined)`): give the entry "
                "\"options\": {} or default the constructor's parameter (constructor(options = {}))")
    return "fix its constructor: CCR constructs it once at start and skips it when that throws"


def _use_names(s: Situation) -> list[CheckResult]:
    from ccrgen.lint.rules.providers import use_names

    known = set(facts.BUILTIN_TRANSFORMERS) | {t.name for t in s.loaded.values()}
    results = []
    for provider in _providers(s.config):
        chain = provider.get("transformer") if isinstance(provider.get("transformer"), dict) else {}
        names = use_names(chain.get("use"))
        names += [n for k, v in chain.items() if k != "use" and isinstance(v, dict) for n in use_names(v.get("use"))]
        for name in names:
            if name not in known:
                results.append(CheckResult(
                    "transformers", ERROR,
                    f"provider '{provider.get('name')}' uses '{name}', which nothing loaded provides: CCR skips it",
                    "fix the transformer path above, or the name (built-ins are case-sensitive)"))
    return results


@check
def tools(s: Situation) -> list[CheckResult]:
    from ccrgen.ccr.installed import find_install
    from ccrgen.ccr.runner import find_claude, find_node, program_version
    from ccrgen.errors import CcrgenError

    results = []
    node = find_node()
    version = program_version([node]) if node else None
    major = int(m.group(1)) if version and (m := re.match(r"v?(\d+)", version)) else None
    if node is None:
        results.append(CheckResult("tools", ERROR, "node is not installed", "install Node.js 20 or later"))
    elif major is not None and major < MIN_NODE:
        results.append(CheckResult("tools", ERROR, f"node {version} is too old for CCR", "install Node.js 20 or later"))
    else:
        results.append(CheckResult("tools", OK, f"node {version}"))
    try:  # the version from its package.json: `ccr -v` on CCR 3.x rewrites ~/.claude/settings.json
        install = find_install()
    except CcrgenError:
        install = None
    ccr, ccr_version = (install.command, install.version) if install else (None, None)
    if ccr is None:
        results.append(CheckResult("tools", ERROR, "ccr (Claude Code Router) is not installed",
                                   f"npm install -g {facts.CCR_NPM_PACKAGE}@{facts.CCR_VERSION}"))
    elif install.generation == 3:
        results.append(CheckResult("tools", OK, f"ccr {ccr_version}: CCR 3.x (config in config.sqlite; "
                                   "build for it with `ccrgen build --target ccr3`)"))
    elif ccr_version and not ccr_version.startswith("2."):
        results.append(CheckResult("tools", WARNING, f"ccr {ccr_version} is not 2.x",
                                   f"npm install -g {facts.CCR_NPM_PACKAGE}@{facts.CCR_VERSION}"))
    else:
        results.append(CheckResult("tools", OK, f"ccr {ccr_version or '(version unknown)'}"))
    if ccr is not None and _which("ccr", s.env) is None and not s.env.get("CCRGEN_CCR"):
        results.append(CheckResult("tools", WARNING, f"ccr is not on PATH (ccrgen found {install.cli or ccr[-1]}): "
                                   "`ccr start` and `ccr code` will not run from this shell",
                                   f"npm install -g {facts.CCR_NPM_PACKAGE}@{facts.CCR_VERSION}"))
    results += _other_ccrs(s, install)
    claude = find_claude()
    if claude is None:
        results.append(CheckResult("tools", WARNING, "claude (Claude Code) is not installed",
                                   f"npm install -g {facts.CLAUDE_NPM_PACKAGE}"))
    elif _which("claude", s.env) is None and not s.env.get("CCRGEN_CLAUDE"):
        results.append(CheckResult("tools", WARNING, f"claude is not on PATH (ccrgen found {claude}, `ccr code` "
                                   "and you will not)", f"npm install -g {facts.CLAUDE_NPM_PACKAGE}, or add "
                                   f"{Path(claude).parent} to PATH"))
    else:
        results.append(CheckResult("tools", OK, f"claude {program_version([claude]) or '(version unknown)'}"))
    return results


def _other_ccrs(s: Situation, install) -> list[CheckResult]:
    """Two `ccr` on PATH (a global npm install and another one): the first one runs."""
    from ccrgen.ccr.installed import describe
    from ccrgen.errors import CcrgenError

    seen: dict[str, str] = {}
    for folder in s.env.get("PATH", "").split(os.pathsep):
        candidate = Path(folder or ".") / "ccr"
        if not (candidate.is_file() and os.access(candidate, os.X_OK)):
            continue
        try:
            found = describe(candidate)
        except CcrgenError:
            found = None
        if found is not None and found.cli is not None:
            seen.setdefault(str(found.cli), f"{candidate} ({found.label})")
    if len(seen) < 2:
        return []
    first, *rest = seen.values()
    return [CheckResult("tools", WARNING, f"{len(seen)} CCR installs on PATH: {first} runs; also {', '.join(rest)}",
                        "remove the one you do not use (npm uninstall -g, or the other prefix), so `ccr` is "
                        "the one you configured")]


@check
def server(s: Situation) -> list[CheckResult]:
    from ccrgen.doctor import probe

    port = facts.DEFAULT_PORT
    if s.config is not None:
        try:
            port = int(str(s.config.get("PORT", port)))
        except ValueError:
            pass
    results = []
    listener = probe.port_listener("127.0.0.1", port)
    pid_file = s.ccr_dir / facts.PID_FILE_NAME
    pid = _read_pid(pid_file)
    if not listener.reachable and pid and probe.pid_alive(pid):
        # `ccr code` sees the pid file, takes the port from config.json and finds nothing there
        results.append(CheckResult("server", ERROR, f"CCR runs (pid {pid}) but not on port {port}, the PORT in "
                                   f"config.json: `ccr code` and clients using that port get 'connection refused'",
                                   "restart it so it reads config.json again: `ccr restart`"))
    elif not listener.reachable:
        results.append(CheckResult("server", WARNING, f"nothing is listening on port {port}: CCR is not running",
                                   "start it: `ccr start`"))
    elif listener.ccr_version is None:
        who = listener.process or "another program"
        results.append(CheckResult("server", ERROR, f"port {port} is taken by {who}, not CCR",
                                   f"stop it{f' (pid {listener.pid})' if listener.pid else ''}, or set PORT to a free port"))
    else:
        results.append(CheckResult("server", OK, f"CCR answers on 127.0.0.1:{port}"))
    if pid_file.exists():
        if pid is None or not probe.pid_alive(pid):
            results.append(CheckResult("server", WARNING, f"stale pid file {pid_file} (process {pid} is not running)",
                                       f"remove it: rm {pid_file}"))
        else:
            results.append(CheckResult("server", OK, f"CCR process {pid} is running"))
    running = pid if pid and probe.pid_alive(pid) else (listener.pid if listener.ccr_version else None)
    if running and s.config_path.exists():
        started = probe.process_start_time(running)
        if started is not None and s.config_path.stat().st_mtime > started + 1:
            results.append(CheckResult("server", WARNING,
                                       "config.json changed after CCR started: the running CCR uses the old config",
                                       "restart it: `ccr restart`"))
    return results


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


@check
def config_quality(s: Situation) -> list[CheckResult]:
    if s.installed is None:
        return []
    from ccrgen.lint.engine import environment_codes, lint

    results = []
    env, _where = judged_environment(s)
    # what depends on the machine (an unset variable) is the environment check's finding
    machine = environment_codes()
    errors = [f for f in lint(s.installed, env=env) if f.severity == "error" and f.code not in machine]
    if errors:
        first = errors[0]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        results.append(CheckResult("config", ERROR, f"lint: {first.path}: {first.message} [{first.code}]{more}",
                                   f"`ccrgen lint {s.config_path}` lists them with fixes"))
    else:
        results.append(CheckResult("config", OK, "lint finds no errors"))
    results += _matches_spec(s)
    results += _permissions(s)
    return results


def _matches_spec(s: Situation) -> list[CheckResult]:
    if s.spec is None:
        return []
    from ccrgen.lifecycle.plan import config_changes as planned_changes
    from ccrgen.errors import CcrgenError
    from ccrgen.spec.loader import load

    try:
        changes, files = planned_changes(load(s.spec, ccr_dir=s.ccr_dir), s.ccr_dir)
    except CcrgenError as exc:
        return [CheckResult("config", WARNING, f"{s.spec} does not build: {exc.problems[0].message}",
                            f"`ccrgen build {s.spec}` explains")]
    if changes or files:
        return [CheckResult("config", WARNING, f"the installed config is not what {s.spec} builds "
                            f"({plural(len(changes) + len(files), 'difference')})",
                            f"see them with `ccrgen diff {s.spec}`, install with `ccrgen build {s.spec} --install`")]
    return [CheckResult("config", OK, f"the installed config is what {s.spec} builds")]


def _permissions(s: Situation) -> list[CheckResult]:
    from ccrgen.lint.rules.server import looks_secret

    config = s.config or {}
    literal = any(isinstance(v, str) and looks_secret(v)
                  for v in [config.get("APIKEY")] + [p.get("api_key") for p in _providers(config)])
    mode = stat.S_IMODE(s.config_path.stat().st_mode)
    if literal and mode & 0o077:
        return [CheckResult("config", WARNING, f"{s.config_path} holds a literal key and is readable by others "
                            f"(mode {mode:o})", f"chmod 600 {s.config_path}")]
    return []


@check
def online(s: Situation) -> list[CheckResult]:
    if not s.online or s.config is None:
        return []
    from ccrgen.ccr.config import as_ccr_sees_it
    from ccrgen.doctor.probe import post_json

    results = []
    config = as_ccr_sees_it(s.config, s.env)
    timeout = 10.0
    for provider in _providers(config):
        name, url, key = provider.get("name"), provider.get("api_base_url"), provider.get("api_key") or ""
        models = [m for m in provider.get("models") or [] if isinstance(m, str)]
        if not (isinstance(url, str) and url.startswith("http") and models):
            continue
        headers = upstream_headers(provider, models[0], s.loaded)
        body = {"model": models[0], "max_tokens": 1, "messages": [{"role": "user", "content": "hi"}]}
        status, reason, seconds = post_json(url, body, headers, timeout)
        where = f"{name} ({models[0]})"
        from ccrgen.common.secrets import mask_text

        reason = mask_text(reason, [key])[:120]
        if status is not None and 200 <= status < 300:
            results.append(CheckResult("online", OK, f"{where}: HTTP {status} in {seconds * 1000:.0f} ms"))
        elif status in (401, 403):
            results.append(CheckResult("online", ERROR, f"{where}: HTTP {status}, the key was refused",
                                       "check the key and how the provider wants it (header)"))
        elif status == 404:
            results.append(CheckResult("online", ERROR, f"{where}: HTTP 404 at {url}",
                                       "api_base_url must be the full endpoint, e.g. .../v1/chat/completions"))
        elif status is None:
            results.append(CheckResult("online", ERROR, f"{where}: {reason}",
                                       "check the URL, your network and PROXY_URL"))
        else:
            results.append(CheckResult("online", WARNING, f"{where}: HTTP {status}: {reason}", None))
    return results


def upstream_headers(provider: dict, model: str, loaded: dict) -> dict[str, str]:
    """The auth headers CCR (and ccrgen serve) send this provider: its transformers'
    headers, run in node at the transformers check, else `Authorization: Bearer`."""
    from ccrgen.proxy.upstream import Upstream, uses_of

    chain, per_model = uses_of(provider)
    upstream = Upstream(str(provider.get("name")), str(provider.get("api_base_url")),
                        str(provider.get("api_key") or ""), [], chain, per_model)
    headers, _steps = upstream.headers_and_steps(model, {t.name: t for t in loaded.values()})
    return headers


# Claude Code ignores ANTHROPIC_BASE_URL when one of these is on: it talks to the cloud
# provider instead of CCR, with `ccr code` too (CCR 2.0.0's settings "unset" it as undefined,
# which JSON drops). Verified: CLAUDE_CODE_USE_BEDROCK=1 and `ccr code -p` never reach CCR.
CLOUD_SWITCHES = ("CLAUDE_CODE_USE_BEDROCK", "CLAUDE_CODE_USE_VERTEX", "CLAUDE_CODE_USE_FOUNDRY")
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]", "0.0.0.0"}


def _which(name: str, env: Mapping[str, str]) -> str | None:
    import shutil

    return shutil.which(name, path=env.get("PATH", os.defpath))


def _claude_settings_env(s: Situation) -> list[tuple[str, dict]]:
    """(file, env) of the Claude Code settings files plain `claude` run here reads, lowest
    precedence first: ~/.claude/settings.json, then ./.claude/settings.json and settings.local.json."""
    import json

    home = Path(s.env.get("HOME") or Path.home())
    files = [home / ".claude" / "settings.json", Path.cwd() / ".claude" / "settings.json",
             Path.cwd() / ".claude" / "settings.local.json"]
    out, seen = [], set()
    for path in files:
        if path.resolve() in seen or not path.is_file():
            continue
        seen.add(path.resolve())
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        env = data.get("env") if isinstance(data, dict) else None
        if isinstance(env, dict):
            out.append((str(path), {str(k): str(v) for k, v in env.items() if v is not None}))
    return out


def _short(value: str) -> str:
    """A token as doctor may print it: a `$NAME` reference as written, anything else masked
    (ccrgen.common.secrets; not even its first characters) with its length."""
    from ccrgen.common.secrets import mask_value

    shown = mask_value(value)
    return f"the literal text '{value}'" if shown == value else f"{shown} ({len(value)} characters)"


@check
def claude_code(s: Situation) -> list[CheckResult]:
    """What Claude Code sends CCR, by `ccr code` from this shell and by plain `claude`."""
    if s.config is None:
        return []
    from ccrgen.ccr.config import interpolate

    results = []
    port = configured_port(s)
    ccr_url = f"http://127.0.0.1:{port}"
    raw_key = s.config.get("APIKEY")
    raw_key = raw_key if isinstance(raw_key, str) else ""
    ccr_env, where = judged_environment(s)
    expected = interpolate(raw_key, ccr_env) if raw_key else ""

    # `ccr code`: CCR 2.0.0 runs CLAUDE_PATH (config.json, else the environment) or `claude`
    # through /bin/sh, with --settings {env: ANTHROPIC_BASE_URL=http://127.0.0.1:PORT,
    # ANTHROPIC_AUTH_TOKEN=APIKEY interpolated in *this* shell, or "test"}.
    claude_path = s.config.get("CLAUDE_PATH") or s.env.get("CLAUDE_PATH") or ""
    if claude_path:
        found = claude_path if os.access(claude_path, os.X_OK) else _which(claude_path, s.env)
    else:
        found = _which("claude", s.env)
    if found is None:
        what = f"CLAUDE_PATH {claude_path}" if claude_path else "`claude`"
        results.append(CheckResult("claude code", WARNING,
                                   f"`ccr code` runs {what}, which this shell cannot find: it stops with "
                                   f"'claude: not found'",
                                   f"npm install -g {facts.CLAUDE_NPM_PACKAGE}, or put it on PATH "
                                   "(or set CLAUDE_PATH in config.json to its full path)"))
    token = interpolate(raw_key, s.env) if raw_key else "test"
    if expected and token != expected:
        from ccrgen.ccr.config import env_references

        unset = [n for n in env_references(raw_key) if not s.env.get(n)]
        why = (f"${unset[0]} is not set in this shell, so `ccr code` gives Claude Code the literal text "
               f"'{raw_key}' as its token" if unset else
               "`ccr code` from this shell gives Claude Code another APIKEY than the one CCR runs with")
        results.append(CheckResult("claude code", ERROR,
                                   f"{why}: CCR, which has APIKEY from {where.split(' (')[0]}, answers 401 Invalid API key",
                                   f"export {(unset or ['the same variables'])[0]} in this shell with the value CCR "
                                   "started with (or `ccr restart` from a shell that has the right one)"))
    elif found is not None:
        results.append(CheckResult("claude code", OK, f"`ccr code` from this shell points Claude Code at {ccr_url}"
                                   + (" with CCR's APIKEY" if expected else "")))

    # plain `claude`: this shell's environment, overridden by the settings files' env
    effective, source = dict(s.env), {}
    for file, env in _claude_settings_env(s):
        effective.update(env)
        source.update({k: file for k in env})
    origin = lambda name: source.get(name, "this shell")  # noqa: E731
    switches = [n for n in CLOUD_SWITCHES if effective.get(n, "").strip().lower() not in ("", "0", "false", "no")]
    for name in switches:
        results.append(CheckResult("claude code", ERROR,
                                   f"{name}={effective[name]} ({origin(name)}): Claude Code talks to the cloud "
                                   "provider and never reaches CCR, with `ccr code` too",
                                   f"unset {name} (`unset {name}`, or remove it from {origin(name)})"))
    base = effective.get("ANTHROPIC_BASE_URL", "").strip()
    if not base:
        results.append(CheckResult("claude code", OK, "plain `claude` does not go through CCR (ANTHROPIC_BASE_URL is "
                                   "not set); `ccr code`, or `eval \"$(ccr activate)\"` first, does"))
        return results
    from urllib.parse import urlsplit

    parts = urlsplit(base)
    try:
        base_port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        base_port = None
    if (parts.hostname or "") not in LOOPBACK or base_port != port:
        results.append(CheckResult("claude code", WARNING,
                                   f"plain `claude` goes to ANTHROPIC_BASE_URL={base} ({origin('ANTHROPIC_BASE_URL')}),"
                                   f" not to CCR at {ccr_url}",
                                   f"set ANTHROPIC_BASE_URL={ccr_url} there, or use `ccr code`"))
        return results
    # Claude Code sends ANTHROPIC_AUTH_TOKEN as Authorization: Bearer (which CCR reads first),
    # else ANTHROPIC_API_KEY as x-api-key; with neither it asks to log in.
    bearer, api_key = effective.get("ANTHROPIC_AUTH_TOKEN", ""), effective.get("ANTHROPIC_API_KEY", "")
    sent_name = "ANTHROPIC_AUTH_TOKEN" if bearer else "ANTHROPIC_API_KEY" if api_key else None
    sent = bearer or api_key
    if sent_name is None:
        results.append(CheckResult("claude code", ERROR if expected else WARNING,
                                   f"plain `claude` goes to CCR ({base}) with no ANTHROPIC_AUTH_TOKEN or "
                                   "ANTHROPIC_API_KEY: it says 'Not logged in · Please run /login'"
                                   + (" (and CCR wants its APIKEY)" if expected else ""),
                                   f"set ANTHROPIC_AUTH_TOKEN={'<CCR APIKEY>' if expected else 'any-text'} next to "
                                   f"ANTHROPIC_BASE_URL ({origin('ANTHROPIC_BASE_URL')})"))
    elif expected and sent != expected:
        results.append(CheckResult("claude code", ERROR,
                                   f"plain `claude` sends {sent_name} ({origin(sent_name)}) = {_short(sent)}, not "
                                   "CCR's APIKEY: CCR answers 401 Invalid API key",
                                   f"set {sent_name} to the value of APIKEY in config.json"
                                   + (" (ANTHROPIC_AUTH_TOKEN wins over ANTHROPIC_API_KEY)" if bearer and api_key else "")))
    else:
        results.append(CheckResult("claude code", OK, f"plain `claude` goes to CCR ({base}) with "
                                   + ("CCR's APIKEY" if expected else "a token (CCR has no APIKEY)")))
    return results
