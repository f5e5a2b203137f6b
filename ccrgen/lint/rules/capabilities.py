"""Routes whose model cannot do what the route is for. Only where the model's metadata is
known (the spec's `models:` entries, or the bundled presets' catalog for config.json)."""

from __future__ import annotations

from ccrgen.lint.rule import Hit, rule


def _lacking(ctx, route: str, capability: str):
    info = ctx.model_info(route)
    if info is not None and getattr(info, capability) is False:
        return ",".join(ctx.route_target(route))
    return None


@rule(
    code="CCR030",
    name="image-route-without-vision",
    severity="warning",
    summary="The image route's model cannot read images",
    why="""Requests with images go to `Router.image`; a model without vision rejects them or
answers without seeing the picture.""",
    fix="Route `image` to a model with vision.",
    severity_why="it depends on model metadata: probably wrong, and right if ccrgen's catalog is out of date.",
)
def image_without_vision(ctx):
    if model := _lacking(ctx, "image", "vision"):
        yield Hit(("Router", "image"), f"'{model}' has no vision", "route image to a vision model")


@rule(
    code="CCR031",
    name="websearch-route-without-web-search",
    severity="warning",
    summary="The webSearch route's model cannot search the web",
    why="""CCR sends requests carrying a `web_search` tool to `Router.webSearch`; a model that
cannot search ignores or rejects the tool.""",
    fix="Route `webSearch` to a model with web search (e.g. an `:online` model).",
    severity_why="it depends on model metadata: probably wrong, and right if ccrgen's catalog is out of date.",
)
def websearch_without_web_search(ctx):
    if model := _lacking(ctx, "webSearch", "web_search"):
        yield Hit(("Router", "webSearch"), f"'{model}' cannot search the web",
                  "route webSearch to a model with web search")


@rule(
    code="CCR032",
    name="think-route-without-reasoning",
    severity="warning",
    summary="The think route's model does not reason",
    why="""Requests with `thinking` go to `Router.think`; a model without reasoning gives
no better answer there than the default would.""",
    fix="Route `think` to a reasoning model.",
    severity_why="the route works; the model probably does not do what the route is for.",
)
def think_without_reasoning(ctx):
    if model := _lacking(ctx, "think", "reasoning"):
        yield Hit(("Router", "think"), f"'{model}' does not support reasoning",
                  "route think to a reasoning model")


@rule(
    code="CCR033",
    name="background-costlier-than-default",
    severity="warning",
    summary="The background model costs more than the default model",
    why="""Claude Code sends its many small housekeeping requests (haiku) to `background`;
the point of the route is a cheaper model, and a dearer one multiplies the bill.""",
    fix="Route `background` to a cheaper model than the default.",
    severity_why="the route works; it probably costs more than the user meant.",
)
def background_costlier(ctx):
    background, default = ctx.model_info("background"), ctx.model_info("default")
    if background and default and background.cost_input is not None and default.cost_input is not None:
        if background.cost_input > default.cost_input:
            yield Hit(("Router", "background"),
                      f"background costs ${background.cost_input}/M input tokens, default ${default.cost_input}/M",
                      "route background to a cheaper model")
