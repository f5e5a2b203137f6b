"""SIGTERM and SIGHUP end ccrgen as cleanly as Ctrl-C does, and no child outlives it.

`handled()` (installed once by the CLI around every command) turns SIGINT, SIGTERM and
SIGHUP into `Interrupted`, raised in the main thread: a KeyboardInterrupt, so `finally`
blocks, context managers and asyncio's task cancellation run as they do for Ctrl-C, and
the CLI exits 128 + the signal's number (130 for Ctrl-C, 143 for SIGTERM, 129 for SIGHUP).

Two helpers keep the clean-up itself safe:
- `deferred()`: a block that a signal does not cut in half (starting a child and noting
  its pid, stopping a server and removing its temp folder); a signal that arrives inside
  is raised when the block ends.
- `run()`: `subprocess.run` for short-lived helpers (node probes) with a timeout; the
  child is killed on timeout, on a signal, or when the calling thread gives up, even when
  it runs in a worker thread that the signal does not reach.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import subprocess

HANDLED = tuple(s for s in (getattr(signal, "SIGINT", None), getattr(signal, "SIGTERM", None),
                            getattr(signal, "SIGHUP", None)) if s is not None)


class Interrupted(KeyboardInterrupt):
    """A signal asked ccrgen to stop."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


_state = threading.local()          # per thread: are we inside deferred()?
_pending: list[int] = []             # signals that arrived inside deferred(), main thread only
_children: set = set()                # subprocess.Popen objects started by run()
_children_lock = threading.Lock()


def _deferring() -> bool:
    return getattr(_state, "depth", 0) > 0


def _on_signal(signum, frame) -> None:
    _kill_children()
    if _deferring():
        _pending.append(signum)
        return
    raise Interrupted(signum)


@contextlib.contextmanager
def handled():
    """Turn SIGINT/SIGTERM/SIGHUP into `Interrupted` while the block runs (main thread only;
    elsewhere it does nothing). A signal that was ignored stays ignored (`nohup ccrgen
    serve` keeps running when the terminal closes). The previous handlers come back afterwards."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.signal(s, _on_signal) for s in HANDLED if signal.getsignal(s) is not signal.SIG_IGN}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


@contextlib.contextmanager
def deferred():
    """A block a signal does not interrupt; one that arrived meanwhile is raised at its end
    (unless an exception is already on its way out)."""
    _state.depth = getattr(_state, "depth", 0) + 1
    try:
        yield
    finally:
        _state.depth -= 1
        if not _deferring() and _pending and threading.current_thread() is threading.main_thread():
            signum = _pending.pop()
            _pending.clear()
            import sys

            if sys.exc_info()[0] is None:
                raise Interrupted(signum)


def _kill_children() -> None:
    with _children_lock:
        children = list(_children)
    for child in children:
        with contextlib.suppress(OSError):
            child.kill()


def run(command: list[str], *, timeout: float, **options) -> "subprocess.CompletedProcess":
    """`subprocess.run(command, capture_output=True, text=True, timeout=timeout, ...)`
    whose child is killed on timeout, on any exception (a signal included) and when any
    handled signal reaches ccrgen, from whichever thread it was started."""
    import subprocess  # not at the top: the CLI installs the handlers before every command

    options.setdefault("stdin", subprocess.DEVNULL)
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          **options) as child:
        with _children_lock:
            _children.add(child)
        try:
            out, err = child.communicate(timeout=timeout)
        except BaseException:
            child.kill()
            child.wait()
            raise
        finally:
            with _children_lock:
                _children.discard(child)
    return subprocess.CompletedProcess(command, child.returncode, out, err)
