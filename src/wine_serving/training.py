"""Train the seed's ElasticNet and log it to MLflow the way a server can use it.

Two fixes over the seed: the signature's output is inferred from the model's
predictions (the seed used ``train_y``, so MLServer advertised INT64 while the model
returns doubles), and two more variants exist, one per request family the MLflow
runtime decodes: a tensor signature (one float32 array, ``NumpyCodec``, ``np``) and a
signature of named tensors (``TensorDictCodec``, ``dict``).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from wine_serving.data import FEATURES, load_wine_quality, split_wine_quality
from wine_serving.tracking import using_workspace_store
from wine_serving.workspace import Workspace, get_workspace

MODEL_NAME = "ElasticnetWineModel"
TENSOR_MODEL_NAME = "ElasticnetWineTensorModel"
KIND_TAG = "wine_serving.kind"
DATAFRAME_KIND = "dataframe"
TENSOR_KIND = "tensor"
DICT_KIND = "dict"
DICT_MODEL_NAME = "ElasticnetWineTensorDictModel"
REGISTERED_NAMES = {DATAFRAME_KIND: MODEL_NAME, TENSOR_KIND: TENSOR_MODEL_NAME,
                    DICT_KIND: DICT_MODEL_NAME}
# The named-tensor variant takes the features in two named blocks: the acids, the rest.
NAMED_TENSORS: dict[str, tuple[str, ...]] = {"acids": FEATURES[:3], "others": FEATURES[3:]}
# An MLflow "model from code" file: copied into the model, run when the model loads.
NAMED_TENSOR_MODEL_CODE = Path(__file__).with_name("named_tensor_model.py")
# MLflow 3.17 asks PythonModel.predict for type hints, and supports none that say
# "dict of named arrays"; the signature is given explicitly instead, so this one
# warning carries no information here.
TYPE_HINT_WARNING = "Add type hints to the `predict` method"
TENSOR_DTYPE = np.float32
# The seed's hyper-parameters: the baseline every notebook's figures refer to.
DEFAULT_ALPHA = 0.5
DEFAULT_L1_RATIO = 0.5
REQUIREMENTS = ("mlflow", "numpy", "pandas", "scikit-learn", "scipy", "skops")


@dataclass(frozen=True)
class TrainingResult:
    """What a notebook needs after training: where the model is and how good it is."""

    run_id: str
    model_id: str
    model_uri: str
    registered_name: str | None
    registered_version: str | None
    rmse: float
    mae: float
    r2: float
    alpha: float
    l1_ratio: float
    kind: str

    @property
    def registered_uri(self) -> str:
        """``models:/<name>/<version>``: what a ``model-settings.json`` should name."""
        if not (self.registered_name and self.registered_version):
            raise ValueError(f"Run {self.run_id} logged a model that was not registered.")
        return f"models:/{self.registered_name}/{self.registered_version}"


def eval_metrics(actual: np.ndarray | pd.DataFrame, pred: np.ndarray) -> tuple[float, float, float]:
    """RMSE, MAE and R², as the seed reports them."""
    from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score

    rmse = float(np.sqrt(mean_squared_error(actual, pred)))
    return rmse, float(mean_absolute_error(actual, pred)), float(r2_score(actual, pred))


def pip_requirements() -> list[str]:
    """The model's requirements, pinned to what is installed here.

    Passing them explicitly skips MLflow's requirement inference, which re-imports
    the model in a subprocess and costs about 5 s per logged model on this machine.
    """
    from importlib.metadata import version

    return [f"{pkg}=={version(pkg)}" for pkg in REQUIREMENTS]


def require_kind(kind: str, allowed: tuple[str, ...] = tuple(REGISTERED_NAMES)) -> str:
    """The one check of a model ``kind``, so every entry point refuses a typo in the same words."""
    if kind not in allowed:
        raise ValueError(f"kind must be one of {list(allowed)}, not {kind!r}")
    return kind


def to_tensor(frame: pd.DataFrame) -> np.ndarray:
    """The tensor model's input: features in signature order as one float32 array."""
    return frame[list(FEATURES)].to_numpy(dtype=TENSOR_DTYPE)


@contextmanager
def without_type_hint_warning() -> Iterator[None]:
    """Drop MLflow's "Add type hints" warning inside the block; show every other warning.

    A ``warnings.filterwarnings`` rule cannot do it: MLflow wraps the check in its own
    ``"once"`` filter, which is consulted before ours. Recording the block's warnings
    and showing again all but that one can.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        yield
    for item in caught:
        if TYPE_HINT_WARNING not in str(item.message):
            warnings.showwarning(item.message, item.category, item.filename, item.lineno)


def to_named_tensors(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """The named-tensor model's input: one float32 block per name in ``NAMED_TENSORS``."""
    return {name: frame[list(columns)].to_numpy(dtype=TENSOR_DTYPE)
            for name, columns in NAMED_TENSORS.items()}


def _named_tensor_signature():
    """Two named float32 tensors in, one float32 tensor out (what the ElasticNet returns)."""
    from mlflow.models import ModelSignature
    from mlflow.types import Schema, TensorSpec

    dtype = np.dtype(TENSOR_DTYPE)
    inputs = Schema([TensorSpec(dtype, (-1, len(columns)), name)
                     for name, columns in NAMED_TENSORS.items()])
    return ModelSignature(inputs=inputs, outputs=Schema([TensorSpec(dtype, (-1,))]))


def _result(run, info, name: str | None, metrics: tuple[float, float, float], alpha: float,
            l1_ratio: float, kind: str) -> TrainingResult:
    """What a training call reports, from MLflow's run and ``log_model`` answer."""
    version = info.registered_model_version
    rmse, mae, r2 = metrics
    return TrainingResult(
        run_id=run.info.run_id, model_id=info.model_id, model_uri=info.model_uri, registered_name=name,
        registered_version=str(version) if version is not None else None,
        rmse=rmse, mae=mae, r2=r2, alpha=alpha, l1_ratio=l1_ratio, kind=kind)


def log_named_tensor_model(tensor_model: TrainingResult, *, register: bool = True,
                           ws: Workspace | None = None) -> TrainingResult:
    """Log the tensor model's ElasticNet again behind a signature of named tensors.

    The estimator is not trained again: the new model carries the registered tensor
    model as an artifact and ``named_tensor_model.py`` as its code, so both variants
    give the same predictions.
    """
    import mlflow
    import mlflow.sklearn

    ws = ws or get_workspace()
    _, test_x, _, test_y = split_wine_quality(load_wine_quality(ws))
    tensors = to_named_tensors(test_x)
    name = DICT_MODEL_NAME if register else None
    with using_workspace_store(ws) as experiment_id, \
            mlflow.start_run(experiment_id=experiment_id, tags={KIND_TAG: DICT_KIND}) as run, \
            without_type_hint_warning():
        estimator = mlflow.sklearn.load_model(tensor_model.registered_uri)
        rmse, mae, r2 = eval_metrics(test_y, estimator.predict(np.hstack(list(tensors.values()))))
        mlflow.log_params({"alpha": tensor_model.alpha, "l1_ratio": tensor_model.l1_ratio})
        mlflow.log_metrics({"rmse": rmse, "mae": mae, "r2": r2})
        info = mlflow.pyfunc.log_model(
            name="model",
            python_model=str(NAMED_TENSOR_MODEL_CODE),
            artifacts={"elasticnet": tensor_model.registered_uri},
            signature=_named_tensor_signature(),
            input_example=to_named_tensors(test_x.head(2)),
            registered_model_name=name,
            pip_requirements=pip_requirements(),
        )
    return _result(run, info, name, (rmse, mae, r2), tensor_model.alpha, tensor_model.l1_ratio, DICT_KIND)


def train_elasticnet(
    alpha: float = DEFAULT_ALPHA,
    l1_ratio: float = DEFAULT_L1_RATIO,
    *,
    kind: str = DATAFRAME_KIND,
    register: bool = True,
    registered_name: str | None = None,
    ws: Workspace | None = None,
) -> TrainingResult:
    """Train, evaluate and log one model; register it unless ``register`` is false.

    The run goes to the workspace's store; MLflow's process-wide tracking URI is the
    same afterwards as before (``using_workspace_store``).

    ``kind="dataframe"`` gives a column-based signature (11 named doubles) that takes
    one named input per column or a ``PandasCodec`` request (both decoded as ``pd``);
    ``kind="tensor"`` gives a ``(-1, 11)`` float32 tensor signature for ``NumpyCodec``
    requests. The named-tensor variant is ``log_named_tensor_model``.
    """
    import mlflow
    import mlflow.sklearn
    from mlflow.models import infer_signature
    from sklearn.linear_model import ElasticNet

    require_kind(kind, (DATAFRAME_KIND, TENSOR_KIND))  # the named-tensor kind: log_named_tensor_model
    ws = ws or get_workspace()
    train_x, test_x, train_y, test_y = split_wine_quality(load_wine_quality(ws))
    if kind == TENSOR_KIND:
        fit_x, eval_x = to_tensor(train_x), to_tensor(test_x)
        fit_y = train_y[train_y.columns[0]].to_numpy()
    else:
        fit_x, eval_x, fit_y = train_x, test_x, train_y
    name = (registered_name or REGISTERED_NAMES[kind]) if register else None

    with using_workspace_store(ws) as experiment_id, \
            mlflow.start_run(experiment_id=experiment_id, tags={KIND_TAG: kind}) as run:
        model = ElasticNet(alpha=alpha, l1_ratio=l1_ratio, random_state=42)
        model.fit(fit_x, fit_y)
        rmse, mae, r2 = eval_metrics(test_y, model.predict(eval_x))
        mlflow.log_params({"alpha": alpha, "l1_ratio": l1_ratio})
        mlflow.log_metrics({"rmse": rmse, "mae": mae, "r2": r2})
        signature = infer_signature(fit_x, model.predict(fit_x))
        info = mlflow.sklearn.log_model(
            model,
            name="model",
            signature=signature,
            input_example=fit_x[:2],
            registered_model_name=name,
            pip_requirements=pip_requirements(),
        )
    return _result(run, info, name, (rmse, mae, r2), alpha, l1_ratio, kind)
