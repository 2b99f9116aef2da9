"""MLflow's own servers, started and owned like MLServer: real processes on 127.0.0.1."""

from __future__ import annotations

import os

import mlflow
import psutil
import pytest

from wine_serving.errors import ServerStartError
from wine_serving.process.ports import free_port
from wine_serving.servers.mlflow import MlflowModelServer, TrackingServer
from wine_serving.tracking import tracking_server
from wine_serving.training import train_elasticnet
from wine_serving.workspace import TRACKING_ENV

pytestmark = pytest.mark.integration


def _gone(pid: int) -> bool:
    return not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE


# mlflow models serve answering like in-process pyfunc is notebook 11's (cell 3): not repeated here.


def test_mlflow_models_serve_bad_uri_fails_clearly(workspace):
    server = MlflowModelServer("models:/NoSuchModel/1", free_port(), ws=workspace)
    with pytest.raises(ServerStartError, match="mlflow models serve exited"):
        server.start()
    assert not server.running


def test_tracking_server_registers_and_serves_artifacts(workspace):
    with TrackingServer(free_port(), ws=workspace) as server:
        before = mlflow.get_tracking_uri()
        with tracking_server(server.url):
            assert os.environ[TRACKING_ENV] == server.url
            result = train_elasticnet(alpha=0.1, l1_ratio=0.1, ws=workspace)
            location = mlflow.MlflowClient().get_logged_model(result.model_id).artifact_location
        assert TRACKING_ENV not in os.environ
        assert mlflow.get_tracking_uri() == before  # exactly where it pointed before the block
        assert location.startswith("mlflow-artifacts:/")
        assert list(server.artifacts_destination.rglob("MLmodel"))
        assert not list(workspace.artifacts_dir.rglob("MLmodel"))  # nothing went to the local store
        pid = server.pid
    assert _gone(pid)


def test_tracking_server_context_restores_a_users_uri(workspace, monkeypatch):
    mlflow.set_tracking_uri(None)  # nothing set in this process: the user's variable decides
    monkeypatch.setenv(TRACKING_ENV, "http://127.0.0.1:1")
    with tracking_server("http://127.0.0.1:2"):
        assert os.environ[TRACKING_ENV] == "http://127.0.0.1:2"
        assert mlflow.get_tracking_uri() == "http://127.0.0.1:2"
    assert os.environ[TRACKING_ENV] == "http://127.0.0.1:1"
    assert mlflow.get_tracking_uri() == "http://127.0.0.1:1"
    mlflow.set_tracking_uri(None)  # MLflow's URI is process-global: leave it unset
    monkeypatch.delenv(TRACKING_ENV, raising=False)
