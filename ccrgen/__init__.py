"""ccrgen: build, lint, diff and smoke-test Claude Code Router (CCR 2.0.0) configurations."""

__version__ = "0.1.0"
