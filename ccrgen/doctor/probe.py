"""Read-only questions to this machine: what loads, what listens, what runs, since when.
Nothing here writes a file, sends a signal or starts a server."""

from __future__ import annotations

import json
import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path

@dataclass(frozen=True)
class Listener:
    reachable: bool
    ccr_version: str | None = None      # set when CCR answers GET / (a version of CCR's bundled
                                        # server code, 1.0.51 in CCR 2.0.0: not CCR's own, so never shown)
    pid: int | None = None
    process: str | None = None          # what the OS says is listening


def port_listener(host: str, port: int) -> Listener:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            pass
    except OSError:
        return Listener(False)
    from ccrgen.ccr.runner import get_json

    answer = get_json(f"http://{host}:{port}/", timeout=1.5)
    version = answer.get("version", "?") if isinstance(answer, dict) and answer.get("message") == "LLMs API" else None
    pid = listening_pid(port)
    return Listener(True, version, pid, process_name(pid) if pid else None)


def listening_pid(port: int) -> int | None:
    """The process listening on TCP `port` (Linux /proc; None elsewhere or when hidden)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) > 9 and fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(fields[9])
    if not inodes:
        return None
    wanted = {f"socket:[{inode}]" for inode in inodes}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            for fd in (proc / "fd").iterdir():
                if os.readlink(fd) in wanted:
                    return int(proc.name)
        except OSError:
            continue
    return None


def process_name(pid: int) -> str | None:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        return cmdline[:120] or Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return None


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return not _zombie(pid)


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False


def process_environ(pid: int) -> dict[str, str] | None:
    """The environment a process started with (Linux /proc/PID/environ), or None when it
    cannot be read (another user's process, not Linux, gone)."""
    try:
        raw = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return None
    env = {}
    for item in raw.split(b"\0"):
        name, sep, value = item.partition(b"=")
        if sep and name:
            env[name.decode(errors="replace")] = value.decode(errors="replace")
    return env


def process_start_time(pid: int) -> float | None:
    """When a process started, as a Unix time (Linux /proc)."""
    try:
        ticks = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])
        boot = next(int(line.split()[1]) for line in Path("/proc/stat").read_text().splitlines()
                    if line.startswith("btime "))
        return boot + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, StopIteration):
        return None


def post_json(url: str, body: dict, headers: dict, timeout: float) -> tuple[int | None, str, float]:
    """(HTTP status or None, short reason, seconds) of one POST."""
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"content-type": "application/json", **headers})
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:
            return resp.status, "ok", time.perf_counter() - start
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(300).decode(errors="replace"), time.perf_counter() - start
    except (TimeoutError, socket.timeout):
        return None, "timed out", time.perf_counter() - start
    except (urllib.error.URLError, OSError) as exc:
        return None, str(getattr(exc, "reason", exc)), time.perf_counter() - start
