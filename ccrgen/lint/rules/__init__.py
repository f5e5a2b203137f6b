"""Lint rules, one module per family. Importing this package registers them all."""

from ccrgen.lint.rules import (  # noqa: F401
    capabilities, env, providers, routes, server, spec, thresholds, transformers,
)
