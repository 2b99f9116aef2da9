"""A real Prometheus on loopback: data in the workspace, a bad query named, none left by a dead owner."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time

import psutil
import pytest

from wine_serving.process.managed import start_on_free_ports
from wine_serving.process.ports import free_port
from wine_serving.servers import prometheus as monitoring

pytestmark = pytest.mark.integration


# Scrapes nothing: these tests are about the process (notebook 18 writes and checks a real config).
EMPTY_CONFIG = {"global": {"scrape_interval": "1s"}, "scrape_configs": []}


def test_prometheus_listens_on_loopback_only_and_keeps_its_data_in_the_workspace(tmp_path, workspace):
    """Prometheus counting what MLServer counted is notebook 18's (cell 14, ``by_status == counts``)."""
    config = monitoring.write_yaml(EMPTY_CONFIG, tmp_path / "prometheus.yml")
    with start_on_free_ports(lambda: monitoring.PrometheusServer(config, free_port(), ws=workspace,
                                                                 name="prometheus-test")) as prometheus:
        assert prometheus.data_dir.is_relative_to(workspace.root)
        assert prometheus.query("vector(1)")[0]["value"][1] == "1"
        listening = {c.laddr.ip for c in psutil.Process(prometheus.pid).net_connections("inet")
                     if c.status == psutil.CONN_LISTEN}
        assert listening == {"127.0.0.1"}
    assert not prometheus.running


def test_a_bad_query_is_a_clear_error(tmp_path, workspace):
    config = monitoring.write_yaml(EMPTY_CONFIG, tmp_path / "prometheus.yml")
    with start_on_free_ports(lambda: monitoring.PrometheusServer(config, free_port(), ws=workspace)) \
            as prometheus:
        with pytest.raises(ValueError, match="Prometheus refused query"):
            prometheus.query("sum(rate(up[5s])")


def test_a_killed_owner_leaves_no_prometheus(tmp_path, workspace):
    config = monitoring.write_yaml(EMPTY_CONFIG, tmp_path / "prometheus.yml")
    owner = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import time
        from wine_serving.servers.prometheus import PrometheusServer
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
