"""Routing a 100,000-word request: ccrgen's `choose_route` (token counting included) against
CCR 2.0.0 on the same machine, same mock upstream. CCR's routing time is estimated as the
time of the big request through CCR minus the time of a tiny one (both non-streaming); the
three are timed in turns.
Goal: at most a quarter of CCR's time.

    python benchmarks/bench_routing.py [--runs N]

Prints a table and writes benchmarks/results/routing.json. Not part of pytest.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from ccrgen.ccr.runner import CcrServer, find_ccr, free_port  # noqa: E402
from ccrgen.proxy.mock_upstream import MockUpstream  # noqa: E402
from ccrgen.proxy.routing import choose_route  # noqa: E402

WORDS = 100_000


def big_request() -> dict:
    text = " ".join(f"word{i % 997}" for i in range(WORDS))
    return {"model": "claude-sonnet-4-5", "max_tokens": 16, "messages": [{"role": "user", "content": text}]}


def median_of(fn, runs: int) -> float:
    fn()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def medians_in_turns(fns, runs: int) -> list[float]:
    for fn in fns:  # warm up
        fn()
    samples = [[] for _ in fns]
    for _ in range(runs):
        for fn, taken in zip(fns, samples):
            time.sleep(0.1)  # let the previous call's after-work (GC, log writes) settle
            start = time.perf_counter()
            fn()
            taken.append(time.perf_counter() - start)
    return [statistics.median(taken) for taken in samples]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    body = big_request()
    tiny = {"model": "claude-sonnet-4-5", "max_tokens": 16, "messages": [{"role": "user", "content": "hi"}]}
    mock = MockUpstream.start_in_thread(host="127.0.0.1", port=0)
    config = {"LOG": False, "PORT": 0, "APIKEY": "k",
              "Providers": [{"name": "p", "api_base_url": mock.chat_url, "api_key": "u", "models": ["a", "lc"]}],
              "Router": {"default": "p,a", "longContext": "p,lc"}}
    route = lambda: choose_route(body, config)  # noqa: E731
    ccr = find_ccr()
    if not ccr:
        rows = [{"name": "ccrgen choose_route, 100,000 words", "median_s": median_of(route, args.runs)}]
    else:
        port = free_port()
        config["PORT"] = port
        with tempfile.TemporaryDirectory() as home:
            (Path(home) / ".claude-code-router").mkdir()
            (Path(home) / ".claude-code-router" / "config.json").write_text(json.dumps(config))
            with CcrServer(Path(home), ccr, port=port) as server:
                def post(b):
                    req = urllib.request.Request(server.url + "/v1/messages", data=json.dumps(b).encode(),
                                                 headers={"content-type": "application/json", "x-api-key": "k"})
                    urllib.request.urlopen(req, timeout=60).read()
                # in turns, so a drift in the machine's speed weighs on both sides alike
                ours, big_t, tiny_t = medians_in_turns([route, lambda: post(body), lambda: post(tiny)], args.runs)
        theirs = max(big_t - tiny_t, 1e-6)
        rows = [{"name": "ccrgen choose_route, 100,000 words", "median_s": ours,
                 "ratio": ours / theirs, "baseline": "CCR 2.0.0", "goal": "<= 0.25", "ok": ours / theirs <= 0.25},
                {"name": "CCR 2.0.0 big minus tiny request", "median_s": theirs}]
    mock.stop()
    for row in rows:
        extra = f"  ratio {row['ratio']:.2f} (goal {row['goal']})" if "ratio" in row else ""
        print(f"{row['name']:<40} {row['median_s'] * 1000:8.1f} ms{extra}")
    out = HERE / "results" / "routing.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"topic": "routing", "results": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
