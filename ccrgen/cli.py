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
    "history": ("history", "List what ccrgen installed in CCR's folder, newest first."),
    "rollback": ("rollback", "Put back the files as they were before an install (or rollback)."),
    "uninstall": ("uninstall", "Remove what ccrgen installed and restore what was there before."),
    "resolve": ("resolve", "Show the merged spec, each value with the file and line it came from."),
    "import": ("import_", "Turn an existing CCR config.json into a spec."),
    "migrate": ("migrate", "Install the CCR 3.x equivalent of a CCR 2.x config.json."),
    "doctor": ("doctor", "Check this machine's CCR setup and say how to fix problems."),
    "route": ("route", "Show which route and model a request would take, and why."),
    "serve": ("serve", "Run the built-in proxy that routes like CCR 2.0.0."),
    "smoke": ("smoke", "Send one request down every route and show where it landed."),
    "mock-upstream": ("mock_upstream", "Run the mock OpenAI-compatible upstream (for testing)."),
    "completion": ("completion", "Print the shell completion script (bash, zsh, fish)."),
}

EXIT_BUG = 70
EXIT_USAGE = 2     # the command line itself is wrong: an unknown command or option, a bad value


class UnknownCommand(click.UsageError):
    def __init__(self, name: str, suggestion: str | None, ctx):
        super().__init__(f"no such command '{name}'", ctx)
        self.suggestion = suggestion


class LazyGroup(click.Group):
    def list_commands(self, ctx):
        return list(COMMANDS)

    def get_command(self, ctx, name):
        if name not in COMMANDS:
            return None
        module = importlib.import_module(f"ccrgen.commands.{COMMANDS[name][0]}")
        return module.command

    def resolve_command(self, ctx, args):
        name = args[0] if args else ""
        if name and not name.startswith("-") and name not in COMMANDS and not ctx.resilient_parsing:
            import difflib

            close = difflib.get_close_matches(name, list(COMMANDS), n=1, cutoff=0.6)
            raise UnknownCommand(name, close[0] if close else None, ctx)
        return super().resolve_command(ctx, args)

    def format_commands(self, ctx, formatter):
        rows = [(name, help_text) for name, (_m, help_text) in COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]},
             invoke_without_command=True)
@click.version_option(__version__, prog_name="ccrgen")
@click.option("--color", type=click.Choice(["auto", "always", "never"]), default=None,
              help="Colour the output: auto (a terminal, unless NO_COLOR), always (also FORCE_COLOR), never.")
@click.pass_context
def cli(ctx, color):
    """ccrgen: build, lint, diff and smoke-test Claude Code Router (CCR 2.0.0) configs.

    Start with `ccrgen build --preset hicap --out build/`, or `ccrgen init --preset hicap`.
    """
    from ccrgen.common import console

    console.set_choice(color)
    ctx.color = console.use_color()
    if ctx.invoked_subcommand is None:
        click.echo(ctx.get_help())


def _usage_error(exc: click.UsageError) -> str:
    from ccrgen.common.console import error_line

    if isinstance(exc, UnknownCommand):
        hint = f"did you mean '{exc.suggestion}'? " if exc.suggestion else ""
        return error_line(exc.format_message(), hint + "`ccrgen --help` lists the commands")
    where = exc.ctx.command_path if exc.ctx is not None else "ccrgen"
    message = exc.format_message()
    return error_line(message[:1].lower() + message[1:], f"see `{where} --help`")


def main(argv=None) -> None:
    from ccrgen.common import signals
    from ccrgen.errors import CcrgenError

    try:
        with signals.handled():  # SIGTERM/SIGHUP clean up as Ctrl-C does
            cli.main(args=argv, prog_name="ccrgen", standalone_mode=False)
    except CcrgenError as exc:
        click.echo(exc.render(), err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Abort as exc:  # click's form of Ctrl-C (or SIGTERM/SIGHUP: signals.py)
        click.echo("aborted", err=True)
        sys.exit(getattr(exc.__cause__, "exit_code", 130))
    except click.UsageError as exc:
        click.echo(_usage_error(exc), err=True)
        sys.exit(EXIT_USAGE)
    except click.ClickException as exc:
        from ccrgen.common.console import error_line

        click.echo(error_line(exc.format_message()), err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except KeyboardInterrupt as exc:
        sys.exit(getattr(exc, "exit_code", 130))
    except BrokenPipeError:
        sys.exit(0)
    except Exception as exc:  # a bug in ccrgen: say so plainly
        if os.environ.get("CCRGEN_DEBUG"):
            raise
        click.echo(f"ccrgen: internal error: {type(exc).__name__}: {exc}\n"
                   "  (set CCRGEN_DEBUG=1 to see the traceback, and please report it)", err=True)
        sys.exit(EXIT_BUG)
    sys.exit(0)
