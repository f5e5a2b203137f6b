"""Problems the spec loader finds before any rule runs, documented as a rule code."""

from ccrgen.lint.rule import reported_elsewhere

reported_elsewhere(
    code="CCR000",
    name="spec-invalid",
    severity="error",
    summary="The YAML spec does not match the spec language",
    why="""Unknown keys, wrong types and routes to models the spec does not define stop the
build before anything is rendered; lint reports them with the same file, line and key. (A
preset or file named in `extends` that cannot be found is not a finding but an input error,
exit 2 with its line and a did-you-mean, as for a spec file that does not exist.)""",
    fix="Follow the message; `ccrgen schema` prints the spec language's JSON Schema.",
    severity_why="build refuses such a spec: nothing can be rendered from it.",
)
