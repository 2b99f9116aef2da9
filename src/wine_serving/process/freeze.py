"""Pausing a process and seeing where its threads wait, so a lesson can kill a worker mid-write safely.

MLServer 1.7.1's inference workers send every answer through one shared ``multiprocessing.Queue``;
the writing thread holds the queue's cross-process write lock while it writes (CPython's
``multiprocessing/queues.py``, ``Queue._feed``). An answer larger than a pipe's buffer (64 KiB on
Linux) is written only as fast as the main process reads it, so pausing the main process holds a
worker inside that write. ``paused`` makes sure the pause ends even when the cell fails;
``wait_blocked_writer`` says which process is stuck writing to a pipe (``/proc/<pid>/task/*/wchan``,
Linux only).
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil


@contextmanager
def paused(pid: int) -> Iterator[int]:
    """SIGSTOP ``pid`` for the block; SIGCONT on the way out, also when the block raises."""
    os.kill(pid, signal.SIGSTOP)
    try:
        yield pid
    finally:
        try:
            os.kill(pid, signal.SIGCONT)
        except ProcessLookupError:
            pass


def _wait_channels(pid: int) -> list[str]:
    """What each thread of ``pid`` waits on in the kernel (``wchan``); empty if it is gone."""
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return []
    found = []
    for task in tasks:
        try:
            found.append((task / "wchan").read_text().strip())
        except OSError:
            continue
    return found


def writing_to_pipe(pid: int) -> bool:
    """True while a thread of ``pid`` sleeps in a pipe write (``pipe_write``/``anon_pipe_write``)."""
    return any("pipe_write" in channel for channel in _wait_channels(pid))


def wait_blocked_writer(pids: Iterable[int], timeout: float, interval: float = 0.02) -> int | None:
    """The first of ``pids`` found blocked writing to a pipe within ``timeout`` seconds, else None."""
    pids = list(pids)
    return _first(lambda: [pid for pid in pids if writing_to_pipe(pid)], timeout, interval)


def chars_read(pids: Iterable[int]) -> dict[int, int]:
    """Bytes each of ``pids`` has read so far (``/proc/<pid>/io`` ``rchar``; pipes included)."""
    found = {}
    for pid in pids:
        try:
            found[pid] = psutil.Process(pid).io_counters().read_chars
        except psutil.Error:
            continue
    return found


def wait_reader(before: dict[int, int], nbytes: int, timeout: float, interval: float = 0.001) -> int | None:
    """The first process of ``before`` that has read ``nbytes`` more than it had, within ``timeout`` s.

    An inference worker reads a whole request from its pipe before it starts on it, so "read
    the request's size" means "has the request and is computing its answer".
    """
    return _first(lambda: [pid for pid, now in chars_read(before).items() if now - before[pid] >= nbytes],
                  timeout, interval)


def _first(found: Callable[[], list[int]], timeout: float, interval: float) -> int | None:
    """Ask ``found`` every ``interval`` s until it names a process (the first one) or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while True:
        pids = found()
        if pids:
            return pids[0]
        if time.monotonic() > deadline:
            return None
        time.sleep(interval)
