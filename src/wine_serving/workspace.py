"""One place that owns every path a tutorial run creates.

A reader, a test and CI must never write into the repository by accident, so all
run output (MLflow store, artifacts, settings files, logs, downloaded data) sits
under one root that ``WINE_SERVING_HOME`` can move.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

HOME_ENV = "WINE_SERVING_HOME"
TRACKING_ENV = "MLFLOW_TRACKING_URI"
EXPERIMENT_NAME = "wine-quality"


def _repo_root() -> Path:
    """The checkout this package was installed from (editable install)."""
    return Path(__file__).resolve().parents[2]


def default_root() -> Path:
    """``<repo>/workspace`` unless the environment moves it."""
    override = os.environ.get(HOME_ENV)
    if override:
        return Path(override).expanduser().resolve()
    return _repo_root() / "workspace"


@dataclass(frozen=True)
class Workspace:
    """Paths below one root; creating the object creates nothing on disk."""

    root: Path

    @property
    def mlflow_db(self) -> Path:
        return self.root / "mlflow.db"

    @property
    def artifacts_dir(self) -> Path:
        return self.root / "mlartifacts"

    @property
    def serving_dir(self) -> Path:
        """The MLServer model repository (``mlserver start`` points here)."""
        return self.root / "serving"

    @property
    def logs_dir(self) -> Path:
        return self.root / "logs"

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def locks_dir(self) -> Path:
        return self.root / ".locks"

    @property
    def embedded_tracking_uri(self) -> str:
        return f"sqlite:///{self.mlflow_db}"

    @property
    def tracking_uri(self) -> str:
        """A team's tracking server named in the environment wins over the local sqlite file."""
        return os.environ.get(TRACKING_ENV) or self.embedded_tracking_uri

    @property
    def uses_embedded_store(self) -> bool:
        return self.tracking_uri == self.embedded_tracking_uri

    def shorten(self, text: object) -> str:
        """``text`` with this machine's workspace path written as ``workspace``.

        What a notebook prints should read the same on every machine: the reader's
        own ``workspace/…``, not the build machine's temporary folder.
        """
        return str(text).replace(str(self.root), "workspace")

    def ensure_dirs(self) -> Workspace:
        for path in (self.root, self.artifacts_dir, self.serving_dir, self.logs_dir,
                     self.data_dir, self.locks_dir):
            path.mkdir(parents=True, exist_ok=True)
        return self

    @contextmanager
    def lock(self, name: str) -> Iterator[None]:
        """An inter-process lock, so parallel notebooks or test workers take turns."""
        self.locks_dir.mkdir(parents=True, exist_ok=True)
        with open(self.locks_dir / f"{name}.lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def server_env(self) -> dict[str, str]:
        """Environment for child processes: they must see the same tracking store."""
        env = dict(os.environ)
        env[TRACKING_ENV] = self.tracking_uri
        env[HOME_ENV] = str(self.root)
        return env


@contextmanager
def tracking_server(uri: str) -> Iterator[str]:
    """Within the block, MLflow calls and servers started here use ``uri`` as the store.

    The same as a team member exporting ``MLFLOW_TRACKING_URI``. On exit the variable
    is put back and MLflow points at the workspace's store again (the user's own
    ``MLFLOW_TRACKING_URI`` if one was set, else the workspace's sqlite file).
    """
    import mlflow

    previous_env = os.environ.get(TRACKING_ENV)
    os.environ[TRACKING_ENV] = uri
    mlflow.set_tracking_uri(uri)
    try:
        yield uri
    finally:
        mlflow.set_tracking_uri(previous_env or get_workspace().embedded_tracking_uri)
        # mlflow.set_tracking_uri also exports the variable; put back exactly what was there.
        if previous_env is None:
            os.environ.pop(TRACKING_ENV, None)
        else:
            os.environ[TRACKING_ENV] = previous_env


def get_workspace() -> Workspace:
    """The current workspace, with its folders created."""
    return Workspace(default_root()).ensure_dirs()


# MLflow shows a progress bar for every artifact download; in a notebook it is a
# line of text per update. Off unless the reader asks for it.
PROGRESS_BAR_ENV = "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"


def quiet_mlflow() -> None:
    """MLflow's INFO lines and progress bars off, so a cell shows what its lesson is about.

    MLflow logs "Created version", alembic migrations and input-example checks at INFO
    on stderr; warnings (level WARNING and up) still show. A reader who wants the
    chatter back sets ``logging.getLogger("mlflow").setLevel("INFO")``.
    """
    import logging

    os.environ.setdefault(PROGRESS_BAR_ENV, "false")
    for name in ("mlflow", "alembic"):
        logging.getLogger(name).setLevel(logging.WARNING)


def init_tracking(ws: Workspace | None = None) -> str:
    """Point MLflow at the workspace store and create it once, safely.

    Two processes creating a fresh sqlite store at the same time crash alembic
    ("duplicate column name: step"); the lock makes the first one build the schema
    and the rest find it done. Also creates the tutorial's experiment with its
    artifacts under the workspace (MLflow's default would be ``./mlruns`` of the
    current folder, which dirties the repository), and quiets MLflow's INFO logging
    (see ``quiet_mlflow``).
    """
    import mlflow
    from mlflow.tracking import MlflowClient

    quiet_mlflow()
    ws = ws or get_workspace()
    uri = ws.tracking_uri
    user_choice = os.environ.get(TRACKING_ENV)
    mlflow.set_tracking_uri(uri)
    # MLflow 3 also exports the URI to the environment; undo that, or a later
    # workspace (and every child process) would mistake it for the user's choice.
    if user_choice is None:
        os.environ.pop(TRACKING_ENV, None)
    else:
        os.environ[TRACKING_ENV] = user_choice
    with ws.lock("tracking-store"):
        client = MlflowClient(uri)
        experiment = client.get_experiment_by_name(EXPERIMENT_NAME)
        if experiment is None:
            artifact_location = ws.artifacts_dir.as_uri() if ws.uses_embedded_store else None
            client.create_experiment(EXPERIMENT_NAME, artifact_location=artifact_location)
    mlflow.set_experiment(EXPERIMENT_NAME)
    return uri
