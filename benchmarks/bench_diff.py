"""`ccrgen diff` of the 1,000-provider x 50-model config of the build benchmark against a copy
with 1% of its models and routes changed (and its providers' order kept). Goal: under 2 s,
as a whole process (`ccrgen diff BUILT --against EDITED`).

    python benchmarks/bench_diff.py [--runs N]

Prints a table and writes benchmarks/results/diff.json. Not part of pytest.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_cli import time_command  # noqa: E402
from bigspec import write_big_spec  # noqa: E402

GOAL_S = 2.0


def edited(config: dict, fraction: float = 0.01, seed: int = 1) -> tuple[dict, int]:
    rng = random.Random(seed)
    copy = json.loads(json.dumps(config))
    models = [(p, i) for p in copy["Providers"] for i in range(len(p["models"]))]
    picked = rng.sample(models, int(len(models) * fraction))
    for provider, i in picked:
        provider["models"][i] += "-renamed"
    for route in ("default", "think"):
        copy["Router"][route] = copy["Router"]["background"]
    return copy, len(picked) + 2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    ccrgen = [sys.executable, "-m", "ccrgen"]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        write_big_spec(tmp / "big.yaml", 1000, 50)
        subprocess.run(ccrgen + ["build", str(tmp / "big.yaml"), "--out", str(tmp / "out")], check=True,
                       capture_output=True)
        built = tmp / "out" / "config.json"
        copy, n_changes = edited(json.loads(built.read_text()))
        other = tmp / "edited.json"
        other.write_text(json.dumps(copy, indent=2))
        cmd = ccrgen + ["diff", str(built), "--against", str(other), "--json"]
        reported = len(json.loads(subprocess.run(cmd, capture_output=True, text=True).stdout))
        timing = time_command(cmd + ["--ignore-order"], args.runs, ok_codes=(0, 1))
    row = {"name": f"diff 1000x50 config, {n_changes} edits ({reported} changes reported)", **timing,
           "goal": f"< {GOAL_S} s", "ok": timing["median_s"] < GOAL_S}
    print(f"{row['name']}: median {row['median_s']:.2f} s (goal {row['goal']}) ok={row['ok']}")
    out = HERE / "results" / "diff.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"topic": "diff", "results": [row]}, indent=2) + "\n")


if __name__ == "__main__":
    main()
