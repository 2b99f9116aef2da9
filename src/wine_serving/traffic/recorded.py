"""Recorded load: every request kept with its start, latency and answer or error.

Used to show what happens to requests while something changes: notebook 08 proves a rollout
fails none of them; notebook 15 sees how a killed server's requests fail. A test counts failures.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import requests

from wine_serving.client import decode_predictions, named_columns
from wine_serving.process.ports import require_loopback
from wine_serving.traffic.shared import check_bounds, percentile_ms


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
        return percentile_ms([s.latency for s in self.samples if s.ok], percentile)

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
    check_bounds(total, concurrency, max_seconds)
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


def row_caller(url: str, rows: pd.DataFrame,
               timeout: float = 10.0) -> Callable[[requests.Session, int], float]:
    """A ``call`` for ``run_load``: request ``i`` posts row ``i`` (cycling) and returns its prediction.

    The body is the seed's format, one named input per column. ``url`` is the model's
    ``/infer`` endpoint on this machine.
    """
    require_loopback(url)
    bodies = [named_columns(rows.iloc[[i]]) for i in range(len(rows))]

    def call(session: requests.Session, i: int) -> float:
        response = session.post(url, json=bodies[i % len(bodies)], timeout=timeout)
        response.raise_for_status()
        return float(decode_predictions(response.json())[0])

    return call


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
