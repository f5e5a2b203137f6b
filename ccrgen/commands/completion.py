"""`ccrgen completion SHELL`: print the shell completion script."""

from __future__ import annotations

import click

from ccrgen.commands.completers import SHELLS


@click.command("completion")
@click.argument("shell", type=click.Choice(SHELLS))
def command(shell):
    """Print the completion script for SHELL (commands, options, preset names, rule codes,
    the spec's models).

    \b
    bash:  eval "$(ccrgen completion bash)"        (in ~/.bashrc)
    zsh:   eval "$(ccrgen completion zsh)"         (in ~/.zshrc)
    fish:  ccrgen completion fish > ~/.config/fish/completions/ccrgen.fish
    """
    from ccrgen.commands.completers import script

    click.echo(script(shell))
