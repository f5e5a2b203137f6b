"""Stage 1, spec: the YAML language (model, schema), loading it safely (load), presets and
`extends` (presets, merge, resolve), where each value came from (annotate), and loader: the
one way in for every command, a spec or an existing config.json."""
