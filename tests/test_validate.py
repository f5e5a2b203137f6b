"""The CCR schema check: the compiled fast path must never accept what jsonschema refuses.

ccrgen/check/_ccr_config_check.py is schemas/ccr-config.schema.json compiled ahead of time; a
valid config never imports jsonschema, an invalid one gets jsonschema's messages."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ccrgen.ccr.config import parse_config_text
from ccrgen.check.schema_compile import compiled_digest, schema_digest
from ccrgen.check.validate import compiled_accepts, reference_accepts
from conftest import REPO

CORPUS = sorted((REPO / "tests" / "lint_corpus").glob("*/*.json"))


def test_the_compiled_check_was_generated_from_the_committed_schema():
    assert compiled_digest() == schema_digest(), (
        "ccrgen/check/_ccr_config_check.py is older than schemas/ccr-config.schema.json: "
        "run `python -m ccrgen.check.schema_compile` (pip install fastjsonschema) and commit the result")


@pytest.mark.parametrize("config_file", CORPUS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_both_checks_give_the_same_verdict_on_every_corpus_config(config_file):
    config = parse_config_text(config_file.read_text(encoding="utf-8"), str(config_file)).data
    assert compiled_accepts(config) == reference_accepts(config)


def test_the_corpus_has_configs_on_both_sides_of_the_schema():
    verdicts = {reference_accepts(parse_config_text(p.read_text(encoding="utf-8"), str(p)).data) for p in CORPUS}
    assert verdicts == {True, False}


ROUTE = st.sampled_from(["p,m", "p,", ",m", "", "p,m,x", "pm"]) | st.text(max_size=4)
SCALAR = st.none() | st.booleans() | st.integers(-3, 70000) | st.floats(allow_nan=False, width=16) | st.text(max_size=4)
ANY = st.recursive(SCALAR, lambda inner: st.lists(inner, max_size=3)
                   | st.dictionaries(st.text(max_size=3), inner, max_size=3), max_leaves=5)
USE_ENTRY = (st.sampled_from(["maxtoken", ""]) | st.lists(st.sampled_from(["x", ""]) | st.just({}) | ANY, max_size=3)
             | ANY)
CHAIN = st.fixed_dictionaries({}, optional={"use": st.lists(USE_ENTRY, max_size=2) | ANY}) | ANY
PROVIDER = st.fixed_dictionaries({}, optional={
    "name": st.sampled_from(["p", "a,b", ""]) | ANY,
    "api_base_url": st.sampled_from(["http://x", ""]) | ANY,
    "api_key": st.sampled_from(["$K", ""]) | ANY,
    "models": st.lists(st.sampled_from(["m", "m,n", ""]) | ANY, max_size=3) | ANY,
    "transformer": st.dictionaries(st.sampled_from(["use", "m"]), CHAIN, max_size=2) | ANY,
    "tokenizer": ANY,
}) | ANY
CONFIG = st.fixed_dictionaries({}, optional={
    "LOG": ANY, "LOG_LEVEL": st.sampled_from(["debug", "verbose"]) | ANY, "HOST": ANY,
    "PORT": st.sampled_from([3456, 0, 65536, "3456", "$PORT", "${PORT}", "$port", "12345678"]) | ANY,
    "APIKEY": ANY, "API_TIMEOUT_MS": st.sampled_from([1, 0, "600000", "10 minutes"]) | ANY,
    "transformers": st.lists(st.fixed_dictionaries({}, optional={"path": ANY, "options": ANY}) | ANY, max_size=2),
    "Providers": st.lists(PROVIDER, max_size=2) | ANY, "providers": st.lists(PROVIDER, max_size=2),
    "Router": st.dictionaries(st.sampled_from(["default", "think", "longContextThreshold", "other"]),
                              ROUTE | ANY, max_size=3) | ANY,
    "fallback": st.dictionaries(st.text(max_size=3), st.lists(ROUTE, max_size=2) | ANY, max_size=2) | ANY,
    "StatusLine": ANY, "plugins": ANY, "NON_INTERACTIVE_MODE": ANY, "unknown": ANY,
}) | ANY


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(CONFIG)
def test_the_compiled_check_never_accepts_what_jsonschema_refuses(config):
    # The one difference allowed is the other way round: `$` in a pattern matches before a
    # final newline for jsonschema and not for the compiled check; jsonschema then decides.
    if compiled_accepts(config):
        assert reference_accepts(config), json.dumps(config)


def run_cli(args, cwd, code):
    return subprocess.run([sys.executable, "-c", code, *args], cwd=cwd, capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "HOME": str(cwd), "HICAP_API_KEY": "k"})


PROBE = ("import sys\n"
         "from ccrgen.cli import main\n"
         "try:\n    main(sys.argv[1:])\n"
         "except SystemExit as done:\n    code = done.code\n"
         "print('exit', code, 'jsonschema' in sys.modules)\n")


def test_a_valid_build_does_not_import_jsonschema_and_an_invalid_one_says_why(tmp_path):
    done = run_cli(["build", "--preset", "hicap", "--out", str(tmp_path / "out")], tmp_path, PROBE)
    assert done.stdout.strip().endswith("exit 0 False"), done.stdout + done.stderr

    spec = tmp_path / "bad.yaml"
    spec.write_text("extends: hicap\nextra:\n  plugins: 3\n", encoding="utf-8")
    done = run_cli(["build", str(spec), "--out", str(tmp_path / "bad")], tmp_path, PROBE)
    assert done.stdout.strip().endswith("exit 1 True"), done.stdout + done.stderr
    assert "bad.yaml:3:12: extra.plugins (plugins): plugins is 3, but CCR 2.0.0 reads a list here [CCR004]" in done.stderr
    assert not (tmp_path / "bad").exists()
