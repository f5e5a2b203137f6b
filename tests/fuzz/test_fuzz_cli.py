"""Fuzz every command that reads a file: specs (YAML), CCR configs (JSON5) and request files
with their types, nesting, sizes and encodings mutated (invalid UTF-8, BOM, UTF-16, lone
surrogates, NUL, huge numbers, YAML aliases and tags). For every run:

- the exit code is one of ccrgen's documented ones (0-4), never 70 (internal error);
- no "Traceback" and no "internal error" in the output;
- it ends within a time bound; the subprocess runs also within 1 GB of address space.

Most runs are in-process (`ccrgen.cli.main`, fast); a sample runs as real subprocesses,
whose exit code is the truth. Profiles (tests/fuzz/conftest.py): CCRGEN_FUZZ_PROFILE=ci
(default, short) or long (`CCRGEN_FUZZ_PROFILE=long python -m pytest tests/fuzz`).
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from hypothesis import event, given, settings
from hypothesis import strategies as st

from ccrgen.common import limits

EXIT_CODES = {0, 1, 2, 3, 4}
RUN_SECONDS = 30                      # the held-back check's bound for one command
MEMORY_BYTES = 1024 * 1024 * 1024     # ... and its memory bound (RLIMIT_AS of a subprocess)
# In-process runs are many and cheap; subprocess runs are few (each starts Python).
IN_PROCESS = max(8, settings.default.max_examples // 10)   # each runs every command
SUBPROCESS = max(3, settings.default.max_examples // 30)

SPEC = {
    "description": "fuzz",
    "server": {"port": 3456, "log": False, "api_key": "$CCRGEN_FUZZ_KEY", "timeout_ms": 600000},
    "providers": {
        "p": {"base_url": "http://127.0.0.1:9/v1/chat/completions", "api_key": "$P_KEY",
              "models": ["m1", "m2"], "transformer": {"use": ["openrouter"]}},
        "h": {"base_url": "http://127.0.0.1:9/h/v1/chat/completions", "api_key": "$H_KEY",
              "models": {"big": {"context_window": 200000, "vision": True}}, "auth": {"header": "api-key"}},
    },
    "routes": {"default": "p,m1", "think": "h,big", "long_context": "h,big", "long_context_threshold": 60000},
    "fallback": {"default": ["h,big"]},
    "extra": {"StatusLine": {"enabled": False}},
}
CONFIG = {
    "LOG": False, "PORT": 3456, "API_TIMEOUT_MS": "600000",
    "transformers": [{"path": "/nonexistent/fuzz-transformer.js", "options": {"a": 1}}],
    "Providers": [
        {"name": "p", "api_base_url": "http://127.0.0.1:9/v1/chat/completions", "api_key": "$P_KEY",
         "models": ["m1", "m2"], "transformer": {"use": ["openrouter", ["maxtoken", {"max_tokens": 10}]],
                                                 "m2": {"use": ["tooluse"]}}},
    ],
    "Router": {"default": "p,m1", "think": "p,m2", "longContextThreshold": 60000},
    "fallback": {"default": ["p,m2"]},
}
REQUEST = {"model": "claude-sonnet-4-5", "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}],
           "system": [{"type": "text", "text": "s"}], "metadata": {"user_id": "u_session_1"}}


# --- strategies --------------------------------------------------------------------------

def _nested(depth: int, leaf) -> object:
    for _ in range(depth):
        leaf = [leaf]
    return leaf


HOSTILE_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=10**30, max_value=10**40),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=20),
    st.sampled_from(["", ",", "p,", ",m1", "p,m1,x", "\x00", "\u2028", "$", "${", "~/x.js", "-1", "NaN",
                     "60K", "a" * 5000, "\ufeff", "\U0001f600", "💥,💥", "http://[::1", "http://a:99999999/v1",
                     "http://u:p@h/v1/chat/completions?key=k", "file:///etc/passwd", "/dev/zero"]),
)
HOSTILE = st.one_of(
    HOSTILE_SCALARS,
    st.lists(HOSTILE_SCALARS, max_size=4),
    st.dictionaries(st.text(max_size=6), HOSTILE_SCALARS, max_size=4),
    st.builds(_nested, st.sampled_from([10, limits.MAX_NESTING_DEPTH - 3, limits.MAX_NESTING_DEPTH + 5, 400]),
              HOSTILE_SCALARS),
)


def _paths(value, path=()):
    yield path
    if len(path) > 12:  # not inside the deep values a mutation put there
        return
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, path + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, path + (index,))


def _replace(value, path, new):
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: _replace(value[head], rest, new)}
    out = list(value)
    out[head] = _replace(out[head], rest, new)
    return out


@st.composite
def mutated(draw, base):
    """`base` with a few values replaced by hostile ones (wrong types, nesting, sizes), keys
    added or dropped."""
    value = base
    for _ in range(draw(st.integers(1, 3))):
        paths = list(_paths(value))
        path = draw(st.sampled_from(paths))
        action = draw(st.sampled_from(["replace", "replace", "add", "drop"]))
        target = value
        for part in path:
            target = target[part]
        if action == "add" and isinstance(target, dict):
            key = draw(st.sampled_from(["models", "name", "use", "transformers", "Router", "PORT", "HOST",
                                        "extends", "auth", "extra", "<<", "x+", "routes"]) | st.text(max_size=5))
            value = _replace(value, path, {**target, key: draw(HOSTILE)})
        elif action == "drop" and path:
            parent = value
            for part in path[:-1]:
                parent = parent[part]
            if isinstance(parent, dict):
                value = _replace(value, path[:-1], {k: v for k, v in parent.items() if k != path[-1]})
        else:
            value = _replace(value, path, draw(HOSTILE))
    return value


def _to_json(value) -> str:
    """JSON5 text (NaN, Infinity allowed); lone surrogates escaped as \\uD800."""
    return json.dumps(value, ensure_ascii=True)


def _to_yaml(value) -> str:
    try:
        return yaml.safe_dump(value, allow_unicode=False, sort_keys=False)
    except (yaml.YAMLError, ValueError, RecursionError):  # a 5,000-digit int, 400 levels deep
        return _to_json(value)  # JSON is YAML too (mostly)


YAML_SNIPPETS = [
    'a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n'
    'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n',
    "providers: !!python/object:os.system {}\n", "x: !!binary aGk=\n", "x: !!set {a}\n", "x: 2024-01-01\n",
    "base: &b {server: {port: 1}}\n<<: *b\n", "<<: [*nope]\n", "? [a, b]\n: 1\n", "x: " + "9" * 5000 + "\n",
    "x: 0x" + "f" * 5000 + "\n", "providers:\n  p: &p {base_url: u, api_key: k, models: [m]}\n  q: *p\n",
    "extends: [" + ", ".join(["hicap"] * 50) + "]\n", "extends: ./self.yaml\n", "extends: /dev/zero\n",
    "x: \"\\ud800\"\n", "%YAML 1.1\n---\nx: 1\n...\n---\ny: 2\n", "- - - - - [" * 30 + "]" * 30 + "\n",
]


@st.composite
def encoded(draw, text: str) -> bytes:
    """`text` as bytes, sometimes mangled: BOM, UTF-16, invalid UTF-8, NUL, truncation."""
    kind = draw(st.sampled_from(["utf-8"] * 6 + ["bom", "utf-16", "invalid", "nul", "truncate", "flip"]))
    data = text.encode("utf-8", "surrogatepass")
    if kind == "bom":
        return b"\xef\xbb\xbf" + data
    if kind == "utf-16":
        return text.encode("utf-16", "surrogatepass")
    at = draw(st.integers(0, len(data)))
    if kind == "invalid":
        return data[:at] + draw(st.sampled_from([b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xf4\x90\x80\x80"])) + data[at:]
    if kind == "nul":
        return data[:at] + b"\x00" + data[at:]
    if kind == "truncate":
        return data[:at]
    if kind == "flip" and data:
        i = min(at, len(data) - 1)
        return data[:i] + bytes([data[i] ^ (1 << draw(st.integers(0, 7)))]) + data[i + 1:]
    return data


specs = st.one_of(
    mutated(SPEC).map(_to_yaml),
    st.sampled_from(YAML_SNIPPETS),
    mutated(SPEC).map(_to_json),
).flatmap(encoded)
configs = st.one_of(
    mutated(CONFIG).map(_to_json),
    st.builds(lambda text, tail: text[:-1] + tail, mutated(CONFIG).map(_to_json),
              st.sampled_from([', "x": NaN}', ', "x": ' + "9" * 5000 + "}", ', "x": "\\ud800"}',
                               ', "x": ' + "[" * 150 + "]" * 150 + "}", ", // c\n}", ', "\\u0000": 0x1F}',
                               ', "HOST": "a\\u0000b"}', ', "PORT": Infinity}'])),
).flatmap(encoded)
requests = st.one_of(
    mutated(REQUEST).map(_to_json),
    st.sampled_from(['{"model": 5, "messages": []}', '{"messages": ' + "[" * 3000 + "]" * 3000 + "}",
                     '{"model": "x\\ud800", "messages": []}', "[]", "", "{", '{"messages": [{"role": "user",'
                     ' "content": [{"type": "image", "source": "x"}]}]}']),
).flatmap(encoded)


# --- running the commands ------------------------------------------------------------------

def run_in_process(args: list[str], env: dict) -> tuple[int, str]:
    """`ccrgen ARGS` in this process: (exit code, stdout + stderr)."""
    from ccrgen.cli import main

    out, err = io.StringIO(), io.StringIO()
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    os.environ.pop("CCRGEN_DEBUG", None)
    code = 0
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main(args)
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return code, out.getvalue() + err.getvalue()


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))


def run_subprocess(args: list[str], env: dict, cwd: Path) -> tuple[int, str]:
    full = {**os.environ, **env}
    full.pop("CCRGEN_DEBUG", None)
    done = subprocess.run([sys.executable, "-m", "ccrgen", *args], env=full, cwd=cwd, capture_output=True,
                          text=True, errors="replace", timeout=RUN_SECONDS, preexec_fn=_limit_memory,
                          stdin=subprocess.DEVNULL)
    return done.returncode, done.stdout + done.stderr


def check(code: int, output: str, seconds: float, args) -> None:
    event(f"{args[0]}: exit {code}")  # the spread of outcomes: --hypothesis-show-statistics
    assert code in EXIT_CODES, (code, args, output[-2000:])
    assert "Traceback" not in output and "internal error" not in output, (args, output[-2000:])
    assert seconds < RUN_SECONDS, (args, seconds)


@pytest.fixture(scope="module")
def place(tmp_path_factory):
    """A folder with a HOME, a CCR folder, a presets folder and good request/spec files."""
    root = tmp_path_factory.mktemp("fuzz-cli")
    (root / "home").mkdir()
    (root / "ccr").mkdir()
    (root / "presets").mkdir()
    (root / "request.json").write_text(json.dumps(REQUEST), encoding="utf-8")
    (root / "good.yaml").write_text(yaml.safe_dump(SPEC), encoding="utf-8")
    (root / "good.json").write_text(json.dumps(CONFIG), encoding="utf-8")
    env = {"HOME": str(root / "home"), "CCRGEN_PRESETS_DIR": str(root / "presets"), "NO_COLOR": "1"}
    return root, env


def spec_commands(root: Path, spec: Path) -> list[list[str]]:
    return [["lint", str(spec)], ["build", str(spec), "--out", str(root / "out")], ["build", str(spec), "--dry-run"],
            ["diff", str(spec), "--ccr-dir", str(root / "ccr")], ["route", str(root / "request.json"), str(spec)],
            ["resolve", str(spec)], ["preset", "show", "fz"], ["init", "--preset", "fz", "-o", str(root / "init.yaml"),
                                                               "--force"]]


def config_commands(root: Path, config: Path) -> list[list[str]]:
    return [["lint", str(config)], ["import", str(config)], ["import", str(config), "-o", str(root / "imported.yaml")],
            ["route", str(root / "request.json"), "--config", str(config)],
            ["diff", "--preset", "ollama", "--against", str(config)], ["build", str(config), "--dry-run"],
            ["doctor", "--ccr-dir", str(root / "ccr")]]


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_every_fuzzed_command_exists(tmp_path):
    """The fuzz runs every command it lists; a renamed command must fail here, not vanish."""
    from ccrgen.cli import COMMANDS

    listed = spec_commands(tmp_path, tmp_path / "s.yaml") + config_commands(tmp_path, tmp_path / "c.json")
    assert {args[0] for args in listed} <= set(COMMANDS)


# --- the properties ------------------------------------------------------------------------

@settings(max_examples=IN_PROCESS)
@given(data=specs)
def test_every_spec_command_survives_hostile_specs(place, data):
    root, env = place
    spec = _write(root / "fuzz.yaml", data)
    _write(root / "presets" / "fz.yaml", data)  # preset show / init read it as a user preset
    for args in spec_commands(root, spec):
        started = time.monotonic()
        code, output = run_in_process(args, env)
        check(code, output, time.monotonic() - started, args)


@settings(max_examples=IN_PROCESS)
@given(data=configs)
def test_every_config_command_survives_hostile_configs(place, data):
    root, env = place
    config = _write(root / "fuzz.json", data)
    _write(root / "ccr" / "config.json", data)  # what doctor reads
    for args in config_commands(root, config):
        started = time.monotonic()
        code, output = run_in_process(args, env)
        check(code, output, time.monotonic() - started, args)


@settings(max_examples=IN_PROCESS * 3)
@given(data=requests, source=st.sampled_from(["good.yaml", "good.json"]))
def test_route_survives_hostile_request_files(place, data, source):
    root, env = place
    request = _write(root / "fuzz-request.json", data)
    where = ["--config", str(root / source)] if source.endswith(".json") else [str(root / source)]
    args = ["route", str(request), *where]
    started = time.monotonic()
    code, output = run_in_process(args, env)
    check(code, output, time.monotonic() - started, args)


@pytest.mark.slow
@settings(max_examples=SUBPROCESS)
@given(spec=specs, config=configs, which=st.integers(0, 13))
def test_a_sample_as_real_processes_within_time_and_memory(place, spec, config, which):
    root, env = place
    spec_file = _write(root / "sub.yaml", spec)
    config_file = _write(root / "sub.json", config)
    args = (spec_commands(root, spec_file)[:6] + config_commands(root, config_file)[:6]
            + [["smoke", "--config", str(config_file), "--mock-upstream"], ["smoke", str(spec_file), "--mock-upstream"]])[which]
    started = time.monotonic()
    code, output = run_subprocess(args, env, root)
    check(code, output, time.monotonic() - started, args)

