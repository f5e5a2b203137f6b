"""`ccrgen preset export NAME --ccr`: a CCR 2.0.0 preset that the real `ccr preset install`
accepts (it asks for the key; nothing secret is embedded) and `ccr preset list` shows."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

KEY = "hk-preset-test-98765"


def ccr(ccr_cmd, home, *args, stdin: str | None = None):
    return subprocess.run(ccr_cmd + list(args), env={**os.environ, "HOME": str(home)}, input=stdin,
                          capture_output=True, text=True, timeout=60)


@pytest.mark.node
def test_exported_preset_installs_with_real_ccr(cli, tmp_home, ccr_cmd, node_bin):
    done = cli("preset", "export", "hicap", "--ccr", env={"HOME": str(tmp_home), "HICAP_API_KEY": KEY})
    assert done.returncode == 0, done.stderr
    folder = tmp_home / ".claude-code-router" / "presets" / "hicap"
    manifest_text = (folder / "manifest.json").read_text()
    manifest = json.loads(manifest_text)
    assert KEY not in manifest_text and "$HICAP_API_KEY" not in manifest_text
    assert [field["id"] for field in manifest["schema"]] == ["HICAP_API_KEY"]
    assert manifest["schema"][0]["type"] == "password" and manifest["schema"][0]["required"]
    template = manifest["template"]
    assert template["APIKEY"] == template["Providers"][0]["api_key"] == "#{HICAP_API_KEY}"
    assert template["transformers"] == [{"path": "hicap-transformer.js"}]     # resolved against the preset folder
    loaded = subprocess.run([node_bin, "-e", "const M = require(process.argv[1]); console.log(new M({}).name)",
                             str(folder / "hicap-transformer.js")], capture_output=True, text=True)
    assert loaded.stdout.strip() == "hicap"

    install = ccr(ccr_cmd, tmp_home, "preset", "install", "hicap", stdin=KEY + "\n")
    assert install.returncode == 0, install.stdout[-1500:] + install.stderr[-1500:]
    assert "Preset configured successfully" in install.stdout
    listed = ccr(ccr_cmd, tmp_home, "preset", "list")
    assert listed.returncode == 0 and "hicap" in listed.stdout and "by ccrgen" in listed.stdout
    installed = json.loads((folder / "manifest.json").read_text())
    assert installed["userValues"] == {"HICAP_API_KEY": KEY}     # CCR keeps what the user typed


def test_export_elsewhere_says_how_to_install(cli, tmp_path):
    out = tmp_path / "share" / "deepseek"
    done = cli("preset", "export", "deepseek", "-o", out)  # --ccr is the default format
    assert done.returncode == 0, done.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["name"] == "deepseek" and manifest["ccrVersion"] == "2.0.0"
    assert {f["id"] for f in manifest["schema"]} == {"CCR_APIKEY", "DEEPSEEK_API_KEY"}
    assert "ccr preset install deepseek" in done.stdout


def test_export_of_unknown_preset_is_exit_2(cli, tmp_path):
    done = cli("preset", "export", "nope", "--ccr", "-o", tmp_path / "x")
    assert done.returncode == 2 and "Traceback" not in done.stderr
