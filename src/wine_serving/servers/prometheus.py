"""Prometheus, owned like every other server here, scraping MLServer's metrics port.

MLServer exports Prometheus metrics on a port of its own (``metrics_port``,
``/metrics``). A real Prometheus (Debian's ``prometheus`` package, 2.42 on
bookworm) scrapes it at a short interval; the notebook asks it questions in PromQL
over its HTTP API. Prometheus listens on 127.0.0.1 only, keeps its configuration and
its data under the workspace, runs in its own process group and is stopped with its
owner, like MLServer. The alert rules are written here once and used twice: by the
local Prometheus, and shipped beside the deploy lesson's manifests.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import requests
import yaml

from wine_serving.errors import ServerStartError
from wine_serving.process.managed import DEFAULT_START_TIMEOUT, ManagedProcess, http_ok
from wine_serving.process.ports import LOOPBACK
from wine_serving.workspace import Workspace

JOB = "mlserver"  # the job name notebook 18's prometheus.yml gives MLServer
# MLServer 1.7.1's REST metrics come from starlette_exporter with prefix "rest_server"
# (mlserver/rest/app.py, settings.metrics_rest_server_prefix).
REQUESTS = "rest_server_requests_total"
DURATION = "rest_server_request_duration_seconds"
INFER_PATH = "/v2/models/{model_name}/infer"
# Alert thresholds: a tutorial's, to be tuned on real traffic.
ERROR_RATIO = 0.2
P99_SECONDS = 0.5
ALERT_WINDOW = "15s"


def _prometheus_binary(name: str = "prometheus") -> str:
    """The Debian package's ``prometheus`` (or ``promtool``), or a sentence saying how to get it."""
    found = shutil.which(name)
    if not found:
        raise ServerStartError(f"`{name}` is not installed: `sudo apt-get install prometheus` "
                               "(Debian and Ubuntu ship Prometheus and promtool in that package).")
    return found


def _error_ratio_expr(window: str = ALERT_WINDOW) -> str:
    """Share of REST requests answered 5xx over ``window``."""
    return (f'sum(rate({REQUESTS}{{status_code=~"5.."}}[{window}])) '
            f'/ sum(rate({REQUESTS}[{window}]))')


def _p99_expr(window: str = ALERT_WINDOW) -> str:
    """p99 latency of the REST requests over ``window``, from MLServer's histogram."""
    return f"histogram_quantile(0.99, sum by (le) (rate({DURATION}_bucket[{window}])))"


def alert_rules(*, error_ratio: float = ERROR_RATIO, p99_seconds: float = P99_SECONDS,
                window: str = ALERT_WINDOW) -> dict[str, Any]:
    """Two alerts for one model server: too many errors, and a slow p99."""
    return {"groups": [{"name": "mlserver", "rules": [
        {"alert": "MLServerHighErrorRatio",
         "expr": f"{_error_ratio_expr(window)} > {error_ratio}",
         "labels": {"severity": "page"},
         "annotations": {"summary": f"More than {error_ratio:.0%} of MLServer's REST requests "
                                    f"failed with 5xx over {window}."}},
        {"alert": "MLServerSlowP99",
         "expr": f"{_p99_expr(window)} > {p99_seconds}",
         "labels": {"severity": "ticket"},
         "annotations": {"summary": f"MLServer's REST p99 latency is above {p99_seconds} s "
                                    f"over {window}."}},
    ]}]}


def write_yaml(document: dict[str, Any] | list[dict[str, Any]], path: Path) -> Path:
    """One YAML document, or several (a list, ``---`` between them), keys in the order written and
    Chinese kept as is: the one writer for every YAML file the tutorial writes (``deploy`` too)."""
    documents = document if isinstance(document, list) else [document]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump_all(documents, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    """``promtool`` with ``args`` (``check rules FILE``, ``check config FILE``); never raises on failure."""
    return subprocess.run([_prometheus_binary("promtool"), *args], capture_output=True, text=True,
                          timeout=60, check=False)


class PrometheusServer(ManagedProcess):
    """``prometheus`` on 127.0.0.1 with its config and TSDB under ``<workspace>/prometheus``."""

    kind = "prometheus"

    def __init__(self, config: Path, port: int, *, ws: Workspace | None = None, name: str = "prometheus",
                 start_timeout: float = DEFAULT_START_TIMEOUT) -> None:
        super().__init__(ws=ws, start_timeout=start_timeout, log_name=name)
        self.config = Path(config)
        self.port = port
        self.data_dir = self.ws.root / "prometheus" / f"data-{name}"

    @property
    def command(self) -> list[str]:
        return [_prometheus_binary(), f"--config.file={self.config}",
                f"--storage.tsdb.path={self.data_dir}", "--storage.tsdb.retention.time=2h",
                f"--web.listen-address={LOOPBACK}:{self.port}"]

    def start(self) -> PrometheusServer:
        # A fresh TSDB each start: a re-run notebook must not read the last run's samples.
        shutil.rmtree(self.data_dir, ignore_errors=True)
        self.data_dir.mkdir(parents=True)
        return super().start()

    def is_ready(self, log: str) -> bool:
        return http_ok(f"{self.url}/-/ready")

    def api(self, path: str, **params: Any) -> Any:
        """``GET /api/v1/<path>``; the ``data`` part of a successful answer, else a clear error."""
        reply = requests.get(f"{self.url}/api/v1/{path}", params=params, timeout=10)
        body = reply.json()
        if reply.status_code != 200 or body.get("status") != "success":
            raise ValueError(f"Prometheus refused {path} {params}: {body.get('error', reply.text[:200])}")
        return body["data"]

    def query(self, promql: str) -> list[dict[str, Any]]:
        """An instant query: one ``{"metric": labels, "value": [time, "number"]}`` per series."""
        return self.api("query", query=promql)["result"]

    def scalar(self, promql: str) -> float:
        """The one number an instant query gives (NaN when it gives no series)."""
        result = self.query(promql)
        if len(result) > 1:
            raise ValueError(f"{promql!r} gave {len(result)} series, expected one")
        return float(result[0]["value"][1]) if result else float("nan")

    def wait_for_scrape(self, after: float, timeout: float = 30.0) -> float:
        """Block until every target was scraped, and answered, after ``after`` (epoch seconds).

        ``timestamp(up)`` is the time of each target's last scrape. Bounded: a scrape
        that never comes is an error naming each target's last error.
        """
        deadline = time.monotonic() + timeout
        while True:
            scrapes = self.query(f'timestamp(up{{job="{JOB}"}}) and up{{job="{JOB}"}} == 1')
            times = [float(s["value"][1]) for s in scrapes]
            targets = self.api("targets")["activeTargets"]
            if targets and len(times) == len(targets) and min(times) > after:
                return min(times)
            if time.monotonic() > deadline:
                errors = {t["scrapeUrl"]: t.get("lastError") or t["health"] for t in targets}
                raise TimeoutError(f"Prometheus did not scrape every target within {timeout:g} s: {errors}")
            time.sleep(0.25)

    def alerts(self) -> dict[str, str]:
        """``{alert name: state}`` for every pending or firing alert (``/api/v1/alerts``)."""
        return {a["labels"]["alertname"]: a["state"] for a in self.api("alerts")["alerts"]}

    def __repr__(self) -> str:
        return f"PrometheusServer({self.url}, pid={self.pid}, running={self.running})"

