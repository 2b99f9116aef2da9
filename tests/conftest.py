"""Shared fixtures: temporary workspaces, one trained store per worker, real servers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from wine_serving.workspace import HOME_ENV, Workspace, environ


@pytest.fixture()
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    """An empty workspace of this test's own."""
    monkeypatch.setenv(HOME_ENV, str(tmp_path / "ws"))
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    return Workspace(tmp_path / "ws").ensure_dirs()


class TrainedModels(dict):
    """The tutorial's models by kind, each trained (or found) in one workspace the first time a test asks.

    A module that needs only the column model trains only that one (each kind costs seconds)."""

    def __init__(self, ws: Workspace) -> None:
        super().__init__()
        self.ws = ws

    def __missing__(self, kind: str):
        from wine_serving.registry import ensure_model

        self[kind] = ensure_model(kind, self.ws)
        return self[kind]


@pytest.fixture(scope="session")
def trained(tmp_path_factory: pytest.TempPathFactory):
    """A workspace of its own and the tutorial's models in it (column, tensor, named tensors), trained on
    first use, once per test process."""
    root = tmp_path_factory.mktemp("trained")
    with environ(HOME_ENV, str(root)):
        ws = Workspace(root).ensure_dirs()
        yield ws, TrainedModels(ws)


@pytest.fixture(scope="session")
def served(trained) -> Iterator:
    """One real MLServer with the column, tensor and named-tensor models, shared by a worker."""
    from wine_serving.servers.mlserver import serve
    from wine_serving.settings import model_settings

    ws, models = trained
    df, tensor = models["dataframe"], models["tensor"]
    with serve([
        model_settings("wine-classifier", df.registered_uri),
        model_settings("wine-tensor", tensor.registered_uri),
        model_settings("wine-dict", models["dict"].registered_uri),
    ], ws=ws) as server:
        yield server, models


@pytest.fixture(scope="session")
def kserve_served(trained) -> Iterator:
    """The same three models on KServe's V2 server (its own venv, peers/kserve_model.py)."""
    from wine_serving.servers.kserve import KServeServer

    ws, models = trained
    with KServeServer({"wine-classifier": models["dataframe"].registered_uri,
                       "wine-tensor": models["tensor"].registered_uri,
                       "wine-dict": models["dict"].registered_uri}, ws=ws) as server:
        yield server, models


@pytest.fixture(scope="session")
def image_context(trained, tmp_path_factory):
    """The image build context for the trained column model, built once per worker."""
    from wine_serving.deploy import image

    ws, models = trained
    folder = tmp_path_factory.mktemp("image") / "context"
    return ws, models, image.build_context(models["dataframe"].model_uri, ws=ws, folder=folder)
