"""The long-context threshold: a number CCR compares token counts with, strictly."""

from __future__ import annotations

from ccrgen.ccr import facts
from ccrgen.lint.rule import Hit, rule

PATH = ("Router", "longContextThreshold")


def threshold(ctx) -> int:
    """The threshold CCR uses: the configured one when it is a positive integer, else 60000."""
    value = ctx.router.get("longContextThreshold")
    if _positive_int(value):
        return value
    return facts.DEFAULT_LONG_CONTEXT_THRESHOLD


def _positive_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _window(ctx, route: str) -> int | None:
    info = ctx.model_info(route)
    return info.context_window if info else None


@rule(
    code="CCR020",
    name="threshold-not-positive-integer",
    severity="error",
    summary="`Router.longContextThreshold` is not a positive whole number",
    why="""CCR computes `longContextThreshold || 60000` and compares with `>`: zero silently
becomes 60000, a negative number or a fraction sends every request to the long-context
model, and a string is compared by JavaScript's loose rules.""",
    fix="Write a whole number of tokens, e.g. `60000`, without quotes.",
)
def threshold_not_positive_integer(ctx):
    value = ctx.router.get("longContextThreshold")
    if value is None or _positive_int(value):
        return
    if isinstance(value, str):
        yield Hit(PATH, f"longContextThreshold is the string {value!r}, not a number",
                  f"write {value.strip()} without quotes" if value.strip().isdigit() else "write a whole number")
    elif isinstance(value, bool) or not isinstance(value, (int, float)):
        yield Hit(PATH, f"longContextThreshold is {value!r}, not a number", "write a whole number")
    elif value == 0:
        yield Hit(PATH, "longContextThreshold is 0: CCR silently uses 60000 instead",
                  "write the threshold you want, or remove the key for 60000")
    elif value < 0:
        yield Hit(PATH, f"longContextThreshold is negative ({value}): every request goes to long context",
                  "write a positive whole number")
    else:
        yield Hit(PATH, f"longContextThreshold is a fraction ({value})", f"write {max(1, round(value))}")


@rule(
    code="CCR021",
    name="threshold-above-default-window",
    severity="warning",
    summary="The threshold is larger than the default model's context window",
    why="""Requests between the default model's window and the threshold still go to the
default model, which rejects them: they fail before long context ever starts.""",
    fix="Lower `longContextThreshold` below the default model's context window.",
)
def threshold_above_default_window(ctx):
    if not ctx.router.get("longContext"):
        return
    window = _window(ctx, "default")
    limit = threshold(ctx)
    if window and limit > window:
        yield Hit(PATH if "longContextThreshold" in ctx.router else ("Router", "longContext"),
                  f"threshold {limit} is above the default model's context window ({window})",
                  f"set longContextThreshold below {window}")


@rule(
    code="CCR022",
    name="threshold-above-long-context-window",
    severity="error",
    summary="The threshold is larger than the long-context model's own context window",
    why="""Only requests longer than the threshold go to the long-context model, and every one
of them is already too long for it: long context can never succeed.""",
    fix="Choose a long-context model with a larger window, or lower the threshold.",
)
def threshold_above_long_context_window(ctx):
    window = _window(ctx, "longContext")
    limit = threshold(ctx)
    if window and limit >= window:
        yield Hit(("Router", "longContext"),
                  f"the long-context model's window ({window}) is not above the threshold ({limit})",
                  "pick a model with a larger context window for longContext")


@rule(
    code="CCR023",
    name="threshold-without-long-context",
    severity="warning",
    summary="`longContextThreshold` is set but there is no `longContext` route",
    why="""CCR only uses the threshold to choose `Router.longContext`; without that route the
threshold does nothing, which usually means the route was forgotten or misspelt.""",
    fix="Add `Router.longContext`, or remove the threshold.",
)
def threshold_without_long_context(ctx):
    if "longContextThreshold" in ctx.router and not ctx.router.get("longContext"):
        yield Hit(PATH, "longContextThreshold is set but Router.longContext is not",
                  "add Router.longContext: 'provider,model'")


@rule(
    code="CCR024",
    name="long-context-window-not-larger",
    severity="warning",
    summary="The long-context model's window is no larger than the default model's",
    why="""Long context exists to send big requests to a model that can take them; a model
with no larger window gains nothing and may cost more.""",
    fix="Route `longContext` to a model with a larger context window.",
)
def long_context_window_not_larger(ctx):
    if ctx.route_target("longContext") == ctx.route_target("default"):
        return  # one model for everything is a choice, not a mistake
    long_window, default_window = _window(ctx, "longContext"), _window(ctx, "default")
    if long_window and default_window and long_window <= default_window:
        yield Hit(("Router", "longContext"),
                  f"the long-context model's window ({long_window}) is not larger than the default's ({default_window})",
                  "route longContext to a model with a larger context window")
