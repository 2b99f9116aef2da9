"""A real Prometheus scrapes a real MLServer; its owner's death leaves no Prometheus behind."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time

import psutil
import pytest
import requests

from wine_serving import monitoring
from wine_serving.client import named_columns
from wine_serving.data import load_wine_quality, split_wine_quality
from wine_serving.process.managed import start_on_free_ports
from wine_serving.process.ports import free_port

pytestmark = pytest.mark.integration
INFER_200 = 'rest_server_requests_total{path="/v2/models/{model_name}/infer",status_code="200"}'


def _counter(metrics_url: str, series: str) -> float:
    """The sum of ``series`` (``name{label="value",...}``) as MLServer's own ``/metrics`` shows it now,
    parsed by prometheus_client's reader of the text format."""
    from prometheus_client.parser import text_string_to_metric_families

    name, _, labels = series.partition("{")
    wanted = dict(pair.split("=", 1) for pair in labels.removesuffix("}").split(",") if pair)
    wanted = {key: value.strip('"') for key, value in wanted.items()}
    text = requests.get(metrics_url, timeout=5).text
    return sum(sample.value for family in text_string_to_metric_families(text) for sample in family.samples
               if sample.name == name and wanted.items() <= sample.labels.items())


def test_prometheus_reads_what_mlserver_counted(served, tmp_path):
    server, models = served
    ws = server.ws
    _, test_x, _, _ = split_wine_quality(load_wine_quality(ws))
    for i in range(5):
        reply = requests.post(f"{server.url}/v2/models/wine-classifier/infer",
                              json=named_columns(test_x.iloc[[i]]), timeout=30)
        assert reply.status_code == 200
    counted = _counter(server.metrics_url, INFER_200)
    assert counted >= 5
    config = monitoring.write_yaml(monitoring.scrape_config([f"127.0.0.1:{server.metrics_port}"]),
                                   tmp_path / "prometheus.yml")
    with start_on_free_ports(lambda: monitoring.PrometheusServer(config, free_port(), ws=ws,
                                                                 name="prometheus-test")) as prometheus:
        assert prometheus.data_dir.is_relative_to(ws.root)
        prometheus.wait_for_scrape(after=time.time())
        assert prometheus.scalar(f"sum({INFER_200})") == counted
        listening = {c.laddr.ip for c in psutil.Process(prometheus.pid).net_connections("inet")
                     if c.status == psutil.CONN_LISTEN}
        assert listening == {"127.0.0.1"}
    assert not prometheus.running


def test_a_bad_query_is_a_clear_error(tmp_path, workspace):
    config = monitoring.write_yaml(monitoring.scrape_config([]), tmp_path / "prometheus.yml")
    with start_on_free_ports(lambda: monitoring.PrometheusServer(config, free_port(), ws=workspace)) \
            as prometheus:
        with pytest.raises(ValueError, match="Prometheus refused query"):
            prometheus.query("sum(rate(up[5s])")


def test_a_killed_owner_leaves_no_prometheus(tmp_path, workspace):
    config = monitoring.write_yaml(monitoring.scrape_config([]), tmp_path / "prometheus.yml")
    owner = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import time
        from wine_serving.monitoring import PrometheusServer
        from wine_serving.process.ports import free_port
        server = PrometheusServer({str(config)!r}, free_port()).start()
        print(server.pid, flush=True)
        time.sleep(600)
    """)], stdout=subprocess.PIPE, text=True)
    try:
        pid = int(owner.stdout.readline())
        assert psutil.pid_exists(pid)
        owner.send_signal(signal.SIGKILL)
        owner.wait(timeout=10)
        deadline = time.monotonic() + 30
        while psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE \
                and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    finally:
        if owner.poll() is None:
            owner.kill()
