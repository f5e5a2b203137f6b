"""`ccrgen lint` as a whole process on the 1,000-provider x 50-model spec of the build
benchmark, and on the config.json built from it. Goal: under 2 s each.

    python benchmarks/bench_lint.py [--runs N]

Prints a table and writes benchmarks/results/lint.json. Not part of pytest.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_cli import time_command  # noqa: E402
from bigspec import write_big_spec  # noqa: E402

GOAL_S = 2.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    ccrgen = [sys.executable, "-m", "ccrgen"]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        spec = tmp / "big.yaml"
        write_big_spec(spec, 1000, 50)
        subprocess.run(ccrgen + ["build", str(spec), "--out", str(tmp / "out")], check=True,
                       capture_output=True)
        config = tmp / "out" / "config.json"
        # exit 1 is expected (the generated keys are unset: CCR072 is a warning, not a failure)
        for name, target in (("lint 1000x50 spec (YAML)", spec), ("lint its config.json (JSON5)", config)):
            timing = time_command(ccrgen + ["lint", str(target), "--format", "json"], args.runs, ok_codes=(0, 1))
            rows.append({"name": name, **timing, "goal": f"< {GOAL_S} s", "ok": timing["median_s"] < GOAL_S})
    print(f"{'benchmark':<34} {'median':>8} {'goal':>8}  ok")
    for row in rows:
        print(f"{row['name']:<34} {row['median_s']:>7.2f}s {row['goal']:>8}  {row['ok']}")
    out = HERE / "results" / "lint.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"topic": "lint", "results": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
