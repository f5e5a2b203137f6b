"""Whole-process timings of the ccrgen command line, against baselines run in the same session.

  ccrgen --help, ccrgen preset list   vs  a minimal click program's --help (same interpreter)
                                          goal: at most 1.5 times it (nothing heavy imported early)
  ccrgen build --preset hicap         vs  `node cli.js status` of CCR 2.0.0; goal: at most half
  ccrgen build of a generated spec with 1,000 providers x 50 models; goal: under 2 s
  (and, for information, the same spec with metadata on every model: 8x the scalars)

Each command runs once to warm the file cache and the .pyc cache, then --runs times; the median
wall time counts. The short commands and their baselines run in turns (a, b, c, a, b, c, ...)
so that a drift in the machine's speed weighs on both sides of a ratio alike.

    python benchmarks/bench_cli.py [--runs N]

Prints a table and writes benchmarks/results/cli.json. Not part of pytest.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RESULTS = HERE / "results"
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO))

from bigspec import write_big_spec  # noqa: E402

MINIMAL_CLICK = '''\
import click


@click.group()
def cli():
    """A minimal click program."""


@cli.command()
def hello():
    """Say hello."""
    click.echo("hello")


if __name__ == "__main__":
    cli()
'''


def run_once(cmd: list[str], *, env: dict | None, cwd=None, before=None, ok_codes=(0,)) -> float:
    if before:
        before()
    start = time.perf_counter()
    done = subprocess.run(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    if done.returncode not in ok_codes:
        raise SystemExit(f"benchmark command failed ({done.returncode}): {' '.join(cmd)}\n"
                         f"{done.stderr.decode(errors='replace')[-2000:]}")
    return elapsed


def timing_of(samples: list[float]) -> dict:
    return {"median_s": statistics.median(samples), "min_s": min(samples), "max_s": max(samples),
            "runs": len(samples)}


def time_command(cmd: list[str], runs: int, *, env: dict | None = None, cwd=None, before=None,
                 ok_codes=(0,)) -> dict:
    """Median/min/max wall seconds of `cmd` as a whole process (one warm-up run first)."""
    run_once(cmd, env=env, cwd=cwd, before=before, ok_codes=ok_codes)  # the first run only warms caches
    return timing_of([run_once(cmd, env=env, cwd=cwd, before=before, ok_codes=ok_codes) for _ in range(runs)])


def time_in_turns(commands: dict[str, tuple[list[str], object]], runs: int, *, env: dict) -> dict[str, dict]:
    """Like time_command for several commands, run in turns (a, b, c, a, b, c, ...), so a
    drift in the machine's speed during the run weighs on a command and its baseline alike."""
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for i in range(runs + 1):
        for name, (cmd, before) in commands.items():
            elapsed = run_once(cmd, env=env, before=before)
            if i:  # the first round only warms caches
                samples[name].append(elapsed)
    return {name: timing_of(values) for name, values in samples.items()}


def ccrgen_command() -> list[str]:
    """How a user runs ccrgen: the console script next to this interpreter, else -m."""
    script = Path(sys.executable).parent / "ccrgen"
    if script.is_file():
        return [sys.executable, str(script)]
    return [sys.executable, "-m", "ccrgen"]


def ccr_command() -> list[str] | None:
    from ccrgen.ccr.runner import find_ccr

    try:
        return find_ccr()
    except Exception:
        return None


def row(name: str, command: list[str], timing: dict, *, baseline: dict | None = None,
        goal: str | None = None, limit_ratio: float | None = None, limit_s: float | None = None) -> dict:
    out = {"name": name, "command": " ".join(command), **timing, "goal": goal, "ok": None}
    if baseline is not None:
        out["baseline"] = baseline["name"]
        out["ratio"] = timing["median_s"] / baseline["median_s"]
        if limit_ratio is not None:
            out["ok"] = out["ratio"] <= limit_ratio
    if limit_s is not None:
        out["ok"] = timing["median_s"] < limit_s
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10, help="timed runs per command (default 10)")
    parser.add_argument("--big-runs", type=int, default=5, help="timed runs of the big-spec builds (default 5)")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="ccrgen-bench-"))
    home = work / "home"
    home.mkdir()
    env = {**os.environ, "HOME": str(home), "CCRGEN_PRESETS_DIR": str(work / "no-user-presets")}
    env.pop("CCRGEN_DEBUG", None)
    # As a user runs it: pip compiles a wheel's modules to .pyc at install time and Python
    # caches them for an editable install. Some machines (this project's CI among them)
    # set PYTHONDONTWRITEBYTECODE, which would make every run recompile ccrgen from source.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    ccrgen = ccrgen_command()
    rows: list[dict] = []
    try:
        minimal = work / "minimal_click.py"
        minimal.write_text(MINIMAL_CLICK, encoding="utf-8")
        out = work / "out"
        clean = lambda: shutil.rmtree(out, ignore_errors=True)  # noqa: E731  (a fresh build each run)
        commands = {
            "click minimal --help": ([sys.executable, str(minimal), "--help"], None),
            "ccrgen --help": (ccrgen + ["--help"], None),
            "ccrgen preset list": (ccrgen + ["preset", "list"], None),
            "ccrgen build --preset hicap": (ccrgen + ["build", "--preset", "hicap", "--out", str(out)], clean),
        }
        ccr = ccr_command()
        if ccr:
            commands["node cli.js status (CCR 2.0.0)"] = (ccr + ["status"], None)
        timings = time_in_turns(commands, args.runs, env=env)

        def command_of(name):
            return " ".join(commands[name][0])

        base = {"name": "click minimal --help", "command": command_of("click minimal --help"),
                **timings["click minimal --help"], "goal": "baseline", "ok": None}
        rows.append(base)
        for name in ("ccrgen --help", "ccrgen preset list"):
            rows.append(row(name, commands[name][0], timings[name], baseline=base,
                            goal="<= 1.5x click minimal", limit_ratio=1.5))
        build_name = "ccrgen build --preset hicap"
        if ccr:
            status_name = "node cli.js status (CCR 2.0.0)"
            status = {"name": status_name, "command": command_of(status_name), **timings[status_name],
                      "goal": "baseline", "ok": None}
            rows.append(status)
            rows.append(row(build_name, commands[build_name][0], timings[build_name], baseline=status,
                            goal="<= 0.5x ccr status", limit_ratio=0.5))
        else:
            rows.append(row(build_name, commands[build_name][0], timings[build_name],
                            goal="<= 0.5x ccr status (CCR not installed: not compared)"))

        for label, metadata, goal, limit in (
            ("1000x50 spec", False, "< 2 s", 2.0),
            ("1000x50 spec, metadata on every model", True, "information", None),
        ):
            spec = write_big_spec(work / f"big-{int(metadata)}.yaml", 1000, 50, metadata=metadata)
            big_out = work / f"big-out-{int(metadata)}"
            cmd = ccrgen + ["build", str(spec), "--out", str(big_out)]
            timing = time_command(cmd, args.big_runs, env=env,
                                  before=lambda d=big_out: shutil.rmtree(d, ignore_errors=True))
            r = row(f"ccrgen build {label}", cmd, timing, goal=goal, limit_s=limit)
            r["spec_bytes"] = spec.stat().st_size
            rows.append(r)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print_table(rows)
    RESULTS.mkdir(exist_ok=True)
    result = {"topic": "cli", "machine": machine(), "results": rows}
    (RESULTS / "cli.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote {RESULTS / 'cli.json'}")
    return 0 if all(r["ok"] is not False for r in rows) else 1


def machine() -> dict:
    node = shutil.which("node")
    node_version = subprocess.run([node, "--version"], capture_output=True, text=True).stdout.strip() if node else None
    return {"python": platform.python_version(), "implementation": platform.python_implementation(),
            "platform": platform.platform(), "cpus": os.cpu_count(), "node": node_version}


def print_table(rows: list[dict]) -> None:
    headers = ("BENCHMARK", "MEDIAN", "MIN", "RATIO", "GOAL", "OK")
    table = []
    for r in rows:
        ratio = f"{r['ratio']:.2f}x {r['baseline']}" if "ratio" in r else ""
        ok = {True: "yes", False: "NO", None: ""}[r["ok"]]
        table.append((r["name"], f"{r['median_s'] * 1000:.0f} ms", f"{r['min_s'] * 1000:.0f} ms", ratio,
                      r["goal"] or "", ok))
    widths = [max(len(h), *(len(t[i]) for t in table)) for i, h in enumerate(headers)]
    for line in [headers, *table]:
        print("  ".join(cell.ljust(w) for cell, w in zip(line, widths)).rstrip())


if __name__ == "__main__":
    sys.exit(main())
