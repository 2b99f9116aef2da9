"""The image's build context, served by a real MLServer on loopback ports."""

from __future__ import annotations

import json
import shutil

import mlflow
import numpy as np
import pytest

from wine_serving import deploy
from wine_serving.client import V2Client
from wine_serving.data import load_wine_quality, split_wine_quality
from wine_serving.process.ports import LOOPBACK, free_ports
from wine_serving.server import MLServer
from wine_serving.settings import read_json
from wine_serving.workspace import init_tracking

pytestmark = pytest.mark.integration


def test_the_image_context_serves_when_run_locally(image_context, tmp_path):
    """The same folder MLServer will see in the image, on loopback ports instead of 0.0.0.0."""
    ws, models, folder = image_context
    init_tracking(ws)  # in-process MLflow reads this worker's trained store
    local = shutil.copytree(folder, tmp_path / "local")
    settings = read_json(local / "settings.json")
    settings.update(dict(zip(("http_port", "grpc_port", "metrics_port"), free_ports(3)), host=LOOPBACK))
    (local / "settings.json").write_text(json.dumps(settings))
    _, test_x, _, _ = split_wine_quality(load_wine_quality(ws))
    with MLServer(local, ws=ws) as server:
        got = V2Client(server.url, deploy.APP).predict_dataframe(test_x)
    expected = mlflow.pyfunc.load_model(models["dataframe"].model_uri).predict(test_x)
    np.testing.assert_allclose(got, expected)
