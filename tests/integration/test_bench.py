"""The benchmark's parts on a tiny plan: real servers, real load, reports that can be read back."""

from __future__ import annotations

import json

import pytest

from wine_serving.bench import measure, plan, report

pytestmark = pytest.mark.integration

TINY = plan.Plan(rounds=2, latency_requests=20, throughput_requests=60, throughput_seconds=2.0,
                  concurrencies=(1, 4), big_requests=3, endpoints=("v2-rest", "v2-grpc"),
                  big_endpoints=("v2-rest",), batch_rows=(plan.BIG_ROWS, 2 * plan.BIG_ROWS))
CONFIGS = ["mlflow", "batching", "kserve", "floor"]


@pytest.fixture(scope="module")
def tiny_table(trained):
    ws, _ = trained
    return ws, measure.run(ws=ws, progress=False, plan=TINY, configs=CONFIGS)


def test_every_load_is_measured_without_errors(tiny_table):
    _, table = tiny_table
    assert list(table.columns) == list(plan.FIELDS)
    failed = table[(table.errors > 0) | ~(table.rps > 0)]
    assert failed.empty, failed[["config", "endpoint", "concurrency", "rows", "errors", "server_cpu_s"]]
    assert set(table.config) == {"in-process", *CONFIGS}

    def loads(config):
        part = table[table.config == config]
        return set(zip(part.endpoint, part.concurrency, part.rows))

    singles = {("v2-rest", 1, 1), ("v2-rest", 4, 1), ("v2-grpc", 1, 1), ("v2-grpc", 4, 1)}
    big = {("v2-rest", 1, 1000), ("v2-rest", 1, 2000)}
    assert loads("batching") == loads("kserve") == singles | big
    assert loads("mlflow") == {("invocations", 1, 1), ("invocations", 4, 1), ("invocations", 1, 1000),
                               ("invocations", 1, 2000)}
    assert loads("floor") == {("v2-rest", 1, 1), ("v2-rest", 4, 1)}
    # two rounds, alternating order: every load ran twice
    single = report.pick(table, "batching", "v2-rest", 4)
    assert single.requests == 2 * TINY.throughput_requests
    # The floor does almost nothing: 40 single-row requests can cost it less than psutil's 10 ms tick.
    assert (table[~table.config.isin(["in-process", "floor"])].server_cpu_s > 0).all()
    assert table[table.config == "floor"].server_cpu_s.notna().all()  # measured, possibly 0
    assert (table.p50_ms <= table.p90_ms).all() and (table.p90_ms <= table.p99_ms).all()
    served = table[table.config != "in-process"]
    assert (served.busiest_process_cpu_s <= served.server_cpu_s).all()
    # rps is the median of the two rounds; the pooled rate lies within their range
    assert (served.rounds == 2).all()
    assert ((served.rps_low <= served.rps) & (served.rps <= served.rps_high)).all()
    pooled = served.requests / served.wall_s
    assert ((pooled >= 0.9 * served.rps_low) & (pooled <= 1.1 * served.rps_high)).all()
    # MLServer's busiest process is a real process of the server: its HTTP process or a worker
    assert set(table[table.config == "batching"].busiest_process) <= {"main", "child"}


def test_the_big_request_is_measured_in_every_round(tiny_table):
    """Its figures are read by notebook 13; which is faster is the benchmark's finding, not a test's."""
    _, table = tiny_table
    big = report.pick(table, "batching", "v2-rest", 1, plan.BIG_ROWS)
    assert big.requests == TINY.rounds * TINY.big_requests and big.errors == 0


def test_reports_are_written_and_readable(tiny_table, tmp_path):
    _, table = tiny_table
    table = table.copy()
    # ratios() needs a c=32 row; relabel the c=4 rows of this tiny run
    table.loc[table.concurrency == 4, "concurrency"] = 32
    paths = report.write_reports(table, tmp_path, quick=True)
    document = json.loads(paths["json"].read_text())
    assert document["mode"] == "quick" and len(document["rows"]) == len(table)
    assert set(document["rows"][0]) == set(plan.FIELDS)
    assert document["spread_limit_pct"] == report.SPREAD_LIMIT_PCT
    keys = ("config", "endpoint", "concurrency", "rows", "spread_pct")
    assert document["unsteady"] == [{k: r[k] for k in keys} for r in document["rows"]
                                    if r["rounds"] > 1 and r["spread_pct"] > report.SPREAD_LIMIT_PCT]
    assert document["ratios"]["throughput_c32_vs_mlflow"] > 0
    versus = ("best_mlserver_vs_mlflow_c32", "best_mlserver_vs_kserve_c32", "best_kserve_vs_mlflow_c32")
    fractions = tuple(f"{kind}_fraction_of_floor_c32" for kind in ("mlserver", "kserve", "mlflow"))
    for key in versus + fractions:
        assert document["ratios"][key] > 0, key
    peers = {row["server"]: row for row in document["best_against_best_c32"]}
    assert set(peers) == set(report.FAMILIES.values())
    assert peers[report.FAMILIES["floor"]]["fraction_of_floor"] == 1.0
    assert all(row["p99_ms"] > 0 and row["server_cpu_ms_per_request"] == row["server_cpu_ms_per_request"]
               for row in peers.values())  # a number, not NaN (the floor's can be 0)
    assert all(row["server_cpu_ms_per_request"] > 0 for name, row in peers.items() if "floor" not in name)
    assert all(row["server_cores"] >= row["busiest_process_cores"] > 0
               for name, row in peers.items() if "floor" not in name)
    scoring = {row["server"]: row for row in document["batch_scoring"]}
    assert all(row["rows/s, 2,000-row requests"] > 0 for row in scoring.values())
    assert paths["best"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert paths["markdown"].read_text().startswith("| server | endpoint |")
    assert paths["plot"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_pick_names_what_is_missing(tiny_table):
    _, table = tiny_table
    with pytest.raises(KeyError, match="workers-2"):
        report.pick(table, "workers-2", "v2-rest")
