"""Start-up failures end quickly and cleanly; no owner's death leaves a server behind.

Servers here have no models (fast to start): what is tested is process ownership.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import nbformat
import pytest

from tests.helpers import mlserver_processes, wait_until_gone
from wine_serving.errors import ServerStartError
from wine_serving.process.ports import free_ports
from wine_serving.servers.mlserver import MLServer
from wine_serving.settings import prepare_repository, server_settings

pytestmark = pytest.mark.integration


def empty_repository(path: Path, http_port: int | None = None) -> Path:
    ports = free_ports(3)
    if http_port is not None:
        ports[0] = http_port
    return prepare_repository(path, server_settings(*ports), [])


def test_normal_end_leaves_nothing(workspace, tmp_path):
    repo = empty_repository(tmp_path / "repo")
    with MLServer(repo, ws=workspace) as server:
        assert server.running
        assert mlserver_processes(repo)
        assert server.log_path.is_file() and server.log_path.is_relative_to(workspace.logs_dir)
    assert wait_until_gone(repo, timeout=5) == []
    # The same object starts again; the first run's log lines must not count as ready.
    with server:
        assert server.running and server._log_offset > 0
    assert wait_until_gone(repo, timeout=5) == []


def test_server_dying_during_startup(workspace, tmp_path):
    repo = empty_repository(tmp_path / "dies")
    server = MLServer(repo, ws=workspace)

    def kill_soon() -> None:
        deadline = time.monotonic() + 10
        while server.pid is None and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.3)
        if server.pid:
            os.kill(server.pid, signal.SIGKILL)

    killer = threading.Thread(target=kill_soon)
    killer.start()
    started = time.monotonic()
    with pytest.raises(ServerStartError, match="exited with code -9"):
        server.start()
    killer.join()
    assert time.monotonic() - started < 10
    assert wait_until_gone(repo, timeout=10) == []


def test_readiness_timeout_stops_the_server(workspace, tmp_path):
    repo = empty_repository(tmp_path / "slow")
    with pytest.raises(ServerStartError, match="not ready within"):
        MLServer(repo, ws=workspace, start_timeout=0.5).start()
    assert wait_until_gone(repo, timeout=10) == []


# -- the owner dies or fails: notebooks, kernels and pytest ---------------------------

def _start_cell(repo: Path) -> str:
    return textwrap.dedent(f"""
        from wine_serving.servers.mlserver import MLServer
        server = MLServer({str(repo)!r}).start()
        print("PID", server.pid)
    """)


def _notebook(path: Path, *cells: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def test_exception_in_a_later_cell(workspace, tmp_path):
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    repo = empty_repository(tmp_path / "nb-error")
    path = _notebook(tmp_path / "error.ipynb", _start_cell(repo), "raise RuntimeError('boom')")
    client = NotebookClient(nbformat.read(path, as_version=4), timeout=120, kernel_name="python3")
    with pytest.raises(CellExecutionError, match="boom"):
        client.execute()
    assert wait_until_gone(repo) == []


def test_kernel_killed_with_sigkill(workspace, tmp_path):
    from jupyter_client.manager import start_new_kernel

    repo = empty_repository(tmp_path / "nb-kill")
    manager, kc = start_new_kernel(kernel_name="python3")
    try:
        reply = kc.execute_interactive(_start_cell(repo), timeout=120)
        assert reply["content"]["status"] == "ok"
        assert mlserver_processes(repo)
        os.kill(manager.provisioner.process.pid, signal.SIGKILL)
        assert wait_until_gone(repo) == []
    finally:
        kc.stop_channels()
        manager.shutdown_kernel(now=True)


def _pytest_cmd(tmp_path: Path, *args: str) -> list[str]:
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    return [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
            "--rootdir", str(tmp_path), "-c", str(tmp_path / "pytest.ini"), *args]


def test_nbmake_timeout(workspace, tmp_path):
    repo = empty_repository(tmp_path / "nb-timeout")
    marker = tmp_path / "server-started"
    started_cell = f"import pathlib\npathlib.Path({str(marker)!r}).write_text('up')"
    path = _notebook(tmp_path / "hangs.ipynb", _start_cell(repo), started_cell,
                     "import time\ntime.sleep(600)")
    done = subprocess.run(_pytest_cmd(tmp_path, "--nbmake", "--nbmake-timeout=40", str(path)),
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    # The server started, then the sleeping cell hit nbmake's timeout, not the start cell.
    assert marker.exists(), done.stdout[-2000:]
    assert done.returncode != 0 and "time.sleep(600)" in done.stdout + done.stderr
    assert wait_until_gone(repo) == []


def test_pytest_killed_with_sigkill(workspace, tmp_path):
    repo = empty_repository(tmp_path / "pytest-kill")
    marker = tmp_path / "started"
    test_file = tmp_path / "test_owner.py"
    test_file.write_text(textwrap.dedent(f"""
        import pathlib, time
        from wine_serving.servers.mlserver import MLServer

        def test_hold_a_server():
            MLServer({str(repo)!r}).start()
            pathlib.Path({str(marker)!r}).write_text("up")
            time.sleep(600)
    """))
    proc = subprocess.Popen(_pytest_cmd(tmp_path, str(test_file)), cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not marker.exists() and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.2)
        assert marker.exists(), "the inner pytest never started its server"
        assert mlserver_processes(repo)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        assert wait_until_gone(repo) == []
    finally:
        if proc.poll() is None:
            proc.kill()
        for left in mlserver_processes(repo):
            left.kill()


def test_watchdog_exits_with_its_server(workspace, tmp_path):
    """The server dies on its own (not through ``stop()``): its watchdog notices and ends, code 0."""
    repo = empty_repository(tmp_path / "wd")
    server = MLServer(repo, ws=workspace).start()
    try:
        os.killpg(server.pid, signal.SIGKILL)
        code = server._watchdog.wait(timeout=30)  # it polls its group every 0.5 s
        assert code == 0
    finally:
        server.stop()


def test_a_port_taken_before_the_bind_means_new_ports(workspace):
    """The race CI met: a port chosen free is taken before the server binds it.

    The floor (plain uvicorn, as ``mlflow models serve`` runs it) exits on a taken port;
    that is a ``PortInUseError`` naming the port, and ``start_on_free_ports`` tries again
    with a server built on new ports.
    """
    from wine_serving.errors import PortInUseError
    from wine_serving.process.managed import start_on_free_ports
    from wine_serving.servers.floor import FloorServer

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        taken = holder.getsockname()[1]
        with pytest.raises(PortInUseError, match=str(taken)):
            FloorServer(taken, ws=workspace).start()
        built: list[FloorServer] = []

        def make() -> FloorServer:
            built.append(FloorServer(taken if not built else None, ws=workspace))
            return built[-1]

        server = start_on_free_ports(make)
        try:
            assert len(built) == 2 and server is built[1] and server.port != taken and server.running
            assert not built[0].running
        finally:
            server.stop()
