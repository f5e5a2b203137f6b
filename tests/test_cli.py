"""The CLI's manners: help with no arguments, did-you-mean, one error style, colour
switches and shell completion, as a user at a shell meets them."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def test_ccrgen_alone_prints_help_and_exits_0(cli):
    result = cli()
    assert result.returncode == 0, result.stderr
    assert "Usage: ccrgen" in result.stdout and "build" in result.stdout


def test_a_mistyped_command_gets_a_did_you_mean_in_ccrgens_error_style(cli):
    result = cli("buidl", "--preset", "hicap")
    assert result.returncode == 2
    assert result.stderr.startswith("error: no such command 'buidl'")
    assert "hint: did you mean 'build'?" in result.stderr
    assert "Usage:" not in result.stderr and "Traceback" not in result.stderr


def test_a_bad_option_is_one_error_line_with_a_hint_not_clicks_usage_block(cli):
    result = cli("build", "--no-such-option")
    assert result.returncode == 2
    assert result.stderr.startswith("error: no such option '--no-such-option'")
    assert "hint: see `ccrgen build --help`" in result.stderr
    assert "Usage:" not in result.stderr


def _doctor_env(tmp_home, **extra):
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "CCRGEN_COLOR")}
    return {**env, "HOME": str(tmp_home), **extra}


def test_force_color_colours_piped_output_and_no_color_wins(tmp_home):
    args = [sys.executable, "-m", "ccrgen", "doctor"]
    piped = subprocess.run(args, capture_output=True, text=True, env=_doctor_env(tmp_home), cwd=tmp_home)
    assert not ANSI.search(piped.stdout), "a pipe is not coloured by default"
    forced = subprocess.run(args, capture_output=True, text=True, env=_doctor_env(tmp_home, FORCE_COLOR="1"),
                            cwd=tmp_home)
    assert ANSI.search(forced.stdout), forced.stdout
    never = subprocess.run(args[:3] + ["--color", "never", "doctor"], capture_output=True, text=True,
                           env=_doctor_env(tmp_home, FORCE_COLOR="1"), cwd=tmp_home)
    assert not ANSI.search(never.stdout)


def _on_terminal(args, env, cwd) -> str:
    """Run `args` with stdout on a pseudo-terminal; what it printed."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen(args, stdout=follower, stderr=subprocess.DEVNULL, env=env, cwd=cwd)
    os.close(follower)
    out = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    proc.wait(timeout=60)
    os.close(leader)
    return out.decode(errors="replace")


def test_a_terminal_is_coloured_unless_no_color(tmp_home):
    args = [sys.executable, "-m", "ccrgen", "doctor"]
    env = {**_doctor_env(tmp_home), "TERM": "xterm"}
    assert ANSI.search(_on_terminal(args, env, tmp_home))
    assert not ANSI.search(_on_terminal(args, {**env, "NO_COLOR": "1"}, tmp_home))


def test_completion_bash_prints_a_script_that_completes_commands_and_presets(cli):
    result = cli("completion", "bash")
    assert result.returncode == 0
    assert "_CCRGEN_COMPLETE=bash_complete" in result.stdout and "complete " in result.stdout
    env = {**os.environ, "_CCRGEN_COMPLETE": "bash_complete"}
    words = subprocess.run([sys.executable, "-m", "ccrgen"], capture_output=True, text=True,
                           env={**env, "COMP_WORDS": "ccrgen bu", "COMP_CWORD": "1"})
    assert "plain,build" in words.stdout.splitlines()
    presets = subprocess.run([sys.executable, "-m", "ccrgen"], capture_output=True, text=True,
                             env={**env, "COMP_WORDS": "ccrgen build --preset hi", "COMP_CWORD": "3"})
    assert "plain,hicap" in presets.stdout.splitlines()


def test_completion_for_zsh_and_fish_and_a_bad_shell(cli):
    assert "compdef" in cli("completion", "zsh").stdout
    assert "--command ccrgen" in cli("completion", "fish").stdout
    bad = cli("completion", "tcsh")
    assert bad.returncode == 2 and bad.stderr.startswith("error: ")
