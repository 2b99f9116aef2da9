"""Shared fixtures: temporary workspaces, one trained store per worker, real servers."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from wine_serving.workspace import HOME_ENV, Workspace


@pytest.fixture()
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    """An empty workspace of this test's own."""
    monkeypatch.setenv(HOME_ENV, str(tmp_path / "ws"))
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    return Workspace(tmp_path / "ws").ensure_dirs()


@pytest.fixture(scope="session")
def trained(tmp_path_factory: pytest.TempPathFactory):
    """A workspace with both tutorial models trained once per test worker."""
    from wine_serving.artifacts import ensure_model
    from wine_serving.training import DATAFRAME_KIND, TENSOR_KIND

    root = tmp_path_factory.mktemp("trained")
    previous = os.environ.get(HOME_ENV)
    os.environ[HOME_ENV] = str(root)
    ws = Workspace(root).ensure_dirs()
    models = {kind: ensure_model(kind, ws) for kind in (DATAFRAME_KIND, TENSOR_KIND)}
    yield ws, models
    if previous is None:
        os.environ.pop(HOME_ENV, None)
    else:
        os.environ[HOME_ENV] = previous


@pytest.fixture(scope="session")
def served(trained) -> Iterator:
    """One real MLServer with the column model and the tensor model, shared by a worker."""
    from wine_serving.server import serve
    from wine_serving.settings import model_settings

    ws, models = trained
    df, tensor = models["dataframe"], models["tensor"]
    with serve([
        model_settings("wine-classifier", f"models:/{df.registered_name}/{df.registered_version}"),
        model_settings("wine-tensor", f"models:/{tensor.registered_name}/{tensor.registered_version}"),
    ], ws=ws) as server:
        yield server, models


@pytest.fixture(autouse=True)
def _mlflow_points_at_the_trained_store(request: pytest.FixtureRequest) -> None:
    """MLflow's current tracking URI is process-global; tests of one worker share it.

    A test that loads ``models:/`` URIs of the shared trained workspace must not
    depend on which workspace the previous test in this worker pointed MLflow at.
    """
    if "trained" in request.fixturenames:
        from wine_serving.workspace import init_tracking

        init_tracking(request.getfixturevalue("trained")[0])
