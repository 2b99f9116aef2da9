"""How the benchmark turns CPU readings into a row, without a server."""

from __future__ import annotations

import os
import time

from wine_serving.bench.measure import _row, _spent
from wine_serving.process.inspection import cpu_by_process
from wine_serving.traffic.throughput import LoadResult


def test_spent_counts_each_process_and_a_new_one_from_zero():
    before = {10: 1.0, 11: 2.0}
    after = {10: 1.5, 11: 2.25, 12: 0.5}  # 12 started between the readings
    assert _spent(before, after) == {10: 0.5, 11: 0.25, 12: 0.5}


def test_a_row_names_the_busiest_process_and_whether_it_is_the_main_one():
    result = LoadResult(requests=100, errors=0, wall_seconds=2.0, client_cpu_seconds=0.5,
                        latencies=[0.01] * 100)
    row = _row("s", "v2-rest", "c", 32, 1, result, {10: 1.8, 11: 0.4, 12: 0.3}, main_pid=10)
    assert row["server_cpu_s"] == 2.5 and row["busiest_process_cpu_s"] == 1.8
    assert row["busiest_process"] == "main" and row["wall_s"] == 2.0
    row = _row("s", "invocations", "c", 32, 1, result, {10: 0.1, 11: 0.9}, main_pid=10)
    assert row["busiest_process"] == "child" and row["busiest_process_cpu_s"] == 0.9
    empty = _row("in-process pyfunc", "pyfunc.predict", "in-process", 1, 1, result, {})
    assert empty["server_cpu_s"] == 0 and empty["busiest_process"] == ""


def test_cpu_by_process_names_this_process_and_its_cpu():
    started = time.process_time()
    sum(i * i for i in range(200_000))  # spend some CPU here
    by_process = cpu_by_process(os.getpid())
    assert os.getpid() in by_process and all(seconds >= 0 for seconds in by_process.values())
    assert by_process[os.getpid()] >= time.process_time() - started > 0


def _rounds_row(per_round: list[float], config: str = "c") -> dict:
    result = LoadResult(requests=300, errors=0, wall_seconds=3.0, client_cpu_seconds=0.1,
                        latencies=[0.01] * 300)
    return _row("s", "v2-rest", config, 32, 1, result, {10: 1.0}, main_pid=10, round_rps=per_round)


def test_rps_is_the_median_of_the_rounds_and_the_spread_their_half_range():
    row = _rounds_row([120.0, 80.0, 100.0])
    assert (row["rps"], row["rps_low"], row["rps_high"], row["rounds"]) == (100.0, 80.0, 120.0, 3)
    assert row["spread_pct"] == 20.0
    single = _row("s", "v2-rest", "c", 1, 1, LoadResult(requests=10, wall_seconds=1.0, latencies=[0.1] * 10),
                  {10: 0.1})
    assert single["rounds"] == 1 and single["rps"] == single["rps_low"] == single["rps_high"] == 10.0
    assert single["spread_pct"] == 0.0


def test_a_spread_over_the_limit_is_flagged_in_the_table_and_the_report():
    """MLServer batching measured 400, 374, 199, 148 req/s in one run: that is the case this is for."""
    import pandas as pd

    from wine_serving.bench.report import SPREAD_LIMIT_PCT, markdown_table, unsteady

    table = pd.DataFrame([_rounds_row([400.0, 374.0, 199.0], "noisy"),
                          _rounds_row([100.0, 104.0, 98.0], "calm")])
    assert list(unsteady(table).config) == ["noisy"]
    assert table.set_index("config").spread_pct["noisy"] > SPREAD_LIMIT_PCT
    text = markdown_table(table)
    assert "noisy/v2-rest/c=32/rows=1 ±" in text and "calm/v2-rest" not in text.split("Spread over")[1]
