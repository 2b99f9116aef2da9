"""Benchmark: MLServer configurations against ``mlflow models serve`` and in-process pyfunc.

Run ``python -m wine_serving.bench`` (or ``make bench``); ``--quick`` is the short
version the notebook and the tests use. Everything is measured in one run, with
the servers visited in alternating order, because this machine is shared and noisy:
the figures that matter are ratios within a run, not absolute numbers.

Every load is bounded in requests and seconds and goes to 127.0.0.1 only. The
client's CPU time is reported beside the server's, to show the client is not the
bottleneck.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import psutil

from wine_serving.client import invocations_payload, named_columns
from wine_serving.loadgen import LoadResult, encode_post, grpc_load, http_load
from wine_serving.settings import RECOMMENDED_MODEL, RECOMMENDED_SERVER
from wine_serving.workspace import Workspace, get_workspace

MODEL = "wine"
RECOMMENDED = "batching"
BIG_ROWS = 1000
FIELDS = ("server", "endpoint", "config", "concurrency", "rows", "requests", "errors", "rps",
          "p50_ms", "p90_ms", "p99_ms", "client_cpu_s", "server_cpu_s")


@dataclass(frozen=True)
class ServerSpec:
    """One server under test; ``settings`` go to settings.json, ``model`` to model-settings.json."""

    config: str
    label: str
    kind: str = "mlserver"  # or "mlflow"
    settings: dict[str, Any] = field(default_factory=dict)
    model: dict[str, Any] = field(default_factory=dict)
    quick: bool = False


SERVERS = (
    ServerSpec("mlflow", "mlflow models serve", kind="mlflow", quick=True),
    ServerSpec("default", "MLServer, defaults", quick=True),
    ServerSpec("workers-0", "MLServer, parallel_workers 0", settings={"parallel_workers": 0}, quick=True),
    ServerSpec("workers-2", "MLServer, parallel_workers 2", settings={"parallel_workers": 2}),
    ServerSpec(RECOMMENDED, "MLServer, batching 16 / 2 ms, 2 workers, debug off",
               settings=RECOMMENDED_SERVER, model=RECOMMENDED_MODEL, quick=True),
    ServerSpec("batching-lean", "MLServer, batching, debug/gzip/metrics off",
               settings={**RECOMMENDED_SERVER, "gzip_enabled": False, "metrics_endpoint": None},
               model=RECOMMENDED_MODEL),
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


ALL_ENDPOINTS = ("v2-rest", "v2-rest-pd", "v2-grpc", "invocations")
QUICK = Plan(rounds=1, latency_requests=100, throughput_requests=2000, throughput_seconds=2.0,
             concurrencies=(1, 32), big_requests=10, endpoints=("v2-rest",),
             big_endpoints=("v2-rest", "v2-grpc"))
FULL = Plan(rounds=2, latency_requests=400, throughput_requests=6000, throughput_seconds=4.0,
            concurrencies=(1, 8, 32), big_requests=40, endpoints=ALL_ENDPOINTS, big_endpoints=ALL_ENDPOINTS)


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and all its children (MLServer's inference workers)."""
    try:
        root = psutil.Process(pid)
        total = 0.0
        for proc in (root, *root.children(recursive=True)):
            times = proc.cpu_times()
            total += times.user + times.system
        return total
    except psutil.Error:
        return float("nan")


def _row(spec_label: str, endpoint: str, config: str, concurrency: int, rows: int, result: LoadResult,
         server_cpu: float) -> dict[str, Any]:
    return {
        "server": spec_label, "endpoint": endpoint, "config": config, "concurrency": concurrency,
        "rows": rows, "requests": result.requests, "errors": result.errors, "rps": round(result.rps, 1),
        "p50_ms": round(result.percentile_ms(50), 3), "p90_ms": round(result.percentile_ms(90), 3),
        "p99_ms": round(result.percentile_ms(99), 3), "client_cpu_s": round(result.client_cpu_seconds, 3),
        "server_cpu_s": round(server_cpu, 3),
    }


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
class Payloads:
    """Pre-encoded requests: single rows cycling through the test set, and one big request."""

    frame: pd.DataFrame
    big: pd.DataFrame

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
def running_servers(specs: list[ServerSpec], model_uri: str, ws: Workspace) -> Iterator[dict[str, Any]]:
    """Start every server at once (start-up is mostly waiting) and stop them all at the end."""
    from wine_serving.mlflow_servers import MlflowModelServer
    from wine_serving.server import free_port, serve
    from wine_serving.settings import model_settings

    servers: dict[str, Any] = {}
    errors: list[BaseException] = []

    def start(spec: ServerSpec) -> None:
        try:
            if spec.kind == "mlflow":
                servers[spec.config] = MlflowModelServer(model_uri, free_port(), ws=ws).start()
            else:
                servers[spec.config] = serve([model_settings(MODEL, model_uri, **spec.model)],
                                             name=f"bench-{spec.config}", ws=ws, **spec.settings)
        except BaseException as exc:  # re-raised below, after every thread ended
            errors.append(exc)

    threads = [threading.Thread(target=start, args=(spec,)) for spec in specs]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            raise errors[0]
        yield servers
    finally:
        for server in servers.values():
            server.stop()


def _pyfunc_rows(model_uri: str, payloads: Payloads, plan: Plan) -> list[dict[str, Any]]:
    """The floor: ``pyfunc.predict`` in this process, no network, no serialisation."""
    import mlflow

    model = mlflow.pyfunc.load_model(model_uri)
    rows = []
    for n_rows, frame, count in ((1, payloads.frame.head(1), plan.latency_requests),
                                 (BIG_ROWS, payloads.big, plan.big_requests)):
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
        rows.append(_row("in-process pyfunc", "pyfunc.predict", "in-process", 1, n_rows, result, 0.0))
    return rows


def run(quick: bool = True, ws: Workspace | None = None, progress: bool = True, *,
        plan: Plan | None = None, configs: list[str] | None = None) -> pd.DataFrame:
    """Measure everything the plan says; returns one row per (server, endpoint, load).

    ``plan`` and ``configs`` narrow a run (tests use a tiny plan on two servers).
    """
    from tqdm import tqdm

    from wine_serving.artifacts import ensure_model
    from wine_serving.data import load_wine_quality, split_wine_quality

    ws = ws or get_workspace()
    plan = plan or (QUICK if quick else FULL)
    specs = [s for s in SERVERS if (s.config in configs if configs else (s.quick or not quick))]
    result = ensure_model(ws=ws)
    model_uri = result.registered_uri
    _, test_x, _, _ = split_wine_quality(load_wine_quality(ws))
    big = pd.concat([test_x] * (BIG_ROWS // len(test_x) + 1)).head(BIG_ROWS).reset_index(drop=True)
    payloads = Payloads(test_x, big)

    rows = _pyfunc_rows(model_uri, payloads, plan)
    with running_servers(specs, model_uri, ws) as servers:
        jobs: list[tuple[ServerSpec, str, int, int]] = []
        for spec in specs:
            mlflow = spec.kind == "mlflow"
            for endpoint in ("invocations",) if mlflow else plan.endpoints:
                jobs += [(spec, endpoint, c, 1) for c in plan.concurrencies]
            for endpoint in ("invocations",) if mlflow else plan.big_endpoints:
                jobs.append((spec, endpoint, 1, BIG_ROWS))
        collected: dict[tuple[str, str, int, int], list[tuple[LoadResult, float]]] = {}
        bar = tqdm(total=len(jobs) * plan.rounds, desc="bench", disable=not progress, file=sys.stderr)
        for round_index in range(plan.rounds):
            order = jobs if round_index % 2 == 0 else list(reversed(jobs))
            for spec, endpoint, concurrency, n_rows in order:
                server = servers[spec.config]
                before = _cpu_seconds(server.pid)
                measured = _one_load(server, endpoint, concurrency, n_rows, payloads, plan)
                collected.setdefault((spec.config, endpoint, concurrency, n_rows), []).append(
                    (measured, _cpu_seconds(server.pid) - before))
                bar.update(1)
        bar.close()
    labels = {s.config: s.label for s in specs}
    for (config, endpoint, concurrency, n_rows), parts in collected.items():
        merged = _merge([r for r, _ in parts])
        rows.append(_row(labels[config], endpoint, config, concurrency, n_rows, merged,
                         sum(cpu for _, cpu in parts)))
    return pd.DataFrame(rows, columns=list(FIELDS))


def _one_load(server: Any, endpoint: str, concurrency: int, n_rows: int, payloads: Payloads,
              plan: Plan) -> LoadResult:
    big = n_rows > 1
    total = plan.big_requests if big else (plan.latency_requests if concurrency == 1
                                           else plan.throughput_requests)
    seconds = plan.throughput_seconds * (3 if big else 1)
    if endpoint == "v2-grpc":
        messages = payloads.grpc(payloads.big if big else None)
        grpc_load(server.grpc_target, messages, total=min(20, total), concurrency=concurrency)  # warm-up
        return grpc_load(server.grpc_target, messages, total=total, concurrency=concurrency,
                         max_seconds=seconds)
    url = server.url
    requests_ = payloads.http(url, endpoint, payloads.big if big else None)
    target = f"{url}/invocations" if endpoint == "invocations" else f"{url}/v2/models/{MODEL}/infer"
    http_load(target, requests_, total=min(20, total), concurrency=concurrency)  # warm-up
    return http_load(target, requests_, total=total, concurrency=concurrency, max_seconds=seconds)


# -- reports -------------------------------------------------------------------------------
def pick(table: pd.DataFrame, config: str, endpoint: str, concurrency: int = 1, rows: int = 1) -> pd.Series:
    found = table[(table.config == config) & (table.endpoint == endpoint)
                  & (table.concurrency == concurrency) & (table.rows == rows)]
    if found.empty:
        raise KeyError(f"no measurement for {config}/{endpoint}/c={concurrency}/rows={rows}")
    return found.iloc[0]


def ratios(table: pd.DataFrame) -> dict[str, float]:
    """The two targets, as ratios measured in the same run."""
    best = pick(table, RECOMMENDED, "v2-rest", 32)
    baseline = pick(table, "mlflow", "invocations", 32)
    big_rest = min(pick(table, config, "v2-rest", 1, BIG_ROWS)["p50_ms"]
                   for config in table[table.endpoint == "v2-rest"].config.unique())
    floor = pick(table, "in-process", "pyfunc.predict", 1, BIG_ROWS)["p50_ms"]
    return {
        "throughput_c32_vs_mlflow": round(float(best.rps / baseline.rps), 2),
        "p99_c32_ms_recommended": float(best.p99_ms),
        "p99_c32_ms_mlflow": float(baseline.p99_ms),
        "big_request_rest_vs_pyfunc": round(float(big_rest / floor), 2),
        "big_request_rest_p50_ms": float(big_rest),
        "big_request_pyfunc_p50_ms": float(floor),
    }


def markdown_table(table: pd.DataFrame) -> str:
    columns = list(FIELDS)
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for _, row in table.iterrows():
        lines.append("| " + " | ".join(str(row[c]) for c in columns) + " |")
    return "\n".join(lines) + "\n"


def plot(table: pd.DataFrame, path: Path) -> Path:
    """Throughput by concurrency for single-row requests, one line per server configuration."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    single = table[(table.rows == 1) & (table.endpoint.isin(["v2-rest", "invocations"]))
                   & (table.config != "in-process")]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6))
    for (config, endpoint), part in single.groupby(["config", "endpoint"]):
        part = part.sort_values("concurrency")
        label = f"{config} ({endpoint})"
        left.plot(part.concurrency, part.rps, marker="o", label=label)
        right.plot(part.concurrency, part.p99_ms, marker="o", label=label)
    for axis, title in ((left, "requests/s"), (right, "p99 latency (ms)")):
        axis.set_xscale("log", base=2)
        axis.set_xlabel("concurrency")
        axis.set_title(title)
        axis.grid(alpha=0.3)
    left.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write_reports(table: pd.DataFrame, out_dir: Path, *, quick: bool) -> dict[str, Path]:
    """JSON (rows + ratios + machine), Markdown table and PNG plot under ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = "bench-quick" if quick else "bench"
    paths = {"json": out_dir / f"{stem}.json", "markdown": out_dir / f"{stem}.md",
             "plot": out_dir / f"{stem}.png"}
    document = {
        "mode": "quick" if quick else "full",
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {"cpus": psutil.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform()},
        "plans": {"quick": asdict(QUICK), "full": asdict(FULL)},
        "ratios": ratios(table),
        "rows": json.loads(table.to_json(orient="records")),
    }
    paths["json"].write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    paths["markdown"].write_text(markdown_table(table), encoding="utf-8")
    plot(table, paths["plot"])
    return paths


def bench_dir(ws: Workspace | None = None) -> Path:
    return (ws or get_workspace()).root / "bench"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m wine_serving.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the short version (under 60 s)")
    parser.add_argument("--out", type=Path, default=None, help="output folder (default: <workspace>/bench)")
    args = parser.parse_args(argv)
    began = time.perf_counter()
    table = run(quick=args.quick)
    paths = write_reports(table, args.out or bench_dir(), quick=args.quick)
    print(markdown_table(table))
    print(json.dumps(ratios(table), indent=2))
    for kind, path in paths.items():
        print(f"{kind}: {path}")
    print(f"took {time.perf_counter() - began:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
