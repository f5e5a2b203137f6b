"""Options and helpers shared by several commands, so every command spells them the same."""

from __future__ import annotations

from pathlib import Path

import click


def spec_argument(func):
    return click.argument("spec", required=False, type=click.Path(path_type=Path, dir_okay=False))(func)


def preset_option(func):
    from ccrgen.completion import complete_presets

    return click.option("--preset", metavar="NAME", help="Use a preset instead of a spec file.",
                        shell_complete=complete_presets)(func)


def ccr_dir_option(func):
    return click.option(
        "--ccr-dir", type=click.Path(path_type=Path, file_okay=False), default=None,
        help="CCR's folder (default: $HOME/.claude-code-router).",
    )(func)


def resolve_ccr_dir(ccr_dir: Path | None) -> Path:
    from ccrgen.loader import default_ccr_dir

    return Path(ccr_dir).expanduser().absolute() if ccr_dir else default_ccr_dir()


def config_file_option(func):
    return click.option("--config", "config_file", type=click.Path(path_type=Path, dir_okay=False),
                        help="A CCR config.json instead of a spec.")(func)


def load_source(spec: Path | None, config_file: Path | None, preset: str | None):
    """The one way route/serve/smoke read what the user named: a spec, --config or --preset."""
    from ccrgen import loader
    from ccrgen.errors import InputError

    if spec and config_file:
        raise InputError("give a spec or --config, not both")
    return loader.load(config_file or spec, preset=preset)


def format_option(func):
    """`--format text|json`, with `--json` kept as its alias: every command that reports."""
    func = click.option("--json", "format_", flag_value="json", hidden=True,
                        help="Same as --format json.")(func)
    return click.option("--format", "format_", type=click.Choice(["text", "json"]), default="text",
                        show_default=True, help="Output format.")(func)
