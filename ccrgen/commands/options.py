"""Options and helpers shared by several commands, so every command spells them the same."""

from __future__ import annotations

from pathlib import Path

import click

from ccrgen.common.inputs import STDIN as STDIO  # `-`: stdin where a file is read, stdout where one is written


def spec_argument(func):
    return click.argument("spec", required=False,
                          type=click.Path(path_type=Path, dir_okay=False, allow_dash=True))(func)


def preset_option(func):
    from ccrgen.commands.completers import complete_presets

    return click.option("--preset", metavar="NAME", help="Use a preset instead of a spec file.",
                        shell_complete=complete_presets)(func)


def ccr_dir_option(func):
    return click.option(
        "--ccr-dir", type=click.Path(path_type=Path, file_okay=False), default=None,
        help="CCR's folder (default: $HOME/.claude-code-router).",
    )(func)


def resolve_ccr_dir(ccr_dir: Path | None) -> Path:
    from ccrgen.spec.loader import default_ccr_dir

    return Path(ccr_dir).expanduser().absolute() if ccr_dir else default_ccr_dir()


def config_file_option(func):
    return click.option("--config", "config_file",
                        type=click.Path(path_type=Path, dir_okay=False, allow_dash=True),
                        help="A CCR config.json instead of a spec (`-`: stdin).")(func)


def load_source(spec: Path | None, config_file: Path | None, preset: str | None):
    """The one way route/serve/smoke read what the user named: a spec, --config or --preset."""
    from ccrgen.errors import InputError

    if spec and config_file:
        raise InputError("give a spec or --config, not both")
    return load_input(config_file or spec, preset=preset)


def format_option(func=None, *, choices=("text", "json"), help_text="Output format (json: one JSON document on stdout)."):
    """`--format text|json`, with `--json` kept as its alias: every command that reports.
    `choices` adds formats (lint: github, sarif); the value arrives as `format_`."""
    def decorate(func):
        func = click.option("--json", "format_", flag_value="json", hidden=True,
                            help="Same as --format json.")(func)
        return click.option("--format", "format_", type=click.Choice(list(choices)), default="text",
                            show_default=True, help=help_text)(func)

    return decorate(func) if func is not None else decorate


def echo_json(data) -> None:
    """The one JSON document a `--format json` command prints on stdout."""
    import json

    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


# --- `-`: stdin for a file that is read, stdout for the one file that is written -------------



def is_stdio(path) -> bool:
    return path is not None and str(path) == STDIO


def read_stdin_bytes(what: str = "stdin") -> bytes:
    """All of stdin, within the same size limit as a file (ccrgen.common.limits)."""
    import sys

    from ccrgen.errors import InputError
    from ccrgen.common.limits import MAX_INPUT_FILE_BYTES

    from ccrgen.common.console import stdin_taken

    stdin_taken()
    stream = getattr(sys.stdin, "buffer", None)
    if stream is None:  # a text stream (a test runner's stdin)
        data = sys.stdin.read(MAX_INPUT_FILE_BYTES + 1).encode("utf-8", "surrogateescape")
    else:
        data = stream.read(MAX_INPUT_FILE_BYTES + 1)
    if len(data) > MAX_INPUT_FILE_BYTES:
        raise InputError(f"{what}: more than {MAX_INPUT_FILE_BYTES // (1024 * 1024)} MB")
    return data


def read_stdin_text(what: str = "stdin") -> str:
    from ccrgen.errors import InputError

    try:
        return read_stdin_bytes(what).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{what}: not UTF-8 text (byte {exc.start})") from None


def load_input(path, *, preset: str | None = None, ccr_dir: Path | None = None, check_types: bool = True):
    """`loader.load`, with `-` meaning a spec or config.json read from stdin (its kind told by
    its first characters, as `lint -` does)."""
    from ccrgen.spec import loader
    from ccrgen.errors import InputError

    if not is_stdio(path):
        return loader.load(path, preset=preset, ccr_dir=ccr_dir, check_types=check_types)
    if preset:
        raise InputError("give `-` (stdin) or --preset, not both")
    return loader.load(Path(STDIO), text=read_stdin_text(), ccr_dir=ccr_dir, check_types=check_types)


def out_option(*names: str, dest: str, help_text: str, default=None, show_default: bool = False):
    """`-o FILE` / `--out FILE`: where the one file goes; `-` is stdout."""
    return click.option(*names, dest, type=click.Path(path_type=Path, dir_okay=False, allow_dash=True),
                        default=default, show_default=show_default, help=help_text + " `-`: stdout.")


def echo_file_to_stdout(text: str, masked: str | None = None) -> None:
    """The one file of `-o -`: verbatim into a pipe or file; on a terminal, where it is only
    read, `masked` (secrets hidden) is shown instead, with a note."""
    import sys

    if masked is not None and masked != text and sys.stdout.isatty():
        click.echo("note: literal keys are masked on a terminal; redirect stdout to write them", err=True)
        text = masked
    click.echo(text, nl=False)


def expand_codes(values, *, option: str) -> tuple[str, ...]:
    """Rule codes from `--select`/`--ignore` values: codes or prefixes (`CCR05`), comma-separated
    or repeated, `ALL` for every rule; an unknown code or a prefix of none is a usage error."""
    if not values:
        return ()
    from ccrgen.lint.engine import all_rules

    known = list(all_rules())
    codes: list[str] = []
    unknown = []
    for value in values:
        for part in value.split(","):
            part = part.strip().upper()
            if not part:
                continue
            matched = known if part == "ALL" else [c for c in known if c.startswith(part)]
            if not matched:
                unknown.append(part)
            codes += [c for c in matched if c not in codes]
    if unknown:
        raise click.BadParameter(f"no rule {', '.join(unknown)} (see `ccrgen rules`)", param_hint=option)
    return tuple(codes)


def codes_option(name: str, help_text: str):
    """`--ignore` / `--select`: the same forms for every command that runs the lint rules."""
    def callback(ctx, param, values):
        return expand_codes(values, option=name)

    return click.option(name, multiple=True, callback=callback, metavar="CODE[,CODE]", help=help_text)


def apply_plan(plan, *, yes: bool, as_json: bool) -> None:
    """Show `plan` (asking first unless --yes), apply it, and report what was done: the one
    ending of rollback and uninstall."""
    from ccrgen.lifecycle import diff_report, plan as planner

    diff_report.echo_plan(plan, ask=not yes, err=as_json)
    applied = planner.apply(plan)
    if as_json:
        echo_json(diff_report.applied_dict(applied))
    else:
        click.echo(diff_report.applied_text(applied), nl=False)
