"""Shell completion: the script for each shell, and the values ccrgen can complete beyond
commands and options (preset names, rule codes, the spec's model names).

Each `complete_*` function is a click `shell_complete` callback: (ctx, param, incomplete)
-> list of CompletionItem. They read only what is cheap (the preset index, the rule table,
./ccrgen.yaml) and never fail: a completion that cannot be computed offers nothing.
"""

from __future__ import annotations

SHELLS = ("bash", "zsh", "fish")
PROG = "ccrgen"
ENV_VAR = "_CCRGEN_COMPLETE"


def script(shell: str) -> str:
    """The completion script `ccrgen completion SHELL` prints."""
    from click.shell_completion import get_completion_class

    from ccrgen.cli import cli

    cls = get_completion_class(shell)
    return cls(cli, {}, PROG, ENV_VAR).source()


def _items(values, incomplete: str):
    from click.shell_completion import CompletionItem

    return [CompletionItem(v) for v in sorted(set(values)) if v.startswith(incomplete)]


def complete_presets(ctx, param, incomplete: str):
    try:
        from ccrgen.spec.presets import all_presets

        names = [p.name for p in all_presets()]
    except Exception:  # completion must never break the shell
        names = []
    return _items(names, incomplete)


def complete_rule_codes(ctx, param, incomplete: str):
    try:
        from ccrgen.lint.engine import all_rules

        codes = list(all_rules())
    except Exception:
        codes = []
    last = incomplete.rsplit(",", 1)
    head = last[0] + "," if len(last) == 2 else ""
    return _items([head + c for c in codes], incomplete)


def complete_models(ctx, param, incomplete: str):
    """`provider,model` of the spec in the current folder (or the one named on the line)."""
    try:
        from ccrgen.spec.loader import DEFAULT_SPEC, load

        spec = (ctx.params.get("spec") if ctx is not None else None) or DEFAULT_SPEC
        config = load(spec).config
        values = [f"{p.get('name')},{m}" for p in config.get("Providers") or [] for m in p.get("models") or []]
    except Exception:
        values = []
    return _items(values, incomplete)
