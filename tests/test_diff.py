"""`ccrgen diff` and the question `build --install` asks: install for real, edit the installed
config the way a user would, and check that exactly those edits are reported."""

from __future__ import annotations

import json
import re

import pytest

SECRET = "sk-or-v1-5a8c2e9f1b7d3a6c4e8f2b9d1a7c5e3f"


@pytest.fixture
def installed(cli, tmp_path):
    """The hicap preset installed into a temp CCR folder; returns (ccr_dir, config path)."""
    ccr_dir = tmp_path / "ccr"
    result = cli("build", "--preset", "hicap", "--install", "--yes", "--ccr-dir", ccr_dir)
    assert result.returncode == 0, result.stderr
    return ccr_dir, ccr_dir / "config.json"


def diff_json(cli, ccr_dir, *args):
    result = cli("diff", "--preset", "hicap", "--ccr-dir", ccr_dir, "--json", *args)
    assert result.returncode in (0, 1), result.stderr
    return result.returncode, json.loads(result.stdout)


def edit(path, change):
    config = json.loads(path.read_text())
    change(config)
    path.write_text(json.dumps(config, indent=2))


def test_nothing_changed_is_exit_0(cli, installed):
    ccr_dir, _ = installed
    result = cli("diff", "--preset", "hicap", "--ccr-dir", ccr_dir)
    assert result.returncode == 0 and result.stdout.strip() == "no changes"


def test_comments_and_formatting_are_not_changes(cli, installed):
    ccr_dir, config = installed
    text = config.read_text()
    config.write_text("// my CCR config\n" + text.replace('"Router": {', '"Router": { /* routes */')
                      .replace("\n  ", "\n\t") .rstrip()[:-1] + ",\n}\n")
    assert diff_json(cli, ccr_dir) == (0, [])


def test_user_edits_are_reported_exactly(cli, installed):
    ccr_dir, config = installed

    def user_edits(c):
        c["Router"]["default"] = "hicap,claude-opus-4.5"    # change a route
        c["Providers"][0]["models"].append("my-model")       # add a model
        c["Providers"][0]["models"].reverse()                # reorder models
    edit(config, user_edits)
    code, changes = diff_json(cli, ccr_dir)
    assert code == 1
    # the build would undo the user's edits: seen from the installed file
    assert {(c["op"], c["path"]) for c in changes} == {
        ("~", "Router.default"), ("-", "Providers[hicap].models"), ("moved", "Providers[hicap].models")}
    route = next(c for c in changes if c["path"] == "Router.default")
    assert (route["old"], route["new"]) == ("hicap,claude-opus-4.5", "hicap,claude-sonnet-4.5")
    assert next(c for c in changes if c["op"] == "-")["old"] == "my-model"

    code, changes = diff_json(cli, ccr_dir, "--ignore-order")
    assert {(c["op"], c["path"]) for c in changes} == {("~", "Router.default"), ("-", "Providers[hicap].models")}


def test_reordered_providers_are_a_move_not_a_rewrite(cli, tmp_path):
    spec = tmp_path / "two.yaml"
    spec.write_text("extends: [hicap, deepseek]\n")
    ccr_dir = tmp_path / "ccr"
    assert cli("build", spec, "--install", "--yes", "--ccr-dir", ccr_dir).returncode == 0
    edit(ccr_dir / "config.json", lambda c: c["Providers"].reverse())
    result = cli("diff", spec, "--ccr-dir", ccr_dir, "--json")
    changes = json.loads(result.stdout)
    assert [(c["op"], c["path"]) for c in changes] == [("moved", "Providers")]
    assert cli("diff", spec, "--ccr-dir", ccr_dir, "--ignore-order").returncode == 0


def test_secrets_never_appear_and_only_their_change_is_shown(cli, installed):
    ccr_dir, config = installed
    edit(config, lambda c: c["Providers"][0].update(api_key=SECRET))
    text = cli("diff", "--preset", "hicap", "--ccr-dir", ccr_dir)
    as_json = cli("diff", "--preset", "hicap", "--ccr-dir", ccr_dir, "--json")
    for result in (text, as_json):
        assert result.returncode == 1
        assert SECRET not in result.stdout + result.stderr
        assert "HICAP_API_KEY" not in result.stdout  # references are masked too
    assert re.search(r"~ Providers\[hicap\]\.api_key: \*+ -> \*+ \(changed\)", text.stdout)

    install = cli("build", "--preset", "hicap", "--install", "--ccr-dir", ccr_dir, input="n\n")
    assert SECRET not in install.stdout + install.stderr


def test_missing_install_is_everything_added_and_unreadable_is_exit_2(cli, tmp_path):
    code, changes = diff_json(cli, tmp_path / "empty")
    assert code == 1 and {c["op"] for c in changes} == {"+"}
    assert {"Providers", "Router", "transformers", "hicap-transformer.js"} <= {c["path"] for c in changes}

    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text('{"Router": {"default": "a,b"\n')
    result = cli("diff", "--preset", "hicap", "--ccr-dir", broken)
    assert result.returncode == 2 and "config.json:" in result.stderr and "Traceback" not in result.stderr


def test_transformer_files_are_compared_as_text(cli, installed):
    ccr_dir, _ = installed
    js = ccr_dir / "hicap-transformer.js"
    js.write_text(js.read_text().replace('const HEADER = "api-key";', 'const HEADER = "x-api-key";'))
    result = cli("diff", "--preset", "hicap", "--ccr-dir", ccr_dir)
    assert result.returncode == 1
    assert '-const HEADER = "x-api-key";' in result.stdout and '+const HEADER = "api-key";' in result.stdout


def test_against_any_config_and_resolved(cli, installed, tmp_path):
    ccr_dir, config = installed
    other = tmp_path / "other.json"
    other.write_text(config.read_text().replace("$HICAP_API_KEY", "${HICAP_API_KEY}"))
    as_written = cli("diff", config, "--against", other, "--json")
    assert as_written.returncode == 1
    assert {c["path"] for c in json.loads(as_written.stdout)} == {"APIKEY", "Providers[hicap].api_key"}
    resolved = cli("diff", config, "--against", other, "--resolved", env={"HICAP_API_KEY": "k-123"})
    assert resolved.returncode == 0, resolved.stdout


def test_build_install_shows_the_diff_and_asks(cli, installed):
    ccr_dir, config = installed
    edit(config, lambda c: c["Router"].update(default="hicap,gpt-5.2"))
    before = config.read_text()
    no = cli("build", "--preset", "hicap", "--install", "--ccr-dir", ccr_dir, input="n\n")
    assert no.returncode == 130
    assert "~ Router.default: hicap,gpt-5.2 -> hicap,claude-sonnet-4.5" in no.stdout
    assert config.read_text() == before

    yes = cli("build", "--preset", "hicap", "--install", "--ccr-dir", ccr_dir, input="y\n")
    assert yes.returncode == 0, yes.stderr
    assert json.loads(config.read_text())["Router"]["default"] == "hicap,claude-sonnet-4.5"
    assert list(ccr_dir.glob("config.json.*.bak"))  # the user's version was backed up


def test_diff_validates_first_like_build(cli, installed, tmp_path):
    ccr_dir, _ = installed
    spec = tmp_path / "bad.yaml"
    spec.write_text("extends: hicap\nroutes:\n  default: hicap,no-such-model\n  think: hicap,nor-this\n")
    built = cli("build", spec, "--install", "--yes", "--ccr-dir", ccr_dir)
    diffed = cli("diff", spec, "--ccr-dir", ccr_dir)
    assert built.returncode == diffed.returncode == 1
    assert diffed.stdout == ""  # no diff of a spec that would not be built
    problems = [line for line in built.stderr.splitlines() if "unknown model" in line]
    assert len(problems) == 2
    assert problems == [line for line in diffed.stderr.splitlines() if "unknown model" in line]
    assert "so there is no diff" in diffed.stderr and "Traceback" not in diffed.stderr

    one = tmp_path / "one.yaml"
    one.write_text("extends: hicap\nroutes:\n  default: hicap,no-such-model\n")
    single = cli("diff", one, "--ccr-dir", ccr_dir)
    assert single.returncode == 1 and "there is no diff" in single.stderr and single.stdout == ""


def test_diff_skips_the_rules_build_skips(cli, installed, tmp_path):
    ccr_dir, _ = installed
    spec = tmp_path / "long.yaml"
    spec.write_text("extends: hicap\nroutes:\n  long_context_threshold: 500000\n")
    refused = cli("build", spec, "--ccr-dir", ccr_dir, "--install", "--yes")
    assert refused.returncode == 1, refused.stderr  # a threshold above every model's window
    code = re.findall(r"error: .*\[(CCR\d+)\]", refused.stderr)[0]
    plain = cli("diff", spec, "--ccr-dir", ccr_dir)
    assert plain.returncode == 1 and plain.stdout == ""
    skipped = cli("diff", spec, "--ccr-dir", ccr_dir, "--ignore", code, "--json")
    assert skipped.returncode == 1 and json.loads(skipped.stdout)  # now a real diff


def test_install_with_an_unset_key_installs_and_says_so_as_an_error(cli, tmp_path):
    ccr_dir = tmp_path / "ccr"
    env = {k: "" for k in ("HICAP_API_KEY",)}
    result = cli("build", "--preset", "hicap", "--install", "--yes", "--ccr-dir", ccr_dir, env=env)
    assert result.returncode == 0, result.stderr
    assert (ccr_dir / "config.json").exists()
    assert re.search(r"error: .*\$HICAP_API_KEY is not set.*\[CCR072\]", result.stderr)
    assert "installed anyway: CCR will send the literal text $HICAP_API_KEY until you set it" in result.stderr
    with_key = cli("build", "--preset", "hicap", "--install", "--yes", "--ccr-dir", ccr_dir,
                   env={"HICAP_API_KEY": "k-123"})
    assert "anyway" not in with_key.stderr and "CCR072" not in with_key.stderr
    # diff is not refused for it either: the file is right, the environment is not
    assert cli("diff", "--preset", "hicap", "--ccr-dir", ccr_dir, env=env).returncode == 0


def test_a_change_of_type_only_is_visible_in_text(cli, installed):
    """600000 -> "600000" must not read as "600000 -> 600000" (the guide writes it as a string)."""
    ccr_dir, config = installed
    edit(config, lambda c: c.update(API_TIMEOUT_MS=int(c["API_TIMEOUT_MS"])))
    result = cli("diff", "--preset", "hicap", "--ccr-dir", ccr_dir)
    assert result.returncode == 1
    [line] = [line for line in result.stdout.splitlines() if "API_TIMEOUT_MS" in line]
    assert line.strip().endswith('600000 -> "600000" (its type changed)'), line
