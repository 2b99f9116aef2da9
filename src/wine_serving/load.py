"""Bounded background load: a fixed number of requests, a time limit, loopback only.

Used to prove that something (a rollout, a killed worker) did not fail requests:
every request is recorded with its start time, latency, result or error, so a
notebook can show when answers changed and a test can count failures.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

import numpy as np
import requests

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


def require_loopback(url: str) -> None:
    """Load is only ever sent to this machine; refuse anything else before sending."""
    host = urlparse(url).hostname
    if host not in LOOPBACK_HOSTS:
        raise ValueError(f"Refusing to send load to {host!r}: only 127.0.0.1 is allowed.")


@dataclass(frozen=True)
class Sample:
    index: int
    started: float  # seconds since the load began
    latency: float  # seconds
    value: Any = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class LoadReport:
    samples: list[Sample] = field(default_factory=list)
    wall_seconds: float = 0.0
    client_cpu_seconds: float = 0.0
    stopped_by_time: bool = False
    began_at: float = 0.0  # time.perf_counter() when the load began: Sample.started counts from here

    @property
    def requests(self) -> int:
        return len(self.samples)

    @property
    def failures(self) -> list[Sample]:
        return [s for s in self.samples if not s.ok]

    @property
    def rps(self) -> float:
        return self.requests / self.wall_seconds if self.wall_seconds else 0.0

    def latency_ms(self, percentile: float) -> float:
        ok = [s.latency for s in self.samples if s.ok]
        return float(np.percentile(ok, percentile) * 1000) if ok else float("nan")

    def failure_window(self) -> tuple[float, float] | None:
        """From the first failed request's start to the end of the first success sent after the last failure.

        The second value is ``inf`` when no request succeeded after the last failure.
        """
        failed = self.failures
        if not failed:
            return None
        first = min(s.started for s in failed)
        last = max(s.started for s in failed)
        after = [s.started + s.latency for s in self.samples if s.ok and s.started > last]
        return first, (min(after) if after else float("inf"))

    def ordered(self) -> list[Sample]:
        return sorted(self.samples, key=lambda s: s.started)


def run_load(call: Callable[[requests.Session, int], Any], *, total: int, concurrency: int = 1,
             max_seconds: float = 30.0) -> LoadReport:
    """Run ``call(session, i)`` for i in 0..total-1 on ``concurrency`` threads.

    Stops at ``total`` requests or after ``max_seconds``, whichever comes first. Each
    thread has its own ``requests.Session`` (keep-alive, like a real client). ``call``
    must set a timeout on every request so that a dead server cannot hang the load.
    """
    if total < 1 or concurrency < 1 or max_seconds <= 0:
        raise ValueError("total, concurrency and max_seconds must be positive.")
    counter = itertools.count()
    lock = threading.Lock()
    report = LoadReport()
    begin = time.perf_counter()
    report.began_at = begin
    deadline = begin + max_seconds
    cpu_begin = time.process_time()

    def worker() -> None:
        with requests.Session() as session:
            while True:
                index = next(counter)
                if index >= total:
                    return
                started = time.perf_counter()
                if started > deadline:
                    report.stopped_by_time = True
                    return
                try:
                    value, error = call(session, index), None
                except Exception as exc:  # recorded, not raised: the load must go on
                    value, error = None, f"{type(exc).__name__}: {exc}"
                sample = Sample(index, started - begin, time.perf_counter() - started, value, error)
                with lock:
                    report.samples.append(sample)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max_seconds + 60)
    report.wall_seconds = time.perf_counter() - begin
    report.client_cpu_seconds = time.process_time() - cpu_begin
    return report


class BackgroundLoad:
    """``run_load`` on a background thread, so a notebook can act while it runs."""

    def __init__(self, call: Callable[[requests.Session, int], Any], *, total: int,
                 concurrency: int = 1, max_seconds: float = 30.0) -> None:
        self._args = (call,)
        self._kwargs = {"total": total, "concurrency": concurrency, "max_seconds": max_seconds}
        self.report: LoadReport | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.started = threading.Event()

    def _run(self) -> None:
        self.started.set()
        self.report = run_load(*self._args, **self._kwargs)

    def start(self) -> BackgroundLoad:
        self._thread.start()
        self.started.wait()
        return self

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def join(self) -> LoadReport:
        self._thread.join(float(self._kwargs["max_seconds"]) + 90)
        if self.report is None:
            raise TimeoutError("The background load did not finish in time.")
        return self.report
