"""The two servers MLflow itself ships, owned like MLServer.

* ``mlflow server``: the shared tracking server and model registry a team uses.
  Backed here by its own sqlite file and artifact folder under the workspace, with
  artifact proxying (``--serve-artifacts``), so clients, including MLServer, fetch
  models over HTTP and never touch the server's disk.
* ``mlflow models serve``: MLflow's own scoring server (``/invocations`` only), the
  one MLServer is compared with as a drop-in replacement.
"""

from __future__ import annotations

import sys
from pathlib import Path

from wine_serving.process.managed import DEFAULT_START_TIMEOUT, ManagedProcess, http_ok
from wine_serving.process.ports import LOOPBACK
from wine_serving.workspace import TRACKING_ENV, Workspace


def _mlflow_command() -> list[str]:
    return [sys.executable, "-m", "mlflow"]


class TrackingServer(ManagedProcess):
    """``mlflow server`` on 127.0.0.1 with a sqlite backend and proxied artifacts."""

    kind = "mlflow server"
    # MLflow 3.17.2's server also starts a job runner and seven huey consumer processes for
    # server-side jobs by default (mlflow/server/__init__.py, MLFLOW_SERVER_ENABLE_JOB_EXECUTION in
    # mlflow/environment_variables.py). Nothing here submits jobs; on two cores those processes
    # cost about 16 CPU-seconds per start. Notebook 09 shows and checks this variable.
    SETTINGS_ENV = {"MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}

    def __init__(self, port: int, *, ws: Workspace | None = None, name: str = "tracking-server",
                 start_timeout: float = DEFAULT_START_TIMEOUT) -> None:
        super().__init__(ws=ws, start_timeout=start_timeout, log_name=name)
        self.port = port
        self.home = self.ws.root / name

    @property
    def backend_store_uri(self) -> str:
        return f"sqlite:///{self.home / 'mlflow.db'}"

    @property
    def artifacts_destination(self) -> Path:
        return self.home / "artifacts"

    @property
    def command(self) -> list[str]:
        return [*_mlflow_command(), "server",
                "--backend-store-uri", self.backend_store_uri,
                "--artifacts-destination", str(self.artifacts_destination),
                "--serve-artifacts",
                "--host", LOOPBACK, "--port", str(self.port), "--workers", "1"]

    def environment(self) -> dict[str, str]:
        env = super().environment()
        # The server is the store; it must not point at another tracking URI itself.
        env.pop(TRACKING_ENV, None)
        env.update(self.SETTINGS_ENV)
        return env

    def start(self) -> TrackingServer:
        self.artifacts_destination.mkdir(parents=True, exist_ok=True)
        return super().start()

    def is_ready(self, log: str) -> bool:
        return http_ok(f"{self.url}/health")

    def __repr__(self) -> str:
        return f"TrackingServer({self.url}, pid={self.pid}, running={self.running})"


class MlflowModelServer(ManagedProcess):
    """``mlflow models serve -m <uri> --env-manager local`` on 127.0.0.1.

    ``--env-manager local`` uses this environment instead of building one from the
    model's requirements (which needs the internet). The command then launches
    ``uvicorn`` by name, so the venv's ``bin`` must be on ``PATH``; ``ManagedProcess``
    puts it there, which a kernel started outside the venv would otherwise lack.
    """

    kind = "mlflow models serve"

    def __init__(self, model_uri: str, port: int, *, ws: Workspace | None = None,
                 workers: int = 1, start_timeout: float = DEFAULT_START_TIMEOUT) -> None:
        super().__init__(ws=ws, start_timeout=start_timeout, log_name="mlflow-models-serve")
        self.model_uri = model_uri
        self.port = port
        self.workers = workers

    @property
    def command(self) -> list[str]:
        return [*_mlflow_command(), "models", "serve", "-m", self.model_uri,
                "--env-manager", "local", "--host", LOOPBACK, "--port", str(self.port),
                "--workers", str(self.workers)]

    def is_ready(self, log: str) -> bool:
        return http_ok(f"{self.url}/ping")

    def __repr__(self) -> str:
        return f"MlflowModelServer({self.url}, {self.model_uri}, running={self.running})"
