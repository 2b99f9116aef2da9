"""``mlserver start <folder>``, owned until it is stopped, whatever happens.

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

from pathlib import Path
from typing import Any

from wine_serving.errors import ServerStartError
from wine_serving.process.logs import last_exception, tail
from wine_serving.process.managed import (
    DEFAULT_START_TIMEOUT,
    ManagedProcess,
    executable,
    start_on_free_ports,
    v2_ready,
)
from wine_serving.process.ports import free_ports
from wine_serving.settings import (
    MODEL_SETTINGS_FILE,
    SETTINGS_FILE,
    prepare_repository,
    read_json,
    server_settings,
)
from wine_serving.workspace import Workspace, get_workspace

# MLServer logs this once a model failed, then spends about a second shutting down.
LOAD_FAILED = "Some of the models failed to load during startup!"


class MLServer(ManagedProcess):
    """One ``mlserver start <repository>`` process group, owned by this Python process.

    Use it as a context manager in scripts and tests, or call ``start()`` and
    ``stop()`` in a notebook where the server spans several cells; either way it
    is stopped at interpreter exit and by the watchdog if this process is killed.
    """

    kind = "mlserver"

    def __init__(self, repository: Path, *, ws: Workspace | None = None,
                 start_timeout: float = DEFAULT_START_TIMEOUT,
                 env: dict[str, str] | None = None, log_name: str = "mlserver",
                 preflight: bool = True, mlserver: str | None = None) -> None:
        """``mlserver`` is another environment's command (an image's, rebuilt in a venv by the
        tests); by default the one installed beside this Python."""
        self.repository = Path(repository).resolve()
        self.mlserver = mlserver
        settings = read_json(self.repository / SETTINGS_FILE)
        self.host: str = settings.get("host", "0.0.0.0")
        self.http_port: int = int(settings.get("http_port", 8080))
        self.grpc_port: int = int(settings.get("grpc_port", 8081))
        self.metrics_port: int = int(settings.get("metrics_port", 8082))
        # MLServer loads every model-settings.json below the repository; ready means all of them.
        self.model_names = sorted(read_json(p).get("name", p.parent.name)
                                  for p in self.repository.rglob(MODEL_SETTINGS_FILE))
        self.preflight = preflight
        # The port in the log's name tells apart servers a notebook starts side by side.
        super().__init__(ws=ws, start_timeout=start_timeout, env=env,
                         log_name=f"{log_name}-{self.http_port}")

    # -- addresses -------------------------------------------------------------------
    @property
    def port(self) -> int:
        return self.http_port

    @property
    def metrics_url(self) -> str:
        return f"http://{self.client_host}:{self.metrics_port}/metrics"

    @property
    def command(self) -> list[str]:
        """What is run: exactly the ``mlserver start <folder>`` a reader would type."""
        return [self.mlserver or executable("mlserver"), "start", str(self.repository)]

    @property
    def cwd(self) -> Path:
        return self.repository

    def start(self) -> MLServer:
        """Check every MLflow model first (see ``preflight``), then launch and wait until ready."""
        if self.preflight and not self.running:
            self.check_models()
        return super().start()

    def check_models(self) -> None:
        """Fail in well under a second for a wrong URI or a damaged file, instead of seconds later."""
        from wine_serving.servers.preflight import check_model
        from wine_serving.settings import MLFLOW_RUNTIME

        for path in sorted(self.repository.rglob(MODEL_SETTINGS_FILE)):
            content = read_json(path)
            uri = (content.get("parameters") or {}).get("uri")
            if content.get("implementation") == MLFLOW_RUNTIME and uri:
                check_model(uri, base=path.parent, ws=self.ws, env=self.extra_env)

    # -- readiness -------------------------------------------------------------------
    def exit_hint(self) -> str:
        return "(often a model that failed to load)"

    def _ours_listening(self, log: str) -> bool:
        return f"Uvicorn running on http://{self.host}:{self.http_port}" in log

    def bind_error(self) -> str:
        return (f"mlserver could not bind one of its ports on {self.host} "
                f"(http {self.http_port}, grpc {self.grpc_port}, metrics {self.metrics_port}): "
                "another process is using it.")

    def is_ready(self, log: str) -> bool:
        """Ready means: our own listener is up, and health says 200 for the server and each model."""
        failed_at = log.find(LOAD_FAILED)
        found = last_exception(log[failed_at:]) if failed_at >= 0 else None
        if found:  # the traceback with the cause follows the marker line
            raise ServerStartError(f"mlserver could not load a model: {found} Log: {self.log_path}",
                                   tail(self.log_path))
        return self._ours_listening(log) and v2_ready(self.url, self.model_names)

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
          ws: Workspace | None = None, attempts: int = 3, env: dict[str, str] | None = None,
          start_timeout: float = DEFAULT_START_TIMEOUT, **settings: Any) -> MLServer:
    """Write a repository with free loopback ports for ``models`` and start a server on it.

    Free ports are chosen just before launch, and another process can still take
    one in between; a ``PortInUseError`` then leads to new ports, up to ``attempts``.
    ``env`` is added to the server's environment (for example ``MLFLOW_TRACKING_URI``
    to load ``models:/`` URIs from a team's tracking server).
    """
    ws = ws or get_workspace()
    repository = Path(repository or repository_for(name, ws))

    def make() -> MLServer:
        http_port, grpc_port, metrics_port = free_ports(3)
        prepare_repository(repository, server_settings(http_port, grpc_port, metrics_port,
                                                       **settings), models)
        return MLServer(repository, ws=ws, log_name=name, env=env, start_timeout=start_timeout)

    return start_on_free_ports(make, attempts)
