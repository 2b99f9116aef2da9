"""A child server process this Python process owns until it is stopped, whatever happens.

The base of every server the tutorial starts (MLServer, ``mlflow server``, ``mlflow models
serve``, KServe, Prometheus, the benchmark's floor): each runs in its own process group with
its output in a workspace log, is stopped group-wide (SIGTERM, then SIGKILL), and is
covered by a watchdog sidecar (started here) if the owner is killed and by
``atexit`` if it exits.
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import TypeVar

import requests

from wine_serving.errors import PortInUseError, ServerStartError
from wine_serving.process.group import terminate_group
from wine_serving.process.logs import BIND_ERRORS, cause, tail
from wine_serving.process.ports import LOOPBACK, other_listeners
from wine_serving.workspace import Workspace, get_workspace

DEFAULT_START_TIMEOUT = 60.0

_live: set[ManagedProcess] = set()
Owned = TypeVar("Owned", bound="ManagedProcess")
_live_lock = threading.Lock()


def _venv_path(env: dict[str, str]) -> str:
    """``PATH`` with this interpreter's ``bin`` first.

    Servers spawn helpers by bare name (``mlflow models serve`` runs ``uvicorn``), and
    a notebook kernel started from JupyterLab often has no activated venv on ``PATH``.
    """
    return f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"


def executable(name: str) -> str:
    """The ``name`` command of this interpreter's environment, else the one on ``PATH``."""
    beside = Path(sys.executable).with_name(name)
    found = str(beside) if beside.exists() else shutil.which(name)
    if not found:
        raise ServerStartError(f"The `{name}` command is not installed in this environment.")
    return found


def http_ok(url: str, timeout: float = 2.0) -> bool:
    try:
        return requests.get(url, timeout=timeout).status_code == 200
    except requests.RequestException:
        return False


def v2_ready(url: str, model_names: Sequence[str], timeout: float = 2.0) -> bool:
    """The V2 protocol's own readiness: the server's ``/v2/health/ready`` and each model's
    ``/v2/models/<name>/ready`` answer 200 (MLServer and KServe alike)."""
    paths = ["/v2/health/ready", *(f"/v2/models/{name}/ready" for name in model_names)]
    return all(http_ok(f"{url}{path}", timeout=timeout) for path in paths)


def start_on_free_ports(make: Callable[[], Owned], attempts: int = 3) -> Owned:
    """Build a server with freshly chosen free ports and start it; on ``PortInUseError`` build anew.

    A free port is free when it is chosen; until the server binds it, another process (a
    parallel test's server, or any client's outgoing connection, which takes a local port
    from the same range) can take it. Up to ``attempts`` times, then the error stands.
    """
    for attempt in range(1, attempts + 1):
        try:
            return make().start()
        except PortInUseError:
            if attempt == attempts:
                raise
    raise AssertionError("unreachable")


class ManagedProcess:
    """Base class: subclasses give ``command``, ``cwd``, ``port`` and an ``is_ready()`` probe."""

    kind = "server"
    host = LOOPBACK
    port = 0
    grpc_port: int | None = None  # servers that also speak V2 gRPC set it
    metrics_port: int | None = None  # servers with a Prometheus endpoint of their own set it

    def __init__(self, *, ws: Workspace | None = None, start_timeout: float = DEFAULT_START_TIMEOUT,
                 env: dict[str, str] | None = None, log_name: str = "server") -> None:
        self.ws = ws or get_workspace()
        self.start_timeout = start_timeout
        self.extra_env = env or {}
        self.log_name = log_name
        self.log_path = self.ws.logs_dir / f"{log_name}-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log"
        self._proc: subprocess.Popen[bytes] | None = None
        self._watchdog: subprocess.Popen[bytes] | None = None
        self._log_offset = 0

    # -- to be provided by subclasses --------------------------------------------------
    @property
    def command(self) -> list[str]:
        raise NotImplementedError

    @property
    def cwd(self) -> Path:
        return self.ws.root

    def is_ready(self, log: str) -> bool:
        """Given this run's log so far; raise a ``ServerStartError`` to give up early."""
        raise NotImplementedError

    # -- state -------------------------------------------------------------------------
    @property
    def client_host(self) -> str:
        """Where a client on this machine reaches it (a server bound to all interfaces too)."""
        return LOOPBACK if self.host in ("0.0.0.0", "") else self.host

    @property
    def url(self) -> str:
        return f"http://{self.client_host}:{self.port}"

    @property
    def grpc_target(self) -> str:
        """``host:port`` for a gRPC channel (``grpc.insecure_channel``, ``tritonclient.grpc``)."""
        if self.grpc_port is None:
            raise ValueError(f"{self.kind} serves no gRPC here")
        return f"{self.client_host}:{self.grpc_port}"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def log_tail(self, lines: int = 40) -> str:
        return tail(self.log_path, lines)

    def environment(self) -> dict[str, str]:
        env = self.ws.server_env()
        env["PATH"] = _venv_path(env)
        env.update(self.extra_env)
        return env

    # -- lifecycle ---------------------------------------------------------------------
    def start(self: Owned) -> Owned:
        """Launch and block until ready; on any failure nothing is left running."""
        if self.running:
            return self
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        # A restarted server appends to its log; only this run's lines may prove readiness.
        self._log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        with open(self.log_path, "ab") as log:
            self._proc = subprocess.Popen(
                self.command, cwd=self.cwd, env=self.environment(), stdin=subprocess.DEVNULL,
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )
        self._watchdog = subprocess.Popen(
            [sys.executable, "-m", "wine_serving.process.watchdog", str(os.getpid()), str(self._proc.pid)],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        with _live_lock:
            _live.add(self)
        try:
            self.wait_ready()
            self._check_ports_are_ours()
        except BaseException:
            self.stop()
            raise
        return self

    def read_log(self) -> str:
        """This run's part of the log."""
        with open(self.log_path, "rb") as handle:
            handle.seek(self._log_offset)
            return handle.read().decode("utf-8", errors="replace")

    def wait_ready(self, timeout: float | None = None) -> None:
        limit = timeout or self.start_timeout
        deadline = time.monotonic() + limit
        while True:
            log = self.read_log()
            # Before the exit check: uvicorn exits on a taken port, MLServer logs it and hangs.
            if BIND_ERRORS.search(log):
                raise PortInUseError(self.bind_error(), tail(self.log_path))
            if self._proc is None or self._proc.poll() is not None:
                code = self._proc.returncode if self._proc else None
                raise ServerStartError(
                    f"{self.kind} exited with code {code} during start-up "
                    f"{self.exit_hint()}.{cause(self.log_path)} Log: {self.log_path}",
                    tail(self.log_path))
            if self.is_ready(log):
                return
            if time.monotonic() > deadline:
                raise ServerStartError(f"{self.kind} was not ready within {limit:g} s; "
                                       f"log: {self.log_path}", tail(self.log_path))
            time.sleep(0.2)

    def _check_ports_are_ours(self) -> None:
        """A port shared with another server is a taken port, though nothing failed to bind.

        grpcio binds with ``SO_REUSEPORT`` by default, so a gRPC server starts on a port another
        such server listens on without an error, and each connection goes to either one: a CI run
        measured a benchmark's gRPC load answered only by errors, with no CPU spent by the server.
        """
        if self.pid is None:
            return
        shared = other_listeners({p for p in (self.port, self.grpc_port, self.metrics_port) if p}, self.pid)
        if shared:
            named = "; ".join(f"port {port}: process(es) {sorted(pids, key=str)}"
                              for port, pids in shared.items())
            raise PortInUseError(f"A port of {self.kind} is also served by another process ({named}): "
                                 "clients would reach either one.", tail(self.log_path))

    def exit_hint(self) -> str:
        return ""

    def bind_error(self) -> str:
        """The sentence for a taken port; servers with several ports name them all."""
        return f"{self.kind} could not bind port {self.port} on {self.host}: another process is using it."

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

    def __enter__(self: Owned) -> Owned:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


@atexit.register
def _stop_all() -> None:
    with _live_lock:
        servers = list(_live)
    for server in servers:
        server.stop(grace=5.0)
