"""Stage 3, check: a rendered config.json against CCR 2.0.0's config schema (validate; the
schema compiled ahead of time in _ccr_config_check, made by schema_compile)."""
