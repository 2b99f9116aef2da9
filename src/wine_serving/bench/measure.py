"""Run the benchmark: every server at once, each load in turn, client CPU beside server CPU.

Everything is measured in one run, with the servers visited in alternating order,
because this machine is shared and noisy: the figures that matter are ratios
within a run. Every load is bounded and goes to 127.0.0.1 only.
"""

from __future__ import annotations

import statistics
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pandas as pd

from wine_serving.bench.plan import FIELDS, FULL, MODEL, QUICK, SERVERS, Plan, ServerSpec, endpoints_for
from wine_serving.client import invocations_payload, named_columns
from wine_serving.process.inspection import cpu_by_process
from wine_serving.process.managed import start_on_free_ports
from wine_serving.process.ports import free_port
from wine_serving.tracking import using_workspace_store
from wine_serving.traffic.throughput import LoadResult, encode_post, grpc_load, http_load
from wine_serving.workspace import Workspace, get_workspace

START_AT_ONCE = 6  # the quick plan starts all of its six at once
START_TIMEOUT = 180.0


def _row(spec_label: str, endpoint: str, config: str, concurrency: int, rows: int, result: LoadResult,
         server_cpu: dict[int, float], main_pid: int | None = None,
         round_rps: list[float] | None = None) -> dict[str, Any]:
    """One table row; ``server_cpu`` is CPU seconds by server process over the whole load,
    ``main_pid`` the process the benchmark started (MLServer's HTTP process; for mlflow and
    KServe with workers, a parent that mostly waits); ``round_rps`` the throughput of each
    round: ``rps`` is their median, the spread their half-range (latencies pool every round)."""
    busiest = max(server_cpu, key=server_cpu.__getitem__, default=None)
    per_round = round_rps or [result.rps]
    median = float(statistics.median(per_round))
    low, high = min(per_round), max(per_round)
    return {
        "server": spec_label, "endpoint": endpoint, "config": config, "concurrency": concurrency,
        "rows": rows, "requests": result.requests, "errors": result.errors, "rps": round(median, 1),
        "p50_ms": round(result.percentile_ms(50), 3), "p90_ms": round(result.percentile_ms(90), 3),
        "p99_ms": round(result.percentile_ms(99), 3), "client_cpu_s": round(result.client_cpu_seconds, 3),
        "server_cpu_s": round(sum(server_cpu.values()), 3),
        "busiest_process_cpu_s": 0.0 if busiest is None else round(server_cpu[busiest], 3),
        "busiest_process": "" if busiest is None else ("main" if busiest == main_pid else "child"),
        "wall_s": round(result.wall_seconds, 3),
        "rounds": len(per_round), "rps_low": round(low, 1), "rps_high": round(high, 1),
        "spread_pct": round(100 * (high - low) / 2 / median, 1) if median else 0.0,
    }


def _spent(before: dict[int, float], after: dict[int, float]) -> dict[int, float]:
    """CPU seconds each process spent between two readings (a process started in between from zero)."""
    return {pid: seconds - before.get(pid, 0.0) for pid, seconds in after.items()}


def _merge(results: list[LoadResult]) -> LoadResult:
    merged = LoadResult()
    for part in results:
        merged.requests += part.requests
        merged.errors += part.errors
        merged.wall_seconds += part.wall_seconds
        merged.client_cpu_seconds += part.client_cpu_seconds
        merged.latencies.extend(part.latencies)
    return merged


@dataclass
class _Payloads:
    """Pre-encoded requests: single rows cycling through the test set, and big requests by size."""

    frame: pd.DataFrame
    big: dict[int, pd.DataFrame]

    def http(self, url: str, endpoint: str, frame: pd.DataFrame | None = None) -> list[bytes]:
        frames = [frame] if frame is not None else [self.frame.iloc[[i]] for i in range(len(self.frame))]
        if endpoint == "invocations":
            return [encode_post(f"{url}/invocations", invocations_payload(f)) for f in frames]
        if endpoint == "v2-rest-pd":
            from mlserver.codecs import PandasCodec

            return [encode_post(f"{url}/v2/models/{MODEL}/infer",
                                PandasCodec.encode_request(f).model_dump(exclude_none=True)) for f in frames]
        return [encode_post(f"{url}/v2/models/{MODEL}/infer", named_columns(f)) for f in frames]

    def grpc(self, frame: pd.DataFrame | None = None) -> list[Any]:
        from mlserver.codecs import PandasCodec
        from mlserver.grpc.converters import ModelInferRequestConverter

        frames = [frame] if frame is not None else [self.frame.iloc[[i]] for i in range(len(self.frame))]
        return [ModelInferRequestConverter.from_types(PandasCodec.encode_request(f), model_name=MODEL,
                                                      model_version=None) for f in frames]


@contextmanager
def _running_servers(specs: list[ServerSpec], model_uri: str, ws: Workspace) -> Iterator[dict[str, Any]]:
    """Start every server at once (start-up is mostly waiting) and stop them all at the end."""
    from wine_serving.servers.floor import FloorServer
    from wine_serving.servers.kserve import KServeServer
    from wine_serving.servers.mlflow import MlflowModelServer
    from wine_serving.servers.mlserver import serve
    from wine_serving.settings import model_settings

    servers: dict[str, Any] = {}
    errors: list[BaseException] = []
    # Eleven servers loading models at once on a small machine take minutes: six at a time,
    # each with a generous start-up limit.
    starting = threading.Semaphore(START_AT_ONCE)

    def start(spec: ServerSpec) -> None:
        try:
            with starting:
                workers = int(spec.settings.get("workers", 1))
                timeout = START_TIMEOUT
                # Each is built with new free ports and started; a port taken meanwhile (the load
                # of a parallel run takes local ports too) means new ports (start_on_free_ports).
                if spec.kind == "mlflow":
                    server = start_on_free_ports(lambda: MlflowModelServer(
                        model_uri, free_port(), ws=ws, workers=workers, start_timeout=timeout))
                elif spec.kind == "kserve":
                    server = start_on_free_ports(lambda: KServeServer(
                        {MODEL: model_uri}, workers=workers, latency_logging=False, ws=ws,
                        start_timeout=timeout))
                elif spec.kind == "floor":
                    server = start_on_free_ports(lambda: FloorServer(ws=ws))
                else:
                    server = serve([model_settings(MODEL, model_uri, **spec.model)],
                                   name=f"bench-{spec.config}", ws=ws, start_timeout=timeout,
                                   **spec.settings)
                servers[spec.config] = server
        except BaseException as exc:  # re-raised below, after every thread ended
            errors.append(exc)

    # KServe with several workers kills a child that misses its 5 s health ping, and a child still
    # importing MLflow beside other starting servers misses it for ever (servers.kserve): it starts
    # alone, after the others are up and idle.
    alone = [s for s in specs if s.kind == "kserve" and int(s.settings.get("workers", 1)) > 1]
    threads = [threading.Thread(target=start, args=(spec,)) for spec in specs if spec not in alone]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for spec in alone:
            if not errors:
                start(spec)
        if errors:
            raise errors[0]
        yield servers
    finally:
        for server in servers.values():
            server.stop()


def _pyfunc_rows(model_uri: str, payloads: _Payloads, plan: Plan) -> list[dict[str, Any]]:
    """The floor: ``pyfunc.predict`` in this process, no network, no serialisation."""
    import mlflow

    model = mlflow.pyfunc.load_model(model_uri)
    rows = []
    sizes = [(1, payloads.frame.head(1), plan.latency_requests)]
    sizes += [(n, frame, plan.big_requests) for n, frame in payloads.big.items()]
    for n_rows, frame, count in sizes:
        model.predict(frame)  # warm-up
        result = LoadResult()
        cpu, begin = time.process_time(), time.perf_counter()
        for _ in range(count):
            started = time.perf_counter()
            model.predict(frame)
            result.latencies.append(time.perf_counter() - started)
        result.requests = count
        result.wall_seconds = time.perf_counter() - begin
        result.client_cpu_seconds = time.process_time() - cpu
        rows.append(_row("in-process pyfunc", "pyfunc.predict", "in-process", 1, n_rows, result, {}))
    return rows


def run(quick: bool = True, ws: Workspace | None = None, progress: bool = True, *,
        plan: Plan | None = None, configs: list[str] | None = None) -> pd.DataFrame:
    """Measure everything the plan says; returns one row per (server, endpoint, load).

    ``plan`` and ``configs`` narrow a run (tests use a tiny plan on two servers).
    """
    from tqdm import tqdm

    from wine_serving.data import load_wine_quality, split_wine_quality
    from wine_serving.registry import ensure_model

    ws = ws or get_workspace()
    plan = plan or (QUICK if quick else FULL)
    specs = [s for s in SERVERS if (s.config in configs if configs else (s.quick or not quick))]
    result = ensure_model(ws=ws)
    model_uri = result.registered_uri
    _, test_x, _, _ = split_wine_quality(load_wine_quality(ws))
    big = {n: pd.concat([test_x] * (n // len(test_x) + 1)).head(n).reset_index(drop=True)
           for n in plan.batch_rows}
    payloads = _Payloads(test_x, big)

    with using_workspace_store(ws):  # the in-process row loads a models:/ URI from this store
        rows = _pyfunc_rows(model_uri, payloads, plan)
    with _running_servers(specs, model_uri, ws) as servers:
        jobs: list[tuple[ServerSpec, str, int, int]] = []
        for spec in specs:
            for endpoint in endpoints_for(spec, plan):
                jobs += [(spec, endpoint, c, 1) for c in plan.concurrencies]
            for n_rows in plan.batch_rows:
                jobs += [(spec, endpoint, 1, n_rows) for endpoint in endpoints_for(spec, plan, n_rows)]
        collected: dict[tuple[str, str, int, int], list[tuple[LoadResult, dict[int, float]]]] = {}
        bar = tqdm(total=len(jobs) * plan.rounds, desc="bench", disable=not progress, file=sys.stderr)
        for round_index in range(plan.rounds):
            order = jobs if round_index % 2 == 0 else list(reversed(jobs))
            for spec, endpoint, concurrency, n_rows in order:
                server = servers[spec.config]
                before = cpu_by_process(server.pid)
                measured = _one_load(server, endpoint, concurrency, n_rows, payloads, plan)
                collected.setdefault((spec.config, endpoint, concurrency, n_rows), []).append(
                    (measured, _spent(before, cpu_by_process(server.pid))))
                bar.update(1)
        bar.close()
        main_pids = {config: server.pid for config, server in servers.items()}
    labels = {s.config: s.label for s in specs}
    for (config, endpoint, concurrency, n_rows), parts in collected.items():
        merged = _merge([r for r, _ in parts])
        by_process: dict[int, float] = {}
        for _, spent in parts:
            for pid, seconds in spent.items():
                by_process[pid] = by_process.get(pid, 0.0) + seconds
        rows.append(_row(labels[config], endpoint, config, concurrency, n_rows, merged, by_process,
                         main_pids[config], [r.rps for r, _ in parts]))
    return pd.DataFrame(rows, columns=list(FIELDS))


def _one_load(server: Any, endpoint: str, concurrency: int, n_rows: int, payloads: _Payloads,
              plan: Plan) -> LoadResult:
    big = n_rows > 1
    total = plan.big_requests if big else (plan.latency_requests if concurrency == 1
                                           else plan.throughput_requests)
    seconds = plan.throughput_seconds * (3 if big else 1)
    frame = payloads.big[n_rows] if big else None
    if endpoint == "v2-grpc":
        messages = payloads.grpc(frame)
        grpc_load(server.grpc_target, messages, total=min(20, total), concurrency=concurrency)  # warm-up
        return grpc_load(server.grpc_target, messages, total=total, concurrency=concurrency,
                         max_seconds=seconds)
    url = server.url
    requests_ = payloads.http(url, endpoint, frame)
    target = f"{url}/invocations" if endpoint == "invocations" else f"{url}/v2/models/{MODEL}/infer"
    http_load(target, requests_, total=min(20, total), concurrency=concurrency)  # warm-up
    return http_load(target, requests_, total=total, concurrency=concurrency, max_seconds=seconds)
