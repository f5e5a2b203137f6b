"""The `ccrgen` command line. Only wiring: each command lives in ccrgen/commands/<name>.py
and is imported when it runs, so `ccrgen --help` loads nothing heavy.

Errors: every user-facing error is a `ccrgen.errors.CcrgenError`; it is printed here, at the
edge, with its exit code. Anything else is a bug: one line, exit 70, the traceback only with
CCRGEN_DEBUG=1.
"""

from __future__ import annotations

import importlib
import os
import sys

import click

from ccrgen import __version__

# command name -> (module in ccrgen.commands, one-line help shown by --help)
COMMANDS = {
    "build": ("build", "Build config.json and transformer files from a spec or preset."),
    "init": ("init", "Write a starter ccrgen.yaml that extends a preset."),
    "preset": ("preset", "List, show and export presets."),
    "schema": ("schema", "Print the JSON Schema of the spec language."),
    "lint": ("lint", "Find mistakes in specs and CCR config.json files."),
    "rules": ("rules", "List lint rules, or explain one."),
    "diff": ("diff", "Show what a build would change in the installed config."),
    "import": ("import_", "Turn an existing CCR config.json into a spec."),
    "doctor": ("doctor", "Check this machine's CCR setup and say how to fix problems."),
    "route": ("route", "Show which route and model a request would take, and why."),
    "serve": ("serve", "Run the built-in proxy that routes like CCR 2.0.0."),
    "smoke": ("smoke", "Send one request down every route and show where it landed."),
    "mock-upstream": ("mock_upstream", "Run the mock OpenAI-compatible upstream (for testing)."),
}

EXIT_BUG = 70


class LazyGroup(click.Group):
    def list_commands(self, ctx):
        return list(COMMANDS)

    def get_command(self, ctx, name):
        if name not in COMMANDS:
            return None
        module = importlib.import_module(f"ccrgen.commands.{COMMANDS[name][0]}")
        return module.command

    def format_commands(self, ctx, formatter):
        rows = [(name, help_text) for name, (_m, help_text) in COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ccrgen")
def cli():
    """ccrgen: build, lint, diff and smoke-test Claude Code Router (CCR 2.0.0) configs.

    Start with `ccrgen build --preset hicap --out build/`, or `ccrgen init --preset hicap`.
    """


def main(argv=None) -> None:
    from ccrgen.errors import CcrgenError

    try:
        cli.main(args=argv, prog_name="ccrgen", standalone_mode=False)
    except CcrgenError as exc:
        click.echo(exc.render(), err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(0)
    except Exception as exc:  # a bug in ccrgen: say so plainly
        if os.environ.get("CCRGEN_DEBUG"):
            raise
        click.echo(f"ccrgen: internal error: {type(exc).__name__}: {exc}\n"
                   "  (set CCRGEN_DEBUG=1 to see the traceback, and please report it)", err=True)
        sys.exit(EXIT_BUG)
    sys.exit(0)
