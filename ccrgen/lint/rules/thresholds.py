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
    severity_why="an error when the value makes long context never or always happen, or is silently replaced by 60000; a warning for a number written in quotes, which JavaScript's loose comparison still reads as the number.",
)
def threshold_not_positive_integer(ctx):
    router = ctx.raw.get("Router")
    value = router.get("longContextThreshold") if isinstance(router, dict) else None
    if value is None or _positive_int(value):
        return
    if isinstance(value, str):
        from ccrgen.lint.rules.types import SIZED

        if value.strip().isdigit() and int(value) > 0:
            yield Hit(PATH, f"longContextThreshold is the string {value!r}, not a number",
                      f"write {value.strip()} without quotes (JavaScript compares it loosely, so it works)",
                      severity="warning")
        else:
            sized = SIZED.match(value)
            hint = (f"write {int(float(sized.group(1)) * (1000 if sized.group(2) in 'kK' else 1_000_000))}"
                    if sized else "write a whole number of tokens")
            yield Hit(PATH, f"longContextThreshold is {value!r}: no token count is ever above it, "
                      "so long context never happens", hint)
    elif isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        yield Hit(PATH, f"longContextThreshold is {value!r}, not a number", "write a whole number")
    elif value == 0:
        yield Hit(PATH, "longContextThreshold is 0: CCR silently uses 60000 instead",
                  "write the threshold you want, or remove the key for 60000")
    elif value < 0:
        yield Hit(PATH, f"longContextThreshold is negative ({value}): every request goes to long context",
                  "write a positive whole number")
    elif value == float("inf"):
        yield Hit(PATH, "longContextThreshold is infinite: long context never happens", "write a whole number")
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
    severity_why="it depends on model metadata ccrgen may not know exactly: probably wrong, not certainly.",
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
    severity_why="the long-context route can never succeed: every request it takes is too long for its model.",
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
    severity_why="the threshold does nothing without the route, which is harmless; it usually means the route was forgotten or misspelt. A threshold equal to the default (60000, which CCR's own UI writes next to an empty longContext) is not reported.",
)
def threshold_without_long_context(ctx):
    value = ctx.router.get("longContextThreshold")
    if value is not None and value != facts.DEFAULT_LONG_CONTEXT_THRESHOLD and not ctx.router.get("longContext"):
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
    severity_why="long context still works; the route is probably not what the user meant.",
)
def long_context_window_not_larger(ctx):
    if ctx.route_target("longContext") == ctx.route_target("default"):
        return  # one model for everything is a choice, not a mistake
    long_window, default_window = _window(ctx, "longContext"), _window(ctx, "default")
    if long_window and default_window and long_window <= default_window:
        yield Hit(("Router", "longContext"),
                  f"the long-context model's window ({long_window}) is not larger than the default's ({default_window})",
                  "route longContext to a model with a larger context window")
