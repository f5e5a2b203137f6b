"""Run an async server (anything with `start()` and `stop()` coroutines) on its own event
loop in a daemon thread, for synchronous callers: tests, `smoke`, the benchmarks."""

from __future__ import annotations

import asyncio
import threading


class BackgroundServer:
    def __init__(self, server, name: str = "server", timeout: float = 30):
        self.server = server
        self.loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise RuntimeError(f"the {name} did not start within {timeout:.0f} s")
        if self._error:
            raise self._error

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self.server.start())
        except BaseException as exc:  # handed to the starting thread
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        self.loop.run_forever()
        self.loop.run_until_complete(self.server.stop())
        self.loop.close()

    def call(self, function, *args, timeout: float = 30):
        """Run a plain function on the server's loop and return its result."""
        async def run():
            return function(*args)
        return asyncio.run_coroutine_threadsafe(run(), self.loop).result(timeout)

    def task_count(self) -> int:
        return self.call(lambda: len([t for t in asyncio.all_tasks(self.loop) if not t.done()]))

    def stop(self) -> None:
        if self._thread.is_alive():
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(15)

    def __getattr__(self, name):  # url, requests, script()... come from the server
        return getattr(self.server, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
