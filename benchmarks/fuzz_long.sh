#!/usr/bin/env bash
# benchmarks/fuzz_long.sh: the long fuzz run of every suite in tests/fuzz (proxy, CLI...),
# thousands of examples per test (hypothesis profile "long", tests/fuzz/conftest.py).
# The short profile ("ci", the default) runs with the normal test suite.
#
#   bash benchmarks/fuzz_long.sh                 # everything in tests/fuzz
#   bash benchmarks/fuzz_long.sh -k proxy        # extra arguments go to pytest
#   bash benchmarks/fuzz_long.sh tests/fuzz/test_fuzz_proxy.py   # one suite (a path first)
#
# Same as: CCRGEN_FUZZ_PROFILE=long python -m pytest tests/fuzz
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
PYTHON="${PYTHON:-$REPO/.cache/venv/bin/python}"
[ -x "$PYTHON" ] || PYTHON=python3
export CCRGEN_FUZZ_PROFILE=long
if [ $# -gt 0 ] && [ -e "$1" ]; then
  exec "$PYTHON" -m pytest -q "$@"
fi
exec "$PYTHON" -m pytest -q tests/fuzz "$@"
