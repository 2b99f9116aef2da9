"""MLflow pointed at the workspace's store: created once, switched only inside a block.

``workspace`` knows the paths (``Workspace.tracking_uri`` is the sqlite file under it, or a
team's server named in ``MLFLOW_TRACKING_URI``); this module is what touches MLflow's
process-wide state, each helper saying so in its name or putting it back on exit.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from wine_serving.workspace import TRACKING_ENV, Workspace, environ, get_workspace

EXPERIMENT_NAME = "wine-quality"


def _current_tracking_uri() -> str | None:
    """MLflow's tracking URI, or None when nothing set it (``set_tracking_uri(None)`` restores that)."""
    import mlflow

    return mlflow.get_tracking_uri() if mlflow.is_tracking_uri_set() else None


@contextmanager
def _tracking_uri_within(uri: str, previous: str | None) -> Iterator[None]:
    """MLflow's tracking URI is ``uri`` inside the block and ``previous`` afterwards.

    ``previous`` is read by the caller before it changes ``MLFLOW_TRACKING_URI`` (which MLflow
    also counts as "set").
    """
    import mlflow

    mlflow.set_tracking_uri(uri)
    try:
        yield
    finally:
        mlflow.set_tracking_uri(previous)


@contextmanager
def tracking_server(uri: str) -> Iterator[str]:
    """Within the block, MLflow calls and servers started here use ``uri`` as the store.

    The same as a team member exporting ``MLFLOW_TRACKING_URI``. On exit the variable
    and MLflow's tracking URI are exactly what they were before the block.
    """
    previous = _current_tracking_uri()
    with environ(TRACKING_ENV, uri), _tracking_uri_within(uri, previous):
        yield uri


# MLflow shows a progress bar for every artifact download; in a notebook it is a
# line of text per update. Off unless the reader asks for it.
PROGRESS_BAR_ENV = "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"


def _quiet_mlflow() -> None:
    """MLflow's INFO lines and progress bars off, so a cell shows what its lesson is about.

    MLflow logs "Created version", alembic migrations and input-example checks at INFO
    on stderr; warnings (level WARNING and up) still show. A reader who wants the
    chatter back sets ``logging.getLogger("mlflow").setLevel("INFO")``.
    """
    import logging

    os.environ.setdefault(PROGRESS_BAR_ENV, "false")
    for name in ("mlflow", "alembic"):
        logging.getLogger(name).setLevel(logging.WARNING)


def ensure_store(ws: Workspace | None = None) -> str:
    """The workspace's tracking URI, with its store and the tutorial's experiment created once.

    Changes nothing process-wide, so a registry read can call it freely. Two processes
    creating a fresh sqlite store at the same time crash alembic ("duplicate column
    name: step"); the lock makes the first one build the schema and the rest find it
    done. The experiment keeps its artifacts under the workspace (MLflow's default,
    ``./mlruns`` of the current folder, would dirty the repository).
    """
    from mlflow.tracking import MlflowClient

    _quiet_mlflow()
    ws = ws or get_workspace()
    uri = ws.tracking_uri
    with ws.lock("tracking-store"):
        client = MlflowClient(uri)
        if client.get_experiment_by_name(EXPERIMENT_NAME) is None:
            artifact_location = ws.artifacts_dir.as_uri() if ws.uses_embedded_store else None
            client.create_experiment(EXPERIMENT_NAME, artifact_location=artifact_location)
    return uri


@contextmanager
def using_workspace_store(ws: Workspace | None = None) -> Iterator[str]:
    """Within the block MLflow's fluent API (``start_run``, ``log_model``, ``download_artifacts``)
    uses the workspace's store; afterwards MLflow points exactly where it pointed before.

    Training must use the process-wide tracking URI (``mlflow.sklearn.log_model`` has no
    ``tracking_uri`` argument), but a helper that left it changed would make a notebook
    behave differently alone and after the others. The block yields the experiment id
    for ``mlflow.start_run(experiment_id=...)``, so the active experiment is not touched.
    """
    import mlflow

    uri = ensure_store(ws)
    experiment_id = mlflow.MlflowClient(uri).get_experiment_by_name(EXPERIMENT_NAME).experiment_id
    previous = _current_tracking_uri()
    # MLflow 3 exports the URI to the environment too: environ() puts the variable back.
    with environ(TRACKING_ENV), _tracking_uri_within(uri, previous):
        yield experiment_id
