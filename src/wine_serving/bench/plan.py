"""What the benchmark measures: the servers under test and how much load each gets.

``SERVERS`` are the configurations: MLServer with several settings, MLflow's
``mlflow models serve`` with one and two workers, KServe's ``ModelServer`` with one and
two workers, and the floor, a trivial ASGI app under uvicorn (``floor``). ``QUICK``
and ``FULL`` are the plans. Notebook 13 reads the figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from wine_serving.settings import RECOMMENDED_MODEL, RECOMMENDED_SERVER, STRICT_RUNTIME

MODEL = "wine"
RECOMMENDED = "batching"
BIG_ROWS = 1000
# Batch scoring: rows per second for requests this large (the full plan adds 10,000 rows).
BATCH_ROWS = (BIG_ROWS, 10_000)
# What each kind of server is compared on at concurrency 32: its own single-row protocol.
PRIMARY_ENDPOINT = {"mlserver": "v2-rest", "kserve": "v2-rest", "mlflow": "invocations", "floor": "v2-rest"}
FIELDS = ("server", "endpoint", "config", "concurrency", "rows", "requests", "errors", "rps",
          "p50_ms", "p90_ms", "p99_ms", "client_cpu_s", "server_cpu_s", "busiest_process_cpu_s",
          "busiest_process", "wall_s", "rounds", "rps_low", "rps_high", "spread_pct")
# ``rps`` is the median over the rounds; ``spread_pct`` half the range (low to high) as a share
# of it (``report.SPREAD_LIMIT_PCT`` flags the wide ones).


@dataclass(frozen=True)
class ServerSpec:
    """One server under test; ``settings`` go to settings.json, ``model`` to model-settings.json."""

    config: str
    label: str
    kind: str = "mlserver"  # or "mlflow", "kserve", "floor"
    settings: dict[str, Any] = field(default_factory=dict)
    model: dict[str, Any] = field(default_factory=dict)
    quick: bool = False
    # Variants measured on V2 REST only (keeps `make bench` shorter); the configurations
    # notebook 13 compares across protocols get every endpoint of the plan.
    every_endpoint: bool = True


SERVERS = (
    ServerSpec("mlflow", "mlflow models serve", kind="mlflow", quick=True),
    ServerSpec("mlflow-2", "mlflow models serve, 2 workers", kind="mlflow", settings={"workers": 2}),
    # KServe's ModelServer, per-request latency log lines off; uvicorn workers as KServe offers.
    ServerSpec("kserve", "KServe ModelServer, 1 worker", kind="kserve", quick=True),
    ServerSpec("kserve-2", "KServe ModelServer, 2 workers", kind="kserve", settings={"workers": 2}),
    ServerSpec("floor", "uvicorn + trivial ASGI app (the floor)", kind="floor", quick=True),
    ServerSpec("default", "MLServer, defaults", quick=True),
    ServerSpec("workers-0", "MLServer, parallel_workers 0", settings={"parallel_workers": 0}, quick=True),
    ServerSpec("workers-2", "MLServer, parallel_workers 2", settings={"parallel_workers": 2},
               every_endpoint=False),
    ServerSpec(RECOMMENDED, "MLServer, batching 16 / 2 ms, 2 workers, debug off",
               settings=RECOMMENDED_SERVER, model=RECOMMENDED_MODEL, quick=True),
    # The recommended settings with the server-side request check (strict_runtime): its cost.
    ServerSpec("strict", "MLServer, recommended settings, StrictMLflowRuntime",
               settings=RECOMMENDED_SERVER,
               model={**RECOMMENDED_MODEL, "implementation": STRICT_RUNTIME}, every_endpoint=False),
    ServerSpec("batching-lean", "MLServer, batching, debug/gzip/metrics off",
               settings={**RECOMMENDED_SERVER, "gzip_enabled": False, "metrics_endpoint": None},
               model=RECOMMENDED_MODEL, every_endpoint=False),
)


@dataclass(frozen=True)
class Plan:
    """How much load each measurement gets: the quick plan must finish in under 60 s."""

    rounds: int
    latency_requests: int
    throughput_requests: int
    throughput_seconds: float
    concurrencies: tuple[int, ...]
    big_requests: int
    endpoints: tuple[str, ...]  # single-row loads at each concurrency
    big_endpoints: tuple[str, ...]  # one 1,000-row request at a time
    batch_rows: tuple[int, ...] = (BIG_ROWS,)  # sizes of the one-at-a-time big requests


ALL_ENDPOINTS = ("v2-rest", "v2-rest-pd", "v2-grpc", "invocations")
QUICK = Plan(rounds=1, latency_requests=60, throughput_requests=2000, throughput_seconds=1.0,
             concurrencies=(1, 32), big_requests=10, endpoints=("v2-rest",),
             big_endpoints=("v2-rest", "v2-grpc"))
# Three rounds, interleaved (the order reverses each round): a median and a spread per load.
FULL = Plan(rounds=3, latency_requests=300, throughput_requests=4000, throughput_seconds=3.0,
            concurrencies=(1, 8, 32), big_requests=30, endpoints=ALL_ENDPOINTS, big_endpoints=ALL_ENDPOINTS,
            batch_rows=BATCH_ROWS)


def endpoints_for(spec: ServerSpec, plan: Plan, rows: int = 1) -> tuple[str, ...]:
    """Which endpoints a server is measured on: MLServer on all the plan names (its variants on
    V2 REST only), KServe on V2 REST and gRPC, mlflow on /invocations, the floor on single rows
    only; requests larger than 1,000 rows only on each server's primary endpoint."""
    wanted = plan.endpoints if rows == 1 else plan.big_endpoints
    if spec.kind == "floor":
        return ("v2-rest",) if rows == 1 else ()
    if spec.kind == "mlflow":
        return ("invocations",)
    if rows > BIG_ROWS or not spec.every_endpoint:
        return (PRIMARY_ENDPOINT[spec.kind],)
    if spec.kind == "kserve":
        return tuple(e for e in wanted if e in ("v2-rest", "v2-grpc"))
    return wanted
