"""A real CCR 3.x started with `ccr start` (it daemonizes) in a HOME of the caller's choosing,
with its management service on `web_port` (CCR_WEB_PORT); stopped with `ccr stop`, then by
signal to the pids it recorded. Only start and stop are ever run: any other 3.x command loads
the config and rewrites ~/.claude/settings.json. For tests and benchmarks."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

from ccrgen.ccr import facts
from ccrgen.errors import ExternalError
from ccrgen.targets import ccr3_rpc


class Ccr3Server:
    def __init__(self, home: Path, command: list[str], *, web_port: int, env: dict | None = None) -> None:
        self.home = Path(home)
        self.command = command
        self.web_port = web_port
        self.env = {**os.environ, **(env or {}), "HOME": str(self.home), "CCR_WEB_PORT": str(web_port)}
        for name in ("CCR_WEB_AUTH_TOKEN", "CLAUDE_CODE_ROUTER_CONFIG"):
            self.env.pop(name, None)
        self.output_path = self.home / "ccr3-start.out"
        self._pids: set[int] = set()

    @property
    def ccr_dir(self) -> Path:
        return self.home / facts.CONFIG_DIR_NAME

    def start(self, timeout: float = 60) -> "Ccr3Server":
        self.home.mkdir(parents=True, exist_ok=True)
        with open(self.output_path, "ab") as out:
            try:
                subprocess.run(self.command + ["start", "--no-open"], env=self.env, stdout=out,
                               stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=str(self.home),
                               timeout=timeout, start_new_session=True)
            except subprocess.TimeoutExpired:
                pass
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            service = ccr3_rpc.running(self.ccr_dir)
            if service is not None:
                self._remember(service)
                status = service.call("getGatewayStatus", timeout=5) or {}
                if status.get("state") == "running":
                    return self
            time.sleep(0.1)
        output = self.output_path.read_text(errors="replace")[-2000:]
        self.stop()
        raise ExternalError("CCR 3.x did not come up", hint=f"its output:\n{output}")

    def _remember(self, service) -> None:
        if service.pid:
            self._pids.add(service.pid)
        try:
            status = service.call("getGatewayStatus", timeout=5) or {}
        except ExternalError:
            return
        if isinstance(status.get("pid"), int):
            self._pids.add(status["pid"])

    def stop(self) -> None:
        try:
            subprocess.run(self.command + ["stop"], env=self.env, capture_output=True, timeout=30,
                           stdin=subprocess.DEVNULL, cwd=str(self.home))
        except (OSError, subprocess.TimeoutExpired):
            pass
        for pid in self._pids:   # only the processes this server started
            for sig in (signal.SIGTERM, signal.SIGKILL):
                if not _alive(pid):
                    break
                try:
                    os.kill(pid, sig)
                except (ProcessLookupError, PermissionError):
                    break
                time.sleep(0.5)
        self._pids.clear()

    def service_record(self) -> dict:
        try:
            return json.loads((self.ccr_dir / ccr3_rpc.SERVICE_FILE).read_text())
        except (OSError, ValueError):
            return {}

    def __enter__(self) -> "Ccr3Server":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def _alive(pid: int) -> bool:
    from ccrgen.doctor.probe import pid_alive

    return pid_alive(pid)
