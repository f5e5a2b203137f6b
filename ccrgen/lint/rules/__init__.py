"""Lint rules, one module per family. Importing this package registers them all."""

from ccrgen.lint.rules import (  # noqa: F401
    capabilities, env, keys, providers, routes, server, spec, thresholds, transformers, types,
)
