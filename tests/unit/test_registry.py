"""Finding the logged model through MLflow, and every URI form loading the same model."""

from __future__ import annotations

import numpy as np
import pytest

from tests.helpers import set_tracking_to_workspace
from wine_serving.data import load_wine_quality, split_wine_quality
from wine_serving.registry import (
    ensure_model,
    logged_model_dir,
    model_uris,
)
from wine_serving.workspace import TRACKING_ENV


def test_logged_model_dir_is_mlflow3_layout(trained):
    ws, models = trained
    folder = logged_model_dir(models["dataframe"].model_id, ws)
    assert (folder / "MLmodel").is_file()
    assert (folder / "model.skops").is_file()
    assert folder.parts[-3:] == ("models", models["dataframe"].model_id, "artifacts")
    assert folder.is_relative_to(ws.root)


def test_ensure_model_does_not_retrain(trained):
    ws, models = trained
    again = ensure_model("dataframe", ws)
    assert again.run_id == models["dataframe"].run_id
    assert again.registered_version == models["dataframe"].registered_version
    assert again.rmse == pytest.approx(models["dataframe"].rmse)
    assert again.model_id == models["dataframe"].model_id
    assert again.model_uri == models["dataframe"].model_uri
    assert (logged_model_dir(again.model_id, ws) / "MLmodel").is_file()


def test_every_uri_form_loads_the_same_model(trained):
    import mlflow

    ws, models = trained
    set_tracking_to_workspace(ws)  # in-process MLflow reads this worker's trained store
    uris = model_uris(models["dataframe"], ws)
    assert set(uris) == {"local path", "runs:/", "models:/m-<id>", "models:/<name>/<version>"}
    _, test_x, _, _ = split_wine_quality(load_wine_quality(ws))
    predictions = {label: mlflow.pyfunc.load_model(uri).predict(test_x)
                   for label, uri in uris.items()}
    reference = predictions.pop("local path")
    for label, values in predictions.items():
        np.testing.assert_allclose(values, reference, rtol=1e-12, err_msg=label)


def test_ensure_model_keeps_the_baseline_when_better_versions_exist(workspace):
    from wine_serving.registry import find_version
    from wine_serving.training import train_elasticnet

    baseline = ensure_model("dataframe", workspace)
    better = train_elasticnet(alpha=0.01, l1_ratio=0.5, ws=workspace)
    assert int(better.registered_version) > int(baseline.registered_version)
    again = ensure_model("dataframe", workspace)
    assert again.registered_version == baseline.registered_version and again.alpha == 0.5
    found = find_version(alpha=0.01, l1_ratio=0.5, ws=workspace)
    assert str(found.version) == better.registered_version
    assert find_version(alpha=0.3, l1_ratio=0.3, ws=workspace) is None


def _mlflow_state():
    import os

    import mlflow

    return mlflow.is_tracking_uri_set(), mlflow.get_tracking_uri(), os.environ.get(TRACKING_ENV)


@pytest.mark.parametrize("before", ["never set", "another store"])
def test_no_helper_moves_mlflows_process_wide_store(workspace, tmp_path, before):
    """Reads, ``ensure_*`` (training included) and the image build leave MLflow where it was.

    A notebook that ran after 01-03 found the model without training and then asked
    MLflow's default store (``./mlflow.db`` beside the notebook); a helper that moves
    the store as a side effect makes a notebook behave differently alone and in order.
    """
    import mlflow

    from wine_serving.deploy import image
    from wine_serving.registry import find_version, result_from_version
    from wine_serving.tracking import tracking_server
    from wine_serving.workspace import Workspace

    mlflow.set_tracking_uri(None)
    if before == "another store":
        set_tracking_to_workspace(Workspace(tmp_path / "other").ensure_dirs())
    state = _mlflow_state()
    assert state[0] is (before == "another store")

    trained_now = ensure_model("dict", workspace)  # trains the tensor model, then the dict model
    assert _mlflow_state() == state, "ensure_model (training)"
    column = ensure_model("dataframe", workspace)
    assert _mlflow_state() == state, "ensure_model (training)"
    assert ensure_model("dict", workspace).run_id == trained_now.run_id
    assert _mlflow_state() == state, "ensure_model (found)"
    version = find_version(ws=workspace)
    result_from_version(version, workspace)
    model_uris(column, workspace)
    assert _mlflow_state() == state, "registry reads"
    image.build_context(column.model_uri, ws=workspace, folder=tmp_path / "image")
    assert _mlflow_state() == state, "image.build_context"
    with tracking_server("http://127.0.0.1:1"):
        assert mlflow.get_tracking_uri() == "http://127.0.0.1:1"
    assert _mlflow_state() == state, "tracking_server"
    mlflow.set_tracking_uri(None)
