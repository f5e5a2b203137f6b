"""Lint rules, one module per family. Importing this package registers them all."""

from ccrgen.lint.rules import routes  # noqa: F401
