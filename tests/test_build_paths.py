"""The short cuts the build and diff take for speed give what the long way gives: normalising
a spec without `key+` or nulls, the compiled schema check asked once per build, and the
modules a build or diff of a config.json does without (pydantic, YAML, deepdiff)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from ccrgen.common.document import Document
from ccrgen.spec.load import parse_yaml
from ccrgen.spec.merge import _already_normal, merge_documents, normalise

SPEC = textwrap.dedent("""\
    server: {port: 3456, api_key: $KEY}
    providers:
      one:
        base_url: https://one.example.test/v1/chat/completions
        api_key: $ONE
        transformer: {use: [[maxtoken, {max_tokens: 10}], enhancetool]}
        models: {a: {}, b: {context_window: 1000}}
    routes: {default: "one,a"}
    extra: {"odd+": 1, list: [1, {x: 2}, [3]]}
""")


def the_long_way(doc: Document) -> Document:
    return merge_documents(Document(data={}, file=doc.file), doc)


def test_a_spec_without_appends_or_nulls_normalises_as_the_merge_does():
    doc = parse_yaml(SPEC.replace('"odd+"', "odd"), "spec.yaml")
    assert _already_normal(doc.data)
    short, long = normalise(doc), the_long_way(doc)
    assert short.data == long.data
    assert list(short.value_marks.items()) == list(long.value_marks.items())
    assert list(short.key_marks.items()) == list(long.key_marks.items())


def test_appends_and_nulls_anywhere_take_the_long_way():
    for text in (SPEC, SPEC + "fallback: null\n", SPEC.replace("models: {a: {}", "models: {a: null")):
        doc = parse_yaml(text, "spec.yaml")
        assert not _already_normal(doc.data)
        assert normalise(doc).data == the_long_way(doc).data


def test_the_compiled_check_runs_once_per_build_and_only_within_it(tmp_path, monkeypatch):
    from ccrgen.check import _ccr_config_check, validate
    from ccrgen.config import build
    from ccrgen.spec.loader import load

    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC.replace('"odd+"', "odd"), encoding="utf-8")
    loaded = load(spec)
    calls = []
    real = _ccr_config_check.validate
    monkeypatch.setattr(_ccr_config_check, "validate", lambda config: calls.append(1) or real(config))
    build.problems(loaded)
    assert len(calls) == 1
    assert validate.compiled_accepts(loaded.config) and len(calls) == 2  # outside a build: asked again
    loaded.config["Providers"] = "not a list"
    assert not validate.compiled_accepts(loaded.config)


def _modules_after(tmp_path, *args: str) -> tuple[int, str, set[str]]:
    """Exit code, stdout and the modules one ccrgen command (run as a user runs it) has
    imported when it ends."""
    code = textwrap.dedent(f"""\
        import atexit, json, sys
        atexit.register(lambda: print(json.dumps(sorted(sys.modules)), file=sys.stderr))
        sys.argv = ["ccrgen", *{list(args)!r}]
        from ccrgen.cli import main
        main()
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path,
                          env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"})
    return done.returncode, done.stdout, set(json.loads(done.stderr.strip().splitlines()[-1]))


def test_diff_of_config_files_needs_neither_pydantic_nor_deepdiff_for_mappings(tmp_path):
    config = {"Providers": [{"name": "one", "api_base_url": "https://one.example.test/v1/chat/completions",
                             "api_key": "$ONE", "models": ["a", "b"]}],
              "Router": {"default": "one,a"}}
    (tmp_path / "old.json").write_text(json.dumps(config), encoding="utf-8")
    config["Providers"][0]["models"].append("c")
    config["Router"]["background"] = "one,b"
    (tmp_path / "new.json").write_text(json.dumps(config), encoding="utf-8")
    code, out, modules = _modules_after(tmp_path, "diff", "new.json", "--against", "old.json")
    assert (code, out) == (1, "+ Providers[one].models: c\n+ Router.background: one,b\n")
    assert not {"pydantic", "yaml", "deepdiff"} & modules
