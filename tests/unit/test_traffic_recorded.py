"""The bounded load generator: it stops at its request count or its time limit, and records failures."""

from __future__ import annotations

import time

import pytest

from wine_serving.traffic.recorded import BackgroundLoad, run_load


def test_stops_at_the_request_count():
    seen: list[int] = []
    report = run_load(lambda _session, i: seen.append(i) or i * 2, total=50, concurrency=4, max_seconds=10)
    assert report.requests == 50 and sorted(seen) == list(range(50))
    assert sorted(s.value for s in report.samples) == [i * 2 for i in range(50)]
    assert report.failures == [] and not report.stopped_by_time and report.rps > 0


def test_stops_at_the_time_limit():
    started = time.monotonic()
    report = run_load(lambda _s, _i: time.sleep(0.05), total=10_000, concurrency=2, max_seconds=0.5)
    assert time.monotonic() - started < 3
    assert report.stopped_by_time and 0 < report.requests < 100


def test_failures_are_recorded_with_a_window():
    def flaky(_session, i):
        if 10 <= i < 20:
            raise ConnectionError(f"refused {i}")
        return i

    report = run_load(flaky, total=40, concurrency=1, max_seconds=10)
    assert [s.index for s in report.failures] == list(range(10, 20))
    assert report.failures[0].error == "ConnectionError: refused 10"
    first, recovered = report.failure_window()
    assert 0 <= first <= recovered < report.wall_seconds + 1


def test_background_load_runs_while_the_caller_acts():
    load = BackgroundLoad(lambda _s, i: time.sleep(0.01) or i, total=30, concurrency=2,
                          max_seconds=10).start()
    assert load.running
    report = load.join()
    assert report.requests == 30 and not load.running


def test_bad_bounds_are_refused():
    with pytest.raises(ValueError):
        run_load(lambda _s, _i: None, total=0, max_seconds=1)
