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


PARAMS_MODEL = '''\
import mlflow
import pandas as pd


class Scaled(mlflow.pyfunc.PythonModel):
    def predict(self, context, model_input, params=None):
        return pd.DataFrame({"y": model_input["x"] * params["factor"], "label": params["label"]})


mlflow.models.set_model(Scaled())
'''


def test_inference_params_on_mlflow_models_serve_as_on_mlserver(workspace, tmp_path):
    """Notebook 19's inference-param cases, sent to ``/invocations`` of MLflow's own server and of MLServer
    for the same logged model: the same predictions, defaults and silently ignored unknown name; a wrong
    type is 400 on both (MLServer's V2 endpoint, 19 shows, says 500)."""
    import pandas as pd
    import requests
    from mlflow.models import infer_signature

    from wine_serving.servers.mlserver import serve
    from wine_serving.settings import model_settings
    from wine_serving.tracking import using_workspace_store
    from wine_serving.training import without_type_hint_warning

    code = tmp_path / "scaled.py"
    code.write_text(PARAMS_MODEL, encoding="utf-8")
    frame = pd.DataFrame({"x": [1.0, 2.0]})
    defaults = {"factor": 1.0, "label": "none"}
    with using_workspace_store(workspace) as experiment_id, without_type_hint_warning(), \
            mlflow.start_run(experiment_id=experiment_id):
        info = mlflow.pyfunc.log_model(
            name="scaled", python_model=str(code), input_example=(frame, defaults),
            signature=infer_signature(frame, pd.DataFrame({"y": [1.0], "label": ["none"]}), params=defaults))
    split = {"dataframe_split": {"columns": ["x"], "data": [[1.0], [2.0]]}}
    bodies = {
        "factor 2.5": {**split, "params": {"factor": 2.5, "label": "z"}},
        "defaults": split,
        "unknown name": {**split, "params": {"facter": 2.5}},
        "inputs beside params (#1927)": {"inputs": {"x": [1.0, 2.0]}, "params": {"factor": 2.5}},
        "wrong type": {**split, "params": {"factor": "2.5"}},
    }

    def answers(url: str) -> dict[str, tuple[int, object]]:
        out = {}
        for case, body in bodies.items():
            reply = requests.post(f"{url}/invocations", json=body, timeout=30)
            out[case] = (reply.status_code, reply.json().get("predictions"))
        return out

    with MlflowModelServer(info.model_uri, free_port(), ws=workspace) as mlflow_server:
        mlflow_answers = answers(mlflow_server.url)
        wrong_type = requests.post(f"{mlflow_server.url}/invocations", json=bodies["wrong type"],
                                   timeout=30).json()
    mlserver = serve([model_settings("scaled", info.model_uri)], name="params-compare", ws=workspace)
    try:
        mlserver_answers = answers(mlserver.url)
    finally:
        mlserver.stop()
    assert mlflow_answers == mlserver_answers, (mlflow_answers, mlserver_answers)
    assert mlflow_answers["factor 2.5"] == (200, [{"y": 2.5, "label": "z"}, {"y": 5.0, "label": "z"}])
    assert mlflow_answers["defaults"] == mlflow_answers["unknown name"] == (
        200, [{"y": 1.0, "label": "none"}, {"y": 2.0, "label": "none"}])
    assert mlflow_answers["inputs beside params (#1927)"][0] == 200
    assert mlflow_answers["wrong type"] == (400, None)
    assert wrong_type["error_code"] == "INVALID_PARAMETER_VALUE", wrong_type
