"""Serving by alias and rolling a new version out under load: no request may fail."""

from __future__ import annotations

import mlflow
import numpy as np
import pytest
from mlflow import MlflowClient

from wine_serving.client import V2Client, decode_predictions, named_columns
from wine_serving.data import load_wine_quality, split_wine_quality
from wine_serving.registry import ensure_model
from wine_serving.server import serve
from wine_serving.settings import model_settings
from wine_serving.traffic.recorded import BackgroundLoad
from wine_serving.training import train_elasticnet
from wine_serving.workspace import set_tracking_to_workspace

pytestmark = pytest.mark.integration


def test_alias_rollout_under_load_loses_nothing(workspace):
    set_tracking_to_workspace(workspace)  # in-process MLflow reads this test's store
    v1 = ensure_model("dataframe", workspace)
    v2 = train_elasticnet(alpha=0.01, l1_ratio=0.5, ws=workspace)
    registry = MlflowClient(workspace.tracking_uri)
    registry.set_registered_model_alias(v1.registered_name, "champion", v1.registered_version)
    _, test_x, _, _ = split_wine_quality(load_wine_quality(workspace))
    rows = test_x.head(50)
    old = mlflow.pyfunc.load_model(v1.model_uri).predict(rows)
    new = mlflow.pyfunc.load_model(v2.model_uri).predict(rows)
    bodies = [named_columns(rows.iloc[[i]]) for i in range(len(rows))]

    with serve([model_settings("wine", f"models:/{v1.registered_name}@champion")], ws=workspace) as server:
        api = V2Client(server.url, "wine")
        np.testing.assert_allclose(api.predict_dataframe(rows), old)

        def call(session, i):
            response = session.post(api.infer_url, json=bodies[i % len(bodies)], timeout=10)
            response.raise_for_status()
            return float(decode_predictions(response.json())[0])

        load = BackgroundLoad(call, total=600, concurrency=4, max_seconds=30).start()
        registry.set_registered_model_alias(v1.registered_name, "champion", v2.registered_version)
        api.load_model()
        report = load.join()
        after = api.predict_dataframe(rows)

        # unload makes the model unavailable; load brings it back
        api.unload_model()
        assert not api.model_ready()
        assert api.repository_index()[0]["state"] == "UNAVAILABLE"
        api.load_model()
        assert api.model_ready()

    np.testing.assert_allclose(after, new)
    assert report.requests == 600 and report.failures == []
    matched = [np.isclose(s.value, old[s.index % 50]) or np.isclose(s.value, new[s.index % 50])
               for s in report.samples]
    assert all(matched)
