"""Start ``mlserver start`` and own it until it is stopped, whatever happens.

Rules measured with MLServer 1.7.1 on this machine, and what this module does:

* A taken port is not fatal to MLServer: it logs ``[Errno 98] ... address already
  in use`` and hangs. The log is watched for bind errors during start-up.
* ``/v2/health/ready`` on a taken port answers 200 from the *other* server, so ready
  also requires our own log line ``Uvicorn running on http://<host>:<port>``.
* ``/v2/health/ready`` answers 400 while models load: anything but 200 is "not yet".
* Stopping signals the whole process group (SIGTERM, then SIGKILL after a grace
  period); a watchdog sidecar and ``atexit`` cover the owner dying or exiting.
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Any

import requests

from wine_serving.errors import PortInUseError, ServerStartError
from wine_serving.processes import terminate_group
from wine_serving.settings import (
    MODEL_SETTINGS_FILE,
    SETTINGS_FILE,
    prepare_repository,
    read_json,
    server_settings,
)
from wine_serving.workspace import Workspace, get_workspace

EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(?:Error|Exception|NotFound|Invalid\w*): .+", re.MULTILINE)
BIND_ERRORS = re.compile(r"address already in use|Failed to bind|\[Errno 98\]", re.IGNORECASE)
DEFAULT_START_TIMEOUT = 60.0

_live: set[MLServer] = set()
_live_lock = threading.Lock()


def free_port(host: str = "127.0.0.1") -> int:
    """A port the OS considers free right now (another process may still take it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def free_ports(count: int, host: str = "127.0.0.1") -> list[int]:
    ports: set[int] = set()
    while len(ports) < count:
        ports.add(free_port(host))
    return sorted(ports)


def _mlserver_command() -> str:
    beside = Path(sys.executable).with_name("mlserver")
    found = str(beside) if beside.exists() else shutil.which("mlserver")
    if not found:
        raise ServerStartError("The `mlserver` command is not installed in this environment.")
    return found


def _cause(path: Path) -> str:
    """The last Python exception line in the log: usually the one sentence that matters."""
    try:
        found = EXCEPTION_LINE.findall(path.read_text(encoding="utf-8", errors="replace"))
    except FileNotFoundError:
        return ""
    return f" Cause: {found[-1].strip()}" if found else ""


def _tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


class MLServer:
    """One ``mlserver start <repository>`` process group, owned by this Python process.

    Use it as a context manager in scripts and tests, or call ``start()`` and
    ``stop()`` in a notebook where the server spans several cells; either way it
    is stopped at interpreter exit and by the watchdog if this process is killed.
    """

    def __init__(self, repository: Path, *, ws: Workspace | None = None,
                 start_timeout: float = DEFAULT_START_TIMEOUT,
                 env: dict[str, str] | None = None, log_name: str = "mlserver") -> None:
        self.ws = ws or get_workspace()
        self.repository = Path(repository).resolve()
        settings = read_json(self.repository / SETTINGS_FILE)
        self.host: str = settings.get("host", "0.0.0.0")
        self.http_port: int = int(settings.get("http_port", 8080))
        self.grpc_port: int = int(settings.get("grpc_port", 8081))
        self.metrics_port: int = int(settings.get("metrics_port", 8082))
        # MLServer loads every model-settings.json below the repository; ready means all of them.
        self.model_names = sorted(read_json(p).get("name", p.parent.name)
                                  for p in self.repository.rglob(MODEL_SETTINGS_FILE))
        self.start_timeout = start_timeout
        self.extra_env = env or {}
        stamp = time.strftime("%Y%m%d-%H%M%S")
        self.log_path = self.ws.logs_dir / f"{log_name}-{stamp}-{os.getpid()}-{self.http_port}.log"
        self._proc: subprocess.Popen[bytes] | None = None
        self._watchdog: subprocess.Popen[bytes] | None = None
        self._log_offset = 0

    # -- addresses -------------------------------------------------------------------
    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return f"http://{host}:{self.http_port}"

    @property
    def grpc_target(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return f"{host}:{self.grpc_port}"

    @property
    def metrics_url(self) -> str:
        return f"{self.url.rsplit(':', 1)[0]}:{self.metrics_port}/metrics"

    @property
    def command(self) -> list[str]:
        """What is run: exactly the ``mlserver start <folder>`` a reader would type."""
        return [_mlserver_command(), "start", str(self.repository)]

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def log_tail(self, lines: int = 40) -> str:
        return _tail(self.log_path, lines)

    # -- lifecycle -------------------------------------------------------------------
    def start(self) -> MLServer:
        """Launch and block until ready; on any failure nothing is left running."""
        if self.running:
            return self
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        # A restarted server appends to its log; only this run's lines may prove readiness.
        self._log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        env = self.ws.server_env()
        env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
        env.update(self.extra_env)
        with open(self.log_path, "ab") as log:
            self._proc = subprocess.Popen(
                self.command,
                cwd=self.repository, env=env, stdin=subprocess.DEVNULL,
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )
        self._watchdog = subprocess.Popen(
            [sys.executable, "-m", "wine_serving.watchdog", str(os.getpid()), str(self._proc.pid)],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        with _live_lock:
            _live.add(self)
        try:
            self.wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _ours_listening(self, log: str) -> bool:
        return f"Uvicorn running on http://{self.host}:{self.http_port}" in log

    def wait_ready(self, timeout: float | None = None) -> None:
        """Ready means: our process is alive, our own listener is up, and health says 200."""
        deadline = time.monotonic() + (timeout or self.start_timeout)
        while True:
            with open(self.log_path, "rb") as handle:
                handle.seek(self._log_offset)
                log = handle.read().decode("utf-8", errors="replace")
            if self._proc is None or self._proc.poll() is not None:
                code = self._proc.returncode if self._proc else None
                raise ServerStartError(
                    f"mlserver exited with code {code} during start-up "
                    f"(often a model that failed to load).{_cause(self.log_path)} Log: {self.log_path}",
                    _tail(self.log_path))
            if BIND_ERRORS.search(log):
                raise PortInUseError(
                    f"mlserver could not bind one of its ports on {self.host} "
                    f"(http {self.http_port}, grpc {self.grpc_port}, metrics {self.metrics_port}): "
                    "another process is using it.", _tail(self.log_path))
            if self._ours_listening(log) and self._health_ready():
                return
            if time.monotonic() > deadline:
                raise ServerStartError(
                    f"mlserver was not ready within {timeout or self.start_timeout:g} s; "
                    f"log: {self.log_path}", _tail(self.log_path))
            time.sleep(0.2)

    def _health_ready(self) -> bool:
        paths = ["/v2/health/ready", *(f"/v2/models/{name}/ready" for name in self.model_names)]
        try:
            return all(requests.get(f"{self.url}{path}", timeout=2).status_code == 200
                       for path in paths)
        except requests.RequestException:
            return False

    def stop(self, grace: float = 10.0) -> None:
        """Stop the whole process group; safe to call twice."""
        proc, watchdog = self._proc, self._watchdog
        if proc is not None:
            terminate_group(proc.pid, grace=grace)
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        if watchdog is not None:
            if watchdog.stdin:
                watchdog.stdin.close()
            try:
                watchdog.wait(timeout=5)
            except subprocess.TimeoutExpired:
                watchdog.kill()
                watchdog.wait()
        with _live_lock:
            _live.discard(self)

    def __enter__(self) -> MLServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"MLServer({self.url}, pid={self.pid}, {state}, log={self.log_path})"


def repository_for(name: str = "wine", ws: Workspace | None = None) -> Path:
    """``<workspace>/serving/<name>``: one folder per server, never nested.

    ``mlserver start`` loads model settings recursively, so two repositories must
    not sit inside each other or one server would load the other's models.
    """
    return (ws or get_workspace()).serving_dir / name


def serve(models: list[dict[str, Any]], *, name: str = "wine", repository: Path | None = None,
          ws: Workspace | None = None, attempts: int = 3, **settings: Any) -> MLServer:
    """Write a repository with free loopback ports for ``models`` and start a server on it.

    Free ports are chosen just before launch, and another process can still take
    one in between; a ``PortInUseError`` then leads to new ports, up to ``attempts``.
    """
    ws = ws or get_workspace()
    repository = Path(repository or repository_for(name, ws))
    for attempt in range(1, attempts + 1):
        http_port, grpc_port, metrics_port = free_ports(3)
        prepare_repository(repository, server_settings(http_port, grpc_port, metrics_port,
                                                       **settings), models)
        try:
            return MLServer(repository, ws=ws, log_name=name).start()
        except PortInUseError:
            if attempt == attempts:
                raise
    raise AssertionError("unreachable")


@atexit.register
def _stop_all() -> None:
    with _live_lock:
        servers = list(_live)
    for server in servers:
        server.stop(grace=5.0)
