"""Build targets: which CCR generation a spec is built for.

`ccr2` (the default) is CCR 2.0.0's config.json and transformer files (ccrgen.config.render,
ccrgen.config.build, ccrgen.lifecycle.install). `ccr3` is CCR 3.1.1's SQLite-stored config (ccrgen.targets.ccr3
renders it, ccr3_install applies it, ccr3_store and ccr3_rpc reach it).
"""

TARGETS = ("ccr2", "ccr3")
DEFAULT_TARGET = "ccr2"
