"""`ccrgen lint` as a whole process, against baselines run in the same session.

  ccrgen lint config.json (the hicap preset's build)  vs  a minimal click program's --help
                                                        goal: at most 1.5 times it
  ccrgen lint of the 1,000-provider x 50-model spec of the build benchmark, and of the
  config.json built from it                             goal: under 2 s each

The short command and its baseline run in turns (a, b, a, b, ...) after one warm-up round,
as benchmarks/bench_cli.py measures them, so that a drift in the machine's speed weighs on
both sides of the ratio alike; the median wall time counts.

    python benchmarks/bench_lint.py [--runs N] [--big-runs N]

Prints a table and writes benchmarks/results/lint.json. Not part of pytest.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_cli import (  # noqa: E402
    MINIMAL_CLICK, RESULTS, ccrgen_command, machine, print_table, row, time_command, time_in_turns,
)
from bigspec import write_big_spec  # noqa: E402

RATIO_GOAL = 1.5
BIG_GOAL_S = 2.0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="timed runs of each short command (default 15)")
    parser.add_argument("--big-runs", type=int, default=3, help="timed runs of the big lints (default 3)")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="ccrgen-bench-lint-"))
    home = work / "home"
    home.mkdir()
    # The variables the configs reference are set, as on a machine where CCR works: lint
    # then exits 0 and reports no error, the case a user checks most often.
    env = {**os.environ, "HOME": str(home), "CCRGEN_PRESETS_DIR": str(work / "no-user-presets"),
           "HICAP_API_KEY": "bench-key"}
    env.pop("CCRGEN_DEBUG", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as a user runs it: .pyc files cached
    ccrgen = ccrgen_command()
    rows: list[dict] = []
    try:
        minimal = work / "minimal_click.py"
        minimal.write_text(MINIMAL_CLICK, encoding="utf-8")
        subprocess.run(ccrgen + ["build", "--preset", "hicap", "--out", str(work / "hicap")],
                       check=True, capture_output=True, env=env)
        hicap = work / "hicap" / "config.json"
        commands = {
            "click minimal --help": ([sys.executable, str(minimal), "--help"], None),
            "ccrgen lint config.json (hicap)": (ccrgen + ["lint", str(hicap)], None),
        }
        timings = time_in_turns(commands, args.runs, env=env)
        base = {"name": "click minimal --help", "command": " ".join(commands["click minimal --help"][0]),
                **timings["click minimal --help"], "goal": "baseline", "ok": None}
        rows.append(base)
        name = "ccrgen lint config.json (hicap)"
        rows.append(row(name, commands[name][0], timings[name], baseline=base,
                        goal=f"<= {RATIO_GOAL}x click minimal", limit_ratio=RATIO_GOAL))

        spec = write_big_spec(work / "big.yaml", 1000, 50)
        subprocess.run(ccrgen + ["build", str(spec), "--out", str(work / "big")], check=True,
                       capture_output=True, env=env)
        for label, target in (("ccrgen lint 1000x50 spec (YAML)", spec),
                              ("ccrgen lint its config.json (JSON5)", work / "big" / "config.json")):
            cmd = ccrgen + ["lint", str(target), "--format", "json"]
            # exit 1 is expected: the generated providers' keys are unset (CCR072)
            timing = time_command(cmd, args.big_runs, env=env, ok_codes=(0, 1))
            rows.append(row(label, cmd, timing, goal=f"< {BIG_GOAL_S} s", limit_s=BIG_GOAL_S))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print_table(rows)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / "lint.json"
    out.write_text(json.dumps({"topic": "lint", "machine": machine(), "results": rows}, indent=2) + "\n",
                   encoding="utf-8")
    print(f"\nwrote {out}")
    return 0 if all(r["ok"] is not False for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
