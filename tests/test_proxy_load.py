"""Load on loopback: 2,000 requests from 32 concurrent clients, half of them streaming,
through the proxy to the mock upstream. Every answer must be right, and afterwards nothing
may be left open: no request in flight, no client or upstream connection in use, no task."""

from __future__ import annotations

import asyncio
import json
import time

import aiohttp
import pytest

from ccrgen.spec import loader
from ccrgen.proxy.server import Proxy
from test_proxy import KEY, base_config

REQUESTS, CLIENTS = 2000, 32


async def hammer(url: str) -> list[str]:
    problems: list[str] = []
    queue = iter(range(REQUESTS))

    async def client(session):
        for number in queue:
            stream = number % 2 == 1
            body = {"model": "claude-sonnet-4-5", "max_tokens": 16, "stream": stream,
                    "messages": [{"role": "user", "content": f"request {number}"}]}
            async with session.post(url + "/v1/messages", json=body, headers={"x-api-key": KEY}) as resp:
                raw = await resp.read()
            if resp.status != 200:
                problems.append(f"{number}: HTTP {resp.status} {raw[:200]!r}")
            elif stream and not raw.rstrip().endswith(b'data: {"type":"message_stop"}'):
                problems.append(f"{number}: stream did not end with message_stop")
            elif not stream and json.loads(raw)["content"][0]["text"] != "mock answer from main":
                problems.append(f"{number}: wrong answer {raw[:200]!r}")

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=CLIENTS)) as session:
        await asyncio.gather(*(client(session) for _ in range(CLIENTS)))
    return problems


@pytest.mark.slow
def test_2000_requests_at_32_clients_leave_nothing_open(tmp_path, mock_upstream):
    path = tmp_path / "config.json"
    path.write_text(json.dumps(base_config(mock_upstream.chat_url)))
    proxy = Proxy.start_in_thread(loader.load(path), port=0)
    try:
        tasks_before = proxy.task_count()
        started = time.monotonic()
        problems = asyncio.run(hammer(proxy.url))
        elapsed = time.monotonic() - started
        assert problems == [], problems[:5]
        assert len(mock_upstream.requests) == REQUESTS
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            stats = proxy.call(proxy.server.stats)
            if stats["client_connections"] == 0 and proxy.task_count() <= tasks_before:
                break
            time.sleep(0.05)
        assert stats["in_flight"] == 0 and stats["served"] == REQUESTS
        assert stats["client_connections"] == 0 and stats["upstream_busy"] == 0, stats
        assert stats["upstream_idle"] <= CLIENTS, stats      # a bounded keep-alive pool, not one per request
        assert proxy.task_count() <= tasks_before
        print(f"\n{REQUESTS} requests in {elapsed:.1f} s ({REQUESTS / elapsed:.0f} req/s)")
    finally:
        proxy.stop()
