"""The proxy against CCR 2.0.0, on the same machine, in one run, in front of the same mock
upstream (its own process). Each server is its own process; the load comes from this one.

- throughput at 8 concurrent clients, non-streaming and streaming (goal: >= 2x CCR's);
- added latency over calling the mock directly, p50 and p99 (goal: at most half of
  CCR's), at 8 concurrent clients, as shared/ccr-2.0.0-facts.md measures CCR;
- for information, the same with one client at a time (direct, ccrgen and CCR measured
  in turns, 10 rounds): there both sides are bound by one request's CPU time.

    python benchmarks/bench_proxy.py [--requests N] [--latency-requests N]

Prints a table and writes benchmarks/results/proxy.json. Not part of pytest.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import aiohttp  # noqa: E402

from ccrgen.ccr.runner import CcrServer, find_ccr, free_port  # noqa: E402

KEY = "bench-key"
CLIENTS = 8


def start_process(args: list[str], ready: Path) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, "-m", *args, "--ready-file", str(ready)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=HERE.parent)
    deadline = time.monotonic() + 30
    while not ready.exists() or not ready.read_text().strip():
        if time.monotonic() > deadline or process.poll() is not None:
            raise SystemExit(f"{' '.join(args)} did not start")
        time.sleep(0.05)
    return process


def anthropic_body(stream: bool) -> dict:
    return {"model": "claude-sonnet-4-5", "max_tokens": 32, "stream": stream,
            "messages": [{"role": "user", "content": "Say something short."}]}


async def throughput(url: str, path: str, body: dict, headers: dict, total: int) -> tuple[float, list[float]]:
    """Requests per second at CLIENTS concurrent clients, and each request's latency."""
    remaining = iter(range(total))
    errors = 0
    samples = []

    async def client(session):
        nonlocal errors
        for _ in remaining:
            started = time.perf_counter()
            async with session.post(url + path, json=body, headers=headers) as resp:
                await resp.read()
                errors += resp.status != 200
            samples.append(time.perf_counter() - started)

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=CLIENTS)) as session:
        for _ in range(50):  # warm up
            async with session.post(url + path, json=body, headers=headers) as resp:
                await resp.read()
        started = time.perf_counter()
        await asyncio.gather(*(client(session) for _ in range(CLIENTS)))
        elapsed = time.perf_counter() - started
    if errors:
        raise SystemExit(f"{errors} requests to {url} failed")
    return total / elapsed, samples


async def interleaved_latencies(targets: dict[str, tuple], count: int, rounds: int = 10) -> dict[str, list[float]]:
    """One client at a time: each target gets `count` requests, in `rounds` rounds taken in
    turn (direct, ccrgen, CCR, direct, ...), so a drift in the machine's speed during the
    run weighs on every target alike instead of on whichever was measured last."""
    samples = {name: [] for name in targets}
    sessions = {name: aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1)) for name in targets}
    try:
        for name, (url, path, body, headers) in targets.items():  # warm up: connection, caches
            for _ in range(20):
                async with sessions[name].post(url + path, json=body, headers=headers) as resp:
                    await resp.read()
        for _ in range(rounds):
            for name, (url, path, body, headers) in targets.items():
                for _ in range(max(1, count // rounds)):
                    started = time.perf_counter()
                    async with sessions[name].post(url + path, json=body, headers=headers) as resp:
                        await resp.read()
                    samples[name].append(time.perf_counter() - started)
    finally:
        for session in sessions.values():
            await session.close()
    return samples


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000, help="per throughput measurement")
    parser.add_argument("--latency-requests", type=int, default=500)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="ccrgen-bench-proxy-"))
    processes = []
    try:
        mock = start_process(["ccrgen.proxy.mock_upstream", "--port", "0"], work / "mock.ready")
        processes.append(mock)
        mock_url = (work / "mock.ready").read_text().strip()
        config = {"LOG": False, "APIKEY": KEY, "HOST": "127.0.0.1",
                  "Providers": [{"name": "p", "api_base_url": mock_url + "/v1/chat/completions",
                                 "api_key": "upstream", "models": ["m"]}],
                  "Router": {"default": "p,m"}}
        config_file = work / "config.json"
        config_file.write_text(json.dumps(config))
        ours = start_process(["ccrgen", "serve", "--config", str(config_file), "--port", "0"], work / "serve.ready")
        processes.append(ours)
        targets = {"ccrgen serve": (work / "serve.ready").read_text().strip()}
        ccr = find_ccr()
        server = None
        if ccr:
            home = work / "home"
            (home / ".claude-code-router").mkdir(parents=True)
            port = free_port()
            (home / ".claude-code-router" / "config.json").write_text(json.dumps(dict(config, PORT=port)))
            server = CcrServer(home, ccr, port=port).start()
            targets["CCR 2.0.0"] = server.url
        else:
            print("CCR 2.0.0 not found: no comparison (run .ci/run once to install it)")
        headers = {"x-api-key": KEY, "anthropic-version": "2023-06-01"}
        direct_body = {"model": "m", "max_tokens": 32, "messages": [{"role": "user", "content": "Say something short."}]}
        _, direct_loaded = asyncio.run(throughput(mock_url, "/v1/chat/completions", direct_body, {}, args.requests))
        measured = {}
        for name, url in targets.items():
            rps, loaded = asyncio.run(throughput(url, "/v1/messages", anthropic_body(False), headers, args.requests))
            rps_stream, _ = asyncio.run(throughput(url, "/v1/messages", anthropic_body(True), headers, args.requests))
            measured[name] = {"rps": rps, "rps_stream": rps_stream, "loaded": loaded}
        one_client = asyncio.run(interleaved_latencies(
            {"direct": (mock_url, "/v1/chat/completions", direct_body, {}),
             **{name: (url, "/v1/messages", anthropic_body(False), headers) for name, url in targets.items()}},
            args.latency_requests))
        direct = one_client.pop("direct")
        for name, samples in one_client.items():
            measured[name]["latency"] = samples
        if server:
            server.stop()
    finally:
        for process in processes:
            process.terminate()
            process.wait(10)

    rows = [{"name": "mock upstream direct, latency p50, 8 clients", "median_s": percentile(direct_loaded, 50)},
            {"name": "mock upstream direct, latency p50, 1 client", "median_s": percentile(direct, 50)}]
    for name, m in measured.items():
        for key, samples, baseline in (("8", m["loaded"], direct_loaded), ("1", m["latency"], direct)):
            for p in (50, 99):
                m[f"added_p{p}_{key}"] = max(percentile(samples, p) - percentile(baseline, p), 1e-6)
    ccr_m = measured.get("CCR 2.0.0")
    for name, m in measured.items():
        for key, label, unit, goal, better in (
                ("rps", "throughput, 8 clients", "req/s", ">= 2", "higher"),
                ("rps_stream", "throughput, 8 clients, streaming", "req/s", ">= 2", "higher"),
                ("added_p50_8", "added latency p50, 8 clients", "s", "<= 0.5", "lower"),
                ("added_p99_8", "added latency p99, 8 clients", "s", "<= 0.5", "lower"),
                ("added_p50_1", "added latency p50, 1 client", "s", None, "lower"),
                ("added_p99_1", "added latency p99, 1 client", "s", None, "lower")):
            row = {"name": f"{name}: {label}"}
            if unit == "s":
                row["median_s"] = m[key]
            else:
                row.update(value=round(m[key], 1), unit=unit)
            if name != "CCR 2.0.0" and ccr_m:
                ratio = m[key] / ccr_m[key]
                ok = None if goal is None else ratio >= 2 if better == "higher" else ratio <= 0.5
                row.update(ratio=round(ratio, 3), baseline="CCR 2.0.0", goal=goal or "information", ok=ok)
            rows.append(row)
    for row in rows:
        value = f"{row['median_s'] * 1000:8.2f} ms" if "median_s" in row else f"{row['value']:8.1f} {row['unit']}"
        extra = ""
        if "ratio" in row:
            extra = f"  ratio {row['ratio']:.2f} " + (f"(goal {row['goal']})" if row["ok"] is not None else "(information)")
        print(f"{row['name']:<50} {value}{extra}")
    out = HERE / "results" / "proxy.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"topic": "proxy", "machine": {"cpus": os.cpu_count()}, "results": rows},
                              indent=2) + "\n")


if __name__ == "__main__":
    main()
