"""Stage 2, spec -> config: render a CCR config.json and its transformer files from a spec
(render, build), and back again: a config.json as a spec (importer), a spec as a CCR preset
(ccr_preset)."""
