"""The build's output: the hicap preset gives the setup guide's configuration (with an
absolute transformer path), the transformer does what the guide's does, every JS file is
valid JavaScript whatever the names in the spec, and the output is byte-for-byte stable."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from ccrgen.spec.presets import all_presets
from ccrgen.config.render import render
from ccrgen.spec.model import Spec

DATA = Path(__file__).parent / "data"
GUIDE = DATA / "hicap-setup-guide.md"  # a copy of shared/seed/hicap-setup-guide.md
BUNDLED = [ref.name for ref in all_presets() if ref.origin == "bundled"]


def guide_block(language: str, after: str) -> str:
    """The first ```language block after the heading `after` in the setup guide."""
    text = GUIDE.read_text(encoding="utf-8")
    start = text.index(after)
    match = re.compile(rf"```{language}\n(.*?)```", re.S).search(text, start)
    assert match, f"no {language} block after {after!r} in {GUIDE}"
    return match.group(1)


def guide_config() -> dict:
    return json.loads(guide_block("json", "## Configuration"))


def build(cli, out: Path, *args, env=None) -> dict:
    result = cli("build", *args, "--out", out, env=env)
    assert result.returncode == 0, result.stderr
    return json.loads((out / "config.json").read_text(encoding="utf-8"))


# A node script: load a transformer as CCR does (require, new Module(options)), call its
# hooks with a request and a provider, print what they return as JSON. `undefined` header
# values (which remove a header) are shown as the string "<undefined>".
HARNESS = r"""
const file = process.argv[2];
const Module = require(require.resolve(file));
const instance = new Module({});
const show = (v) => JSON.parse(JSON.stringify(v, (k, x) => x === undefined ? "<undefined>" : x));
(async () => {
  const request = {model: "claude-sonnet-4.5", messages: [{role: "user", content: "hi"}]};
  const provider = {name: "hicap", apiKey: "sk-test-123", baseUrl: "http://upstream"};
  const out = {
    staticName: Module.name, name: instance.name,
    requestIn: show(await instance.transformRequestIn(request, provider, {})),
    auth: typeof instance.auth === "function" ? show(await instance.auth(request, provider, {})) : null,
    responseOut: typeof instance.transformResponseOut === "function"
      ? show(await instance.transformResponseOut({status: 200, ok: true})) : null,
  };
  console.log(JSON.stringify(out));
})().catch((e) => { console.error(e); process.exit(1); });
"""


def run_harness(node_bin: str, js_file: Path, tmp_path: Path) -> dict:
    script = tmp_path / "harness.cjs"
    script.write_text(HARNESS, encoding="utf-8")
    done = subprocess.run([node_bin, str(script), str(js_file)], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def node_check(node_bin: str, js_file: Path) -> None:
    done = subprocess.run([node_bin, "--check", str(js_file)], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, f"{js_file} is not valid JavaScript:\n{done.stderr}"


# --- hicap == the guide ----------------------------------------------------------------

def test_hicap_preset_builds_the_guides_config_with_an_absolute_transformer_path(tmp_path, cli):
    out = tmp_path / "build"
    built = build(cli, out, "--preset", "hicap")
    guide = guide_config()

    assert list(built) == list(guide)  # same keys, in the guide's order
    for key in guide:
        if key in ("transformers", "API_TIMEOUT_MS"):
            continue
        assert built[key] == guide[key], key
    assert built["API_TIMEOUT_MS"] in (guide["API_TIMEOUT_MS"], int(guide["API_TIMEOUT_MS"]))

    # The guide's transformer path starts with ~, which CCR 2.0.0 does not expand: ours is
    # the same file name, absolute, in the folder the build wrote.
    [guide_entry] = guide["transformers"]
    [entry] = built["transformers"]
    assert set(entry) == set(guide_entry) == {"path"}
    assert guide_entry["path"].startswith("~/")
    path = Path(entry["path"])
    assert path.is_absolute()
    assert path == out.resolve() / Path(guide_entry["path"]).name
    assert path.is_file()


def test_hicap_transformer_does_what_the_guides_does(tmp_path, cli, node_bin):
    out = tmp_path / "build"
    built = build(cli, out, "--preset", "hicap")
    ours = run_harness(node_bin, Path(built["transformers"][0]["path"]), tmp_path)
    guide_js = tmp_path / "guide" / "hicap-transformer.js"
    guide_js.parent.mkdir()
    guide_js.write_text(guide_block("js", "## Hicap Transformer"), encoding="utf-8")
    theirs = run_harness(node_bin, guide_js, tmp_path)

    assert ours == theirs
    # and what that is, spelled out: the key in api-key, Authorization removed
    headers = ours["requestIn"]["config"]["headers"]
    assert headers == {"api-key": "sk-test-123", "Authorization": "<undefined>", "authorization": "<undefined>"}
    assert ours["requestIn"]["body"]["model"] == "claude-sonnet-4.5"
    assert ours["name"] == ours["staticName"] == "hicap"
    assert built["Providers"][0]["transformer"] == {"use": ["hicap"]}


# --- JavaScript validity and escaping ---------------------------------------------------

@pytest.mark.parametrize("preset", BUNDLED)
def test_every_generated_js_file_passes_node_check_and_loads(preset, tmp_path, cli, node_bin):
    out = tmp_path / preset
    built = build(cli, out, "--preset", preset)
    js_files = sorted(out.glob("*.js"))
    assert sorted(Path(t["path"]) for t in built.get("transformers", [])) == [p.resolve() for p in js_files]
    for js in js_files:
        node_check(node_bin, js)
        run_harness(node_bin, js, tmp_path)


HOSTILE_NAME = 'ev"il\'\\ </script><!-- \u2028\u2029\n});process.exit(7);//${x}`'
HOSTILE_HEADER = 'x-"key\\</script>\u2028\n'
HOSTILE_PREFIX = 'Token "\u2029\'</script>` '


def hostile_spec(**auth) -> Spec:
    return Spec.model_validate({
        "providers": {
            HOSTILE_NAME: {
                "base_url": "http://127.0.0.1:1/v1/chat/completions",
                "api_key": "$KEY",
                "models": ["m"],
                "auth": {"header": HOSTILE_HEADER, "prefix": HOSTILE_PREFIX, **auth},
            },
        },
        "routes": {"default": "x,m"},
    })


@pytest.mark.parametrize("auth", [{}, {"transformer": HOSTILE_NAME + "-t"}], ids=["default-name", "own-name"])
def test_hostile_names_and_headers_are_escaped_for_javascript(auth, tmp_path, node_bin):
    rendered = render(hostile_spec(**auth), tmp_path)
    [(file_name, text)] = rendered.files.items()
    assert "/" not in file_name and file_name.endswith("-transformer.js")
    # nothing that could end a <script>, a line or a comment early
    for raw in ("</script>", "\u2028", "\u2029", "<!--"):
        assert raw not in text
    js = tmp_path / file_name
    js.write_text(text, encoding="utf-8")
    node_check(node_bin, js)

    ours = run_harness(node_bin, js, tmp_path)  # exit 7 if the name broke out of its string
    expected_name = auth.get("transformer", HOSTILE_NAME)
    assert ours["name"] == ours["staticName"] == expected_name
    headers = ours["requestIn"]["config"]["headers"]
    assert headers[HOSTILE_HEADER] == HOSTILE_PREFIX + "sk-test-123"
    assert headers["Authorization"] == headers["authorization"] == "<undefined>"
    # the config names the transformer exactly as it registers itself
    assert rendered.config["Providers"][0]["transformer"]["use"] == [expected_name]
    assert rendered.config["transformers"] == [{"path": str(js)}]


def test_hostile_values_survive_config_json(tmp_path, cli):
    spec = tmp_path / "s.yaml"
    spec.write_text(json.dumps({  # JSON is YAML: the hostile strings go in exactly
        "providers": {"p": {"base_url": "http://h/v1/chat/completions", "api_key": "$K", "models": ["m"],
                            "extra": {"headers": {"X-Note": HOSTILE_HEADER}}}},
        "routes": {"default": "p,m"},
        "extra": {"note": HOSTILE_NAME},
    }), encoding="utf-8")
    built = build(cli, tmp_path / "out", spec)
    assert built["note"] == HOSTILE_NAME
    assert built["Providers"][0]["headers"] == {"X-Note": HOSTILE_HEADER}


def test_providers_whose_names_make_the_same_file_name_get_a_file_each(tmp_path, node_bin):
    provider = {"base_url": "http://h/v1/chat/completions", "api_key": "$K", "models": ["m"]}
    spec = Spec.model_validate({"providers": {
        "Acme": {**provider, "auth": {"header": "x-one"}},
        "acme": {**provider, "auth": {"header": "x-two"}},
    }})
    rendered = render(spec, tmp_path)
    assert len(rendered.files) == 2
    paths = [t["path"] for t in rendered.config["transformers"]]
    assert len(set(paths)) == 2
    for (name, text), path in zip(rendered.files.items(), paths):
        (tmp_path / name).write_text(text, encoding="utf-8")
        assert path == str(tmp_path / name)
    seen = [run_harness(node_bin, Path(p), tmp_path) for p in paths]
    assert [s["name"] for s in seen] == ["Acme", "acme"]
    assert "x-one" in seen[0]["requestIn"]["config"]["headers"]
    assert "x-two" in seen[1]["requestIn"]["config"]["headers"]


def test_transformer_paths_are_absolute_even_for_a_relative_out_folder(tmp_path, cli):
    result = cli("build", "--preset", "hicap", "--out", "rel/out", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    config = json.loads((tmp_path / "rel/out/config.json").read_text(encoding="utf-8"))
    assert config["transformers"][0]["path"] == str(tmp_path.resolve() / "rel/out/hicap-transformer.js")


# --- determinism ----------------------------------------------------------------------

RICH_SPEC = """\
extends: [hicap, deepseek]
server: {port: 4567, proxy_url: "http://proxy:8080", non_interactive: true}
providers:
  zeta:
    base_url: http://z/v1/chat/completions
    api_key: ${ZETA_KEY}
    auth: {header: x-zeta-key, prefix: "Key "}
    transformer:
      use: [[maxtoken, {max_tokens: 8192, z: 1, a: 2}], enhancetool]
      models:
        z-1: {use: [reasoning]}
    tokenizer: {default: {type: tiktoken, encoding: cl100k_base}}
    models: {z-1: {context_window: 1000}, z-2: {}}
    extra: {b: 1, a: {y: 2, x: 1}}
routes:
  long_context: zeta,z-2
  extra: {custom: 1}
fallback:
  default: ["deepseek,deepseek-chat", "zeta,z-1"]
extra: {StatusLine: {enabled: false}, forceUseImageAgent: false}
"""


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.mark.parametrize("source", ["spec"] + BUNDLED)
def test_the_same_input_gives_byte_identical_files_whatever_the_hash_seed(source, tmp_path, cli):
    args = ["--preset", source] if source != "spec" else [tmp_path / "spec.yaml"]
    (tmp_path / "spec.yaml").write_text(RICH_SPEC, encoding="utf-8")
    out = tmp_path / "out"
    snapshots = []
    for seed in ("0", "1", "4242"):
        if out.exists():
            shutil.rmtree(out)
        result = cli("build", *args, "--out", out, env={"PYTHONHASHSEED": seed})
        assert result.returncode == 0, result.stderr
        snapshots.append(snapshot(out))
    assert snapshots[0] == snapshots[1] == snapshots[2]
    assert "config.json" in snapshots[0]


def test_a_second_build_into_the_same_folder_changes_nothing(tmp_path, cli):
    out = tmp_path / "out"
    first = cli("build", "--preset", "hicap", "--out", out)
    before = snapshot(out)
    second = cli("build", "--preset", "hicap", "--out", out)
    assert first.returncode == second.returncode == 0
    statuses = lambda r: [line.split()[0] for line in r.stdout.splitlines() if line.startswith("  ")]  # noqa: E731
    assert statuses(first) == ["created", "created"]
    assert statuses(second) == ["unchanged", "unchanged"]
    assert snapshot(out) == before


def test_rich_spec_renders_every_modelled_key(tmp_path, cli):
    (tmp_path / "spec.yaml").write_text(RICH_SPEC, encoding="utf-8")
    config = build(cli, tmp_path / "out", tmp_path / "spec.yaml")
    assert [p["name"] for p in config["Providers"]] == ["hicap", "deepseek", "zeta"]
    zeta = config["Providers"][2]
    assert zeta["api_key"] == "${ZETA_KEY}"  # references stay references
    assert zeta["transformer"] == {
        "use": [["maxtoken", {"max_tokens": 8192, "z": 1, "a": 2}], "enhancetool", "zeta"],
        "z-1": {"use": ["reasoning"]},
    }
    assert zeta["tokenizer"] == {"default": {"type": "tiktoken", "encoding": "cl100k_base"}}
    assert zeta["b"] == 1 and zeta["a"] == {"y": 2, "x": 1}
    assert config["PROXY_URL"] == "http://proxy:8080" and config["NON_INTERACTIVE_MODE"] is True
    assert config["PORT"] == 4567
    assert config["Router"]["longContext"] == "zeta,z-2" and config["Router"]["custom"] == 1
    assert config["fallback"] == {"default": ["deepseek,deepseek-chat", "zeta,z-1"]}
    assert config["StatusLine"] == {"enabled": False} and config["forceUseImageAgent"] is False
    assert [Path(t["path"]).name for t in config["transformers"]] == ["hicap-transformer.js", "zeta-transformer.js"]


def test_no_secret_value_from_the_environment_is_written(tmp_path, cli):
    secret = "sk-live-DO-NOT-WRITE-0123456789"
    out = tmp_path / "out"
    result = cli("build", "--preset", "hicap", "--out", out, env={"HICAP_API_KEY": secret})
    assert result.returncode == 0, result.stderr
    for path in out.iterdir():
        assert secret not in path.read_text(encoding="utf-8")
    assert secret not in result.stdout + result.stderr
    assert json.loads((out / "config.json").read_text())["APIKEY"] == "$HICAP_API_KEY"
