"""Hypothesis profiles for the fuzz suites in this folder, chosen by CCRGEN_FUZZ_PROFILE:

    ci    (default) a short run for every test run: ~150 examples per test, < 30 s a file
    long  the long run: `CCRGEN_FUZZ_PROFILE=long python -m pytest tests/fuzz` (or
          benchmarks/fuzz_long.sh), thousands of examples per test

Both print the failing example and its reproduction blob; no example database is written
(runs stay independent of earlier ones)."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

COMMON = dict(deadline=None, database=None, print_blob=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                     HealthCheck.function_scoped_fixture])
settings.register_profile("ci", max_examples=150, **COMMON)
settings.register_profile("long", max_examples=5000, **COMMON)
settings.load_profile(os.environ.get("CCRGEN_FUZZ_PROFILE", "ci"))
