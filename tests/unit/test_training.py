"""Training: the seed's RMSE, a signature that tells the truth, the tensor variant."""

from __future__ import annotations

import numpy as np
import pytest

from tests.helpers import set_tracking_to_workspace
from wine_serving.data import FEATURES
from wine_serving.registry import ensure_model
from wine_serving.training import MODEL_NAME, TENSOR_MODEL_NAME, train_elasticnet


def test_default_model_matches_the_seed(trained):
    ws, models = trained
    result = models["dataframe"]
    assert result.rmse == pytest.approx(0.793, abs=0.001)
    assert result.registered_name == MODEL_NAME
    assert (result.alpha, result.l1_ratio) == (0.5, 0.5)


def test_signature_output_is_what_the_model_returns(trained):
    import mlflow

    ws, models = trained
    set_tracking_to_workspace(ws)  # in-process MLflow reads this worker's trained store
    info = mlflow.models.get_model_info(models["dataframe"].model_uri)
    inputs = info.signature.inputs.to_dict()
    assert [c["name"] for c in inputs] == list(FEATURES)
    assert {c["type"] for c in inputs} == {"double"}
    (output,) = info.signature.outputs.to_dict()
    # The seed inferred it from train_y (int64); the model returns doubles.
    assert output["tensor-spec"]["dtype"] == "float64"


def test_tensor_variant_has_a_float32_tensor_signature(trained):
    import mlflow

    ws, models = trained
    set_tracking_to_workspace(ws)  # in-process MLflow reads this worker's trained store
    result = models["tensor"]
    assert result.registered_name == TENSOR_MODEL_NAME
    assert result.rmse == pytest.approx(0.793, abs=0.001)
    info = mlflow.models.get_model_info(result.model_uri)
    (spec,) = info.signature.inputs.to_dict()
    assert spec["type"] == "tensor"
    assert spec["tensor-spec"]["dtype"] == "float32"
    assert list(spec["tensor-spec"]["shape"]) == [-1, 11]


def test_params_and_metrics_are_logged(trained):
    from mlflow.tracking import MlflowClient

    ws, models = trained
    run = MlflowClient(ws.tracking_uri).get_run(models["dataframe"].run_id)
    assert run.data.params == {"alpha": "0.5", "l1_ratio": "0.5"}
    assert set(run.data.metrics) == {"rmse", "mae", "r2"}
    assert run.data.metrics["rmse"] == pytest.approx(models["dataframe"].rmse)


def test_other_hyper_parameters_and_no_registration(workspace):
    result = train_elasticnet(alpha=0.1, l1_ratio=0.9, register=False, ws=workspace)
    assert result.registered_version is None
    assert result.rmse < 0.79  # weaker regularisation fits this data better
    assert np.isfinite([result.mae, result.r2]).all()


def test_unknown_kind_is_refused(workspace):
    with pytest.raises(ValueError, match="kind must be one of"):
        train_elasticnet(kind="images", ws=workspace)
    with pytest.raises(ValueError, match="kind must be one of"):  # the same words from the registry
        ensure_model("images", ws=workspace)
    with pytest.raises(ValueError, match="kind must be one of"):  # dict: log_named_tensor_model
        train_elasticnet(kind="dict", ws=workspace)


def test_named_tensor_variant_wraps_the_tensor_model(trained):
    """The ``dict`` family's model: two named float32 tensors, same answers as the tensor model."""
    import mlflow

    from wine_serving.data import load_wine_quality, split_wine_quality
    from wine_serving.registry import ensure_model
    from wine_serving.training import (
        DICT_MODEL_NAME,
        NAMED_TENSORS,
        to_named_tensors,
        to_tensor,
        without_type_hint_warning,
    )

    ws, models = trained
    set_tracking_to_workspace(ws)  # in-process MLflow reads this worker's trained store
    result = ensure_model("dict", ws)
    assert result.registered_name == DICT_MODEL_NAME and result.kind == "dict"
    assert ensure_model("dict", ws).registered_version == result.registered_version  # found, not logged again
    specs = mlflow.models.get_model_info(result.registered_uri).signature.inputs.to_dict()
    assert [(s["name"], s["tensor-spec"]["dtype"], list(s["tensor-spec"]["shape"])) for s in specs] == [
        ("acids", "float32", [-1, 3]), ("others", "float32", [-1, 8])]
    assert sum(map(len, NAMED_TENSORS.values())) == len(FEATURES)
    _, test_x, _, _ = split_wine_quality(load_wine_quality(ws))
    with without_type_hint_warning():
        wrapped = mlflow.pyfunc.load_model(result.registered_uri).predict(to_named_tensors(test_x))
    plain = mlflow.pyfunc.load_model(models["tensor"].registered_uri).predict(to_tensor(test_x))
    np.testing.assert_array_equal(wrapped, plain)
    assert result.rmse == pytest.approx(models["tensor"].rmse)


def test_without_type_hint_warning_keeps_other_warnings():
    import warnings

    from wine_serving.training import TYPE_HINT_WARNING, without_type_hint_warning

    with warnings.catch_warnings(record=True) as shown:
        warnings.simplefilter("always")
        with without_type_hint_warning():
            warnings.warn(f"\x1b[33m{TYPE_HINT_WARNING} to enable data validation\x1b[0m", UserWarning,
                          stacklevel=1)
            warnings.warn("something else", UserWarning, stacklevel=1)
    assert [str(w.message) for w in shown] == ["something else"]


def test_registered_uri_needs_a_registration(workspace):
    result = train_elasticnet(register=False, ws=workspace)
    with pytest.raises(ValueError, match="not registered"):
        result.registered_uri  # noqa: B018


def test_the_model_is_stored_with_skops_not_pickle(trained):
    from wine_serving.registry import logged_model_dir

    ws, models = trained
    folder = logged_model_dir(models["dataframe"].model_id, ws)
    mlmodel = (folder / "MLmodel").read_text()
    assert "serialization_format: skops" in mlmodel
    assert (folder / "model.skops").is_file()
    assert not list(folder.glob("*.pkl")) and not list(folder.glob("*.pickle"))
