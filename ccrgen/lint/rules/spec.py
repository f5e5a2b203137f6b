"""Problems the spec loader finds before any rule runs, documented as a rule code."""

from ccrgen.lint.rule import reported_elsewhere

reported_elsewhere(
    code="CCR000",
    name="spec-invalid",
    severity="error",
    summary="The YAML spec does not match the spec language",
    why="""Unknown keys, wrong types, routes to models the spec does not define and presets
that cannot be found stop the build before anything is rendered; lint reports them with
the same file, line and key.""",
    fix="Follow the message; `ccrgen schema` prints the spec language's JSON Schema.",
    severity_why="build refuses such a spec: nothing can be rendered from it.",
)
