"""Every case an adversarial run found (issue 15), as the user meets it: the real command line,
a one-line located error, a documented exit code, no traceback, bounded time and memory."""

from __future__ import annotations

import copy
import json
import os
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from ccrgen.common import limits
from ccrgen.errors import InputError, SpecError

CONFIG = {"Providers": [{"name": "p", "api_base_url": "http://127.0.0.1:9/v1/chat/completions",
                         "api_key": "$P_KEY", "models": ["m"]}],
          "Router": {"default": "p,m"}}
REQUEST = {"model": "claude-sonnet-4-5", "messages": [{"role": "user", "content": "hi"}]}
GIGABYTE = 1024 ** 3


def ccrgen(*args, cwd=None, env=None, timeout=30):
    """The real command line, within 1 GB of address space and `timeout` seconds."""
    full = {**os.environ, **(env or {})}
    full.pop("CCRGEN_DEBUG", None)
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "ccrgen", *map(str, args)], capture_output=True, text=True,
                          errors="replace", cwd=cwd, env=full, timeout=timeout, stdin=subprocess.DEVNULL,
                          preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_AS, (GIGABYTE, GIGABYTE)))
    done.seconds = time.monotonic() - started
    return done


def assert_refused(done, code: int, *needles: str) -> None:
    assert done.returncode == code, (done.returncode, done.stderr)
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr, done.stderr
    assert done.stderr.startswith("error: "), done.stderr
    for needle in needles:
        assert needle in done.stderr, (needle, done.stderr)


def config_with(tmp_path, change, name="config.json") -> Path:
    config = copy.deepcopy(CONFIG)
    change(config)
    path = tmp_path / name
    path.write_text(json.dumps(config, indent=2), encoding="utf-8")
    return path


def write_request(tmp_path, text: str | bytes = json.dumps(REQUEST)) -> Path:
    path = tmp_path / "request.json"
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


# --- wrong types in a config.json: refused at the loader, with the key and its line -------------

WRONG_TYPES = {
    "models-not-a-list": (lambda c: c["Providers"][0].update(models="m"), "Providers[0].models", "must be a list"),
    "name-not-a-string": (lambda c: c["Providers"][0].update(name=5), "Providers[0].name", "must be a string"),
    "model-is-a-map": (lambda c: c["Providers"][0].update(models=[{"id": "m"}]), "Providers[0].models[0]",
                       "must be a string"),
    "transformers-not-a-list": (lambda c: c.update(transformers={"path": "/x.js"}), "transformers",
                                "must be a list"),
    "threshold-a-string": (lambda c: c["Router"].update(longContextThreshold="64K"),
                           "Router.longContextThreshold", "must be a whole number (got '64K')"),
    "router-a-list": (lambda c: c.update(Router=["p,m"]), "Router", "must be an object"),
    "use-entry-a-number": (lambda c: c["Providers"][0].update(transformer={"use": [5]}),
                           "Providers[0].transformer.use[0]", "must be"),
}


@pytest.mark.parametrize("command", ["route", "import", "smoke", "serve", "diff-against"])
@pytest.mark.parametrize("case", sorted(WRONG_TYPES))
def test_a_wrongly_typed_config_is_refused_with_its_key_and_line(tmp_path, case, command):
    change, key, message = WRONG_TYPES[case]
    config = config_with(tmp_path, change)
    args = {"route": ["route", write_request(tmp_path), "--config", config],
            "import": ["import", config],
            "smoke": ["smoke", "--config", config, "--mock-upstream"],
            "serve": ["serve", "--config", config, "--port", "0"],
            "diff-against": ["import", config, "-o", tmp_path / "out.yaml"]}[command]
    done = ccrgen(*args)
    assert_refused(done, 1, f"{config}:", key, message)
    assert not (tmp_path / "out.yaml").exists()


def test_a_nan_threshold_is_refused_at_its_line(tmp_path):
    config = tmp_path / "config.json"
    config.write_text('{"Providers": [{"name": "p", "api_base_url": "http://x/v1/chat/completions",\n'
                      ' "api_key": "k", "models": ["m"]}],\n "Router": {"default": "p,m",\n'
                      '  "longContextThreshold": NaN}}', encoding="utf-8")
    done = ccrgen("route", write_request(tmp_path), "--config", config)
    assert_refused(done, 1, f"{config}:4:27: Router.longContextThreshold: must be a whole number (got NaN)",
                   "hint:")


def test_lint_reports_wrong_types_as_findings_instead(tmp_path):
    config = config_with(tmp_path, WRONG_TYPES["models-not-a-list"][0])
    done = ccrgen("lint", config, "--format", "json")
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    findings = json.loads(done.stdout)
    assert any(f["path"] == "Providers[0].models" and f["severity"] == "error" for f in findings), findings


def test_the_loader_gate_can_be_turned_off_for_lint(tmp_path):
    from ccrgen.spec import loader

    config = config_with(tmp_path, WRONG_TYPES["name-not-a-string"][0])
    with pytest.raises(SpecError) as refused:
        loader.load_config(config)
    assert refused.value.problems[0].path == "Providers[0].name"
    assert loader.load_config(config, check_types=False).config["Providers"][0]["name"] == 5


def test_doctor_reports_a_wrongly_typed_installed_config_as_an_error(tmp_path):
    ccr_dir = tmp_path / "ccr"
    ccr_dir.mkdir()
    config_with(ccr_dir, WRONG_TYPES["threshold-a-string"][0])
    done = ccrgen("doctor", "--ccr-dir", ccr_dir, "--json", timeout=60)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    results = json.loads(done.stdout)
    config_result = next(r for r in results if r["check"] == "config")
    assert config_result["status"] == "error" and "Router.longContextThreshold" in config_result["message"]


def test_build_install_replaces_a_wrongly_typed_installed_config(tmp_path):
    ccr_dir = tmp_path / "ccr"
    ccr_dir.mkdir()
    config_with(ccr_dir, WRONG_TYPES["models-not-a-list"][0])
    done = ccrgen("build", "--preset", "ollama", "--install", "--ccr-dir", ccr_dir, "--yes")
    assert done.returncode == 0, done.stderr
    assert json.loads((ccr_dir / "config.json").read_text())["Providers"][0]["name"] == "ollama"


def test_nul_in_host_is_refused_before_serving(tmp_path):
    config = config_with(tmp_path, lambda c: c.update(HOST="127.0.0.1\x00x", APIKEY="secret-client-key"))
    for args in (["serve", "--config", config, "--port", "0"], ["smoke", "--config", config, "--mock-upstream"]):
        assert_refused(ccrgen(*args), 1, "HOST: must be a host name or address")


# --- text that cannot be represented, nesting, numbers -----------------------------------------

def test_a_lone_surrogate_is_refused_where_it_is(tmp_path):
    config = tmp_path / "config.json"
    config.write_text(json.dumps(CONFIG)[:-1] + ', "note": "a\\ud800b"}', encoding="utf-8")
    for args in (["import", config], ["diff", "--preset", "ollama", "--against", config],
                 ["route", write_request(tmp_path), "--config", config]):
        done = ccrgen(*args)
        assert done.returncode in (1, 2) and "Traceback" not in done.stderr, done.stderr
        if args[0] != "diff":
            assert_refused(done, 1, "note: the text holds a lone UTF-16 surrogate (\\ud800)")


def test_a_surrogate_pair_is_one_character_and_fine(tmp_path):
    config = tmp_path / "config.json"
    config.write_text(json.dumps(CONFIG)[:-1] + ', "note": "\\ud83d\\ude00"}', encoding="utf-8")
    done = ccrgen("import", config)
    assert done.returncode == 0, done.stderr
    import yaml

    assert yaml.safe_load(done.stdout)["extra"]["note"] == "😀"


@pytest.mark.parametrize("depth", [500, 1000, 2000])
def test_deep_nesting_in_a_config_is_refused_by_the_parser(tmp_path, depth):
    config = tmp_path / "config.json"
    config.write_text(json.dumps(CONFIG)[:-1] + ', "x": ' + "[" * depth + "]" * depth + "}", encoding="utf-8")
    for args in (["import", config], ["diff", "--preset", "ollama", "--against", config], ["lint", config],
                 ["route", write_request(tmp_path), "--config", config]):
        assert_refused(ccrgen(*args), 2, f"nesting too deep: more than {limits.MAX_NESTING_DEPTH} levels")


@pytest.mark.parametrize("depth", [500, 1000, 2000])
def test_deep_nesting_in_a_spec_is_refused_by_the_loader(tmp_path, depth):
    spec = tmp_path / "ccrgen.yaml"
    spec.write_text("extends: ollama\nextra:\n  x: " + "[" * depth + "]" * depth + "\n", encoding="utf-8")
    for args in (["build", spec, "--out", tmp_path / "out"], ["lint", spec], ["diff", spec, "--ccr-dir", tmp_path]):
        done = ccrgen(*args)
        assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
        assert "nesting" in done.stderr and f"{spec}:3:" in done.stderr, done.stderr
    assert not (tmp_path / "out").exists()


def test_nesting_just_under_the_limit_works_everywhere(tmp_path):
    """The limit is what the whole pipeline can take: a value nested right up to it goes
    through build, diff, import and route (no RecursionError anywhere behind the loaders)."""
    depth = limits.MAX_NESTING_DEPTH - 3  # the value sits under extra.x (spec) / x (config)
    deep = "[" * depth + "1" + "]" * depth
    spec = tmp_path / "ccrgen.yaml"
    spec.write_text(f"extends: ollama\nextra:\n  x: {deep}\n", encoding="utf-8")
    assert ccrgen("build", spec, "--out", tmp_path / "out").returncode == 0
    built = tmp_path / "out" / "config.json"
    for args in (["diff", spec, "--ccr-dir", tmp_path / "out"], ["import", built],
                 ["route", write_request(tmp_path), "--config", built], ["lint", built]):
        done = ccrgen(*args)
        assert done.returncode in (0, 1) and "Traceback" not in done.stderr, (args, done.stderr)
        assert "internal error" not in done.stderr and "nesting" not in done.stderr, (args, done.stderr)


def test_a_5000_digit_integer_in_a_spec_is_a_located_error(tmp_path):
    spec = tmp_path / "ccrgen.yaml"
    spec.write_text("extends: ollama\nserver:\n  port: " + "9" * 5000 + "\n", encoding="utf-8")
    assert_refused(ccrgen("build", spec, "--out", tmp_path / "out"), 1, f"{spec}:3:9: server.port: cannot read value")


def test_a_5000_digit_integer_in_a_config_is_not_a_crash(tmp_path):
    config = tmp_path / "config.json"
    config.write_text(json.dumps(CONFIG)[:-1] + ', "PORT": ' + "9" * 5000 + ', "x": ' + "1" * 4000 + "}")
    for args in (["import", config], ["lint", config], ["route", write_request(tmp_path), "--config", config]):
        done = ccrgen(*args)
        assert done.returncode in (0, 1) and "Traceback" not in done.stderr, (args, done.stderr)
        assert "internal error" not in done.stderr


# --- files that are not files ------------------------------------------------------------------

def test_a_symlink_loop_as_the_spec_path(tmp_path):
    loop = tmp_path / "loop.yaml"
    loop.symlink_to(loop)
    for args in (["build", loop], ["lint", loop], ["diff", loop], ["route", write_request(tmp_path), loop]):
        assert_refused(ccrgen(*args), 2, f"cannot read {loop}: Too many levels of symbolic links")


@pytest.mark.parametrize("kind", ["fifo", "device", "folder"])
def test_special_files_are_refused_for_every_file_argument(tmp_path, kind):
    if kind == "fifo":
        special = tmp_path / "pipe.json"
        os.mkfifo(special)
    elif kind == "device":
        special = Path("/dev/zero")
    else:
        special = tmp_path / "folder.json"
        special.mkdir()
    good_spec = tmp_path / "ok.yaml"
    good_spec.write_text("extends: ollama\n")
    runs = [["import", special], ["route", special, good_spec], ["route", write_request(tmp_path), "--config", special],
            ["build", special], ["smoke", "--config", special, "--mock-upstream"], ["lint", special]]
    for args in runs:
        done = ccrgen(*args, timeout=30)
        assert done.returncode == 2, (args, done.returncode, done.stderr)
        assert "Traceback" not in done.stderr and done.seconds < 20, (args, done.stderr)


def test_an_extends_that_names_a_device_is_refused(tmp_path):
    spec = tmp_path / "ccrgen.yaml"
    spec.write_text("extends: /dev/zero\n")
    assert_refused(ccrgen("build", spec, "--out", tmp_path / "out"), 2, "cannot read /dev/zero: a character device")


def test_an_oversized_file_is_refused_saying_the_limit(tmp_path):
    big = tmp_path / "big.yaml"
    with big.open("wb") as handle:
        handle.truncate(limits.MAX_INPUT_FILE_BYTES + 1)
    assert_refused(ccrgen("lint", big), 2, "too big", f"{limits.MAX_INPUT_FILE_BYTES // (1024 * 1024)} MB")


@pytest.mark.parametrize("path", ["/dev/zero", "fifo"])
def test_transformer_paths_that_are_special_files_are_never_read(tmp_path, path):
    if path == "fifo":
        path = str(tmp_path / "t.js")
        os.mkfifo(path)
    ccr_dir = tmp_path / "ccr"
    ccr_dir.mkdir()
    config = config_with(ccr_dir, lambda c: c.update(transformers=[{"path": path}]))
    for args in (["import", config], ["lint", config], ["doctor", "--ccr-dir", ccr_dir],
                 ["smoke", "--config", config, "--mock-upstream"]):
        done = ccrgen(*args, timeout=60)
        assert done.returncode in (0, 1), (args, done.returncode, done.stderr)
        assert "Traceback" not in done.stderr and "internal error" not in done.stderr, (args, done.stderr)
        assert done.seconds < 30, (args, done.seconds)


def test_the_transformer_probe_refuses_special_files_without_node(tmp_path):
    from ccrgen.ccr.transformers import probe_in_node

    results = probe_in_node("/nonexistent/node", [{"path": "/dev/zero"}])
    assert results == [{"ok": False, "error": "cannot read /dev/zero: a character device, not a regular file"}]


# --- YAML bombs ----------------------------------------------------------------------------------

BILLION_LAUGHS = "".join(
    f'{name}: &{name} [{", ".join([f"*{prev}"] * 9)}]\n' if prev else f'{name}: &{name} ["lol"{", lol" * 8}]\n'
    for prev, name in zip([None, *"abcdefgh"], "abcdefghi"))


def test_billion_laughs_fails_fast_and_small(tmp_path):
    spec = tmp_path / "laughs.yaml"
    spec.write_text(BILLION_LAUGHS, encoding="utf-8")
    assert len(BILLION_LAUGHS.encode()) < 400
    for args in (["build", spec, "--out", tmp_path / "out"], ["lint", spec], ["diff", spec],
                 ["route", write_request(tmp_path), spec]):
        done = ccrgen(*args)
        assert_refused(done, 2, f"YAML aliases (*name) expand to more than {limits.MAX_YAML_ALIAS_VALUES:,} values")
        assert done.seconds < 10, done.seconds


def test_ordinary_anchors_and_merge_keys_still_work(tmp_path):
    spec = tmp_path / "ccrgen.yaml"
    spec.write_text("extends: ollama\nroutes: &r\n  think: &m ollama,qwen2.5-coder:14b\n"
                    "fallback:\n  default: [*m]\n  think: &f ['ollama,qwen2.5-coder:14b']\n"
                    "  background: *f\n", encoding="utf-8")
    done = ccrgen("build", spec, "--out", tmp_path / "out")
    assert done.returncode == 0, done.stderr
    assert json.loads((tmp_path / "out" / "config.json").read_text())["fallback"] == \
        {"default": ["ollama,qwen2.5-coder:14b"], "think": ["ollama,qwen2.5-coder:14b"],
         "background": ["ollama,qwen2.5-coder:14b"]}


# --- route's request file ------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "code", "needle"), [
    (json.dumps({**REQUEST, "model": 5}), 1, "model: must be a string"),
    (b'{"model": "\xff\xfe", "messages": []}', 2, "not UTF-8"),
    ('{"model": "x", "messages": ' + "[" * 3000 + "]" * 3000 + "}", 2, "nested more than"),
    (json.dumps({**REQUEST, "model": "x\ud800"}, ensure_ascii=True), 1, "lone UTF-16 surrogate"),
    ('{\n  "model": "x",\n  "messages": [,]\n}', 2, "request.json:3:"),
])
def test_route_refuses_a_bad_request_file(tmp_path, text, code, needle):
    done = ccrgen("route", write_request(tmp_path, text), "--preset", "ollama")
    assert_refused(done, code, needle)


# --- serve --ready-file --------------------------------------------------------------------------

def test_serve_checks_the_ready_file_folder_before_listening(tmp_path):
    ready = tmp_path / "missing" / "ready.txt"
    done = ccrgen("serve", "--preset", "ollama", "--port", "0", "--ready-file", ready, timeout=20)
    assert_refused(done, 3, f"cannot write the ready file {ready}: no folder {ready.parent}")
    assert "ccrgen proxy on" not in done.stderr  # it never listened


# --- size: importing 100,000 models ----------------------------------------------------------------

@pytest.mark.slow
def test_importing_100000_models_is_fast(tmp_path):
    config = copy.deepcopy(CONFIG)
    config["Providers"][0]["models"] = [f"model-{i}" for i in range(100_000)] + ["model-7"]
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    done = ccrgen("import", path, "-o", tmp_path / "spec.yaml", timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.seconds < 20, done.seconds  # 47 s before (a list scanned once per model)
    spec = (tmp_path / "spec.yaml").read_text()
    assert spec.count("- model-") == 100_000  # the repeated one once


# --- the readers themselves ----------------------------------------------------------------------

def test_a_file_that_grows_past_the_limit_after_the_check_is_refused(tmp_path, monkeypatch):
    from ccrgen.common import inputs

    path = tmp_path / "spec.yaml"
    path.write_text("x" * 100)
    monkeypatch.setattr(inputs, "MAX_INPUT_FILE_BYTES", 10)
    monkeypatch.setattr(inputs, "unreadable_reason", lambda p: None)  # as if it grew after the check
    with pytest.raises(InputError, match="too big"):
        inputs.read_bytes(path)


def test_a_utf16_file_gets_a_hint(tmp_path):
    spec = tmp_path / "ccrgen.yaml"
    spec.write_bytes("extends: ollama\n".encode("utf-16"))
    assert_refused(ccrgen("build", spec, "--out", tmp_path / "out"), 2, "is not UTF-8 text", "hint: the file is UTF-16")


def test_a_fifo_is_refused_without_blocking(tmp_path):
    from ccrgen.common.inputs import read_text

    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    outcome = []
    reader = threading.Thread(target=lambda: outcome.append(pytest.raises(InputError, read_text, fifo)), daemon=True)
    reader.start()
    reader.join(5)
    assert outcome and "named pipe (FIFO)" in str(outcome[0].value)


def test_a_very_long_extends_chain_is_refused_not_a_crash(tmp_path):
    for i in range(300):
        (tmp_path / f"s{i}.yaml").write_text(f"extends: ./s{i + 1}.yaml\n")
    (tmp_path / "s300.yaml").write_text("extends: ollama\n")
    assert_refused(ccrgen("build", tmp_path / "s0.yaml", "--dry-run"), 1,
                   f"extends goes more than {limits.MAX_NESTING_DEPTH} files deep")


@pytest.mark.parametrize("tagged", ["!!set {a}", "!!omap [a: 1]", "!!python/object:os.system {}", "!!binary aGk="])
def test_yaml_tags_that_are_not_plain_values_are_refused(tmp_path, tagged):
    spec = tmp_path / "ccrgen.yaml"
    spec.write_text(f"extends: ollama\nextra:\n  x: {tagged}\n")
    assert_refused(ccrgen("build", spec, "--out", tmp_path / "out"), 1, f"{spec}:3:6: extra.x:",
                   "cannot go into config.json")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("kind", ["device", "fifo"])
def test_an_output_path_that_is_a_special_file_is_refused(tmp_path, kind):
    if kind == "fifo":
        target = tmp_path / "out.yaml"
        os.mkfifo(target)
    else:
        target = Path("/dev/zero")
    for args in (["init", "-o", target, "--force"], ["import", config_with(tmp_path, lambda c: None), "-o", target]):
        done = ccrgen(*args, timeout=20)
        assert_refused(done, 3, f"cannot write {target}: it is there and not a regular file")
