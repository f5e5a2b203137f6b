"""ccrgen: build, lint, diff and smoke-test Claude Code Router (CCR 2.0.0) configurations.

The folders follow the pipeline a build goes through:

    spec/       1. the user's YAML (or a preset) loaded, merged and validated into a Spec;
                   loader.py is the one way in for a spec or an existing config.json
    config/     2. spec -> CCR config.json + transformer JS (and back: importer)
    check/      3. the rendered config against CCR 2.0.0's schema
    lifecycle/  4. plan (what would change, diff) -> 5. install (atomic, backed up, history)

and beside it:

    lint/       rules over a spec or a config.json, with --fix
    proxy/      `serve` and `smoke`: CCR 2.0.0's routing and transformers, and a mock upstream
    doctor/     checks of this machine
    ccr/        what ccrgen knows of CCR 2.0.0 and the providers (facts, JSON5, install lookup)
    targets/    CCR 3.1.1 (SQLite config, rules, migrate)
    common/     shared by all: safe reads, limits, secret masking, signals, packaged data
    commands/   one thin click command per module; cli.py wires them, errors.py maps errors
                to messages and exit codes
"""

__version__ = "0.1.0"
