"""Run every benchmarks/bench_*.py in one session, print one combined table, and write
benchmarks/results/summary.json.

Convention for a benchmark (so that this script can combine it): `bench_<topic>.py` runs as
`python benchmarks/bench_<topic>.py`, prints its own table, and writes
benchmarks/results/<topic>.json holding {"topic": ..., "results": [row, ...]}, where a row
has at least "name" and either "median_s" (seconds) or "value" with "unit"; optionally
"ratio" with "baseline", "goal" (text) and "ok" (true/false/null).

    python benchmarks/run_all.py [--only TOPIC ...] [-- extra args for every benchmark]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"


def benchmarks(only: list[str] | None) -> list[Path]:
    found = sorted(HERE.glob("bench_*.py"))
    if only:
        found = [p for p in found if p.stem[len("bench_"):] in only]
    return found


def run_one(script: Path, extra: list[str]) -> dict:
    topic = script.stem[len("bench_"):]
    result_file = RESULTS / f"{topic}.json"
    before = result_file.stat().st_mtime if result_file.exists() else None
    print(f"\n=== {script.name} ===", flush=True)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, str(script), *extra], cwd=HERE.parent)
    seconds = time.perf_counter() - start
    entry = {"script": script.name, "exit_code": done.returncode, "seconds": round(seconds, 1), "results": []}
    if result_file.exists() and result_file.stat().st_mtime != before:
        try:
            data = json.loads(result_file.read_text(encoding="utf-8"))
        except ValueError as exc:
            entry["error"] = f"{result_file.name} is not JSON: {exc}"
        else:
            rows = data.get("results", data) if isinstance(data, dict) else data
            entry["results"] = rows if isinstance(rows, list) else []
            entry["machine"] = data.get("machine") if isinstance(data, dict) else None
    else:
        entry["error"] = f"{script.name} wrote no results/{topic}.json"
    return {topic: entry}


def value_text(row: dict) -> str:
    if isinstance(row.get("median_s"), (int, float)):
        seconds = row["median_s"]
        if seconds < 0.01:
            return f"{seconds * 1000:.2f} ms"
        return f"{seconds * 1000:.0f} ms" if seconds < 10 else f"{seconds:.1f} s"
    if "value" in row:
        value = row["value"]
        text = f"{value:.4g}" if isinstance(value, float) else str(value)
        return f"{text} {row.get('unit', '')}".strip()
    return ""


def print_table(topics: dict) -> None:
    headers = ("TOPIC", "BENCHMARK", "VALUE", "RATIO", "GOAL", "OK")
    table = []
    for topic, entry in topics.items():
        if entry.get("error"):
            table.append((topic, f"({entry['error']})", "", "", "", "NO" if entry["exit_code"] else ""))
        for row in entry["results"]:
            if not isinstance(row, dict):
                continue
            ratio = ""
            if isinstance(row.get("ratio"), (int, float)):
                ratio = f"{row['ratio']:.2f}x" + (f" {row['baseline']}" if row.get("baseline") else "")
            ok = {True: "yes", False: "NO"}.get(row.get("ok"), "")
            table.append((topic, str(row.get("name", "?")), value_text(row), ratio, str(row.get("goal") or ""), ok))
    widths = [max(len(h), *(len(t[i]) for t in table)) if table else len(h) for i, h in enumerate(headers)]
    print()
    for line in [headers, *table]:
        print("  ".join(cell.ljust(w) for cell, w in zip(line, widths)).rstrip())


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    extra = []
    if "--" in argv:
        cut = argv.index("--")
        argv, extra = argv[:cut], argv[cut + 1:]
    parser = argparse.ArgumentParser(description="Run every benchmarks/bench_*.py and combine the results.")
    parser.add_argument("--only", nargs="+", metavar="TOPIC", help="run only these topics (e.g. cli lint)")
    args = parser.parse_args(argv)

    RESULTS.mkdir(exist_ok=True)
    topics: dict = {}
    scripts = benchmarks(args.only)
    if not scripts:
        print("no benchmarks/bench_*.py to run", file=sys.stderr)
        return 2
    for script in scripts:
        topics.update(run_one(script, extra))
    print_table(topics)
    summary = {
        "generated": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count()},
        "topics": topics,
    }
    (RESULTS / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote {RESULTS / 'summary.json'}")
    failed = [t for t, e in topics.items() if e["exit_code"] != 0 or e.get("error")]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
