"""Train the seed's ElasticNet and log it to MLflow the way a server can use it.

Two fixes over the seed: the signature's output is inferred from the model's
predictions (the seed used ``train_y``, so MLServer advertised INT64 while the model
returns doubles), and a tensor-signature variant exists, because MLServer's
``NumpyCodec`` requests need a model that takes one float32 array.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from wine_serving.data import FEATURES, load_wine_quality, split_wine_quality
from wine_serving.workspace import Workspace, get_workspace, init_tracking

MODEL_NAME = "ElasticnetWineModel"
TENSOR_MODEL_NAME = "ElasticnetWineTensorModel"
KIND_TAG = "wine_serving.kind"
DATAFRAME_KIND = "dataframe"
TENSOR_KIND = "tensor"
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


def to_tensor(frame: pd.DataFrame) -> np.ndarray:
    """The tensor model's input: features in signature order as one float32 array."""
    return frame[list(FEATURES)].to_numpy(dtype=TENSOR_DTYPE)


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

    ``kind="dataframe"`` gives a column-based signature (11 named doubles) that takes
    dict-of-tensors and pandas requests; ``kind="tensor"`` gives a ``(-1, 11)``
    float32 tensor signature for ``NumpyCodec`` requests.
    """
    import mlflow
    import mlflow.sklearn
    from mlflow.models import infer_signature
    from sklearn.linear_model import ElasticNet

    if kind not in (DATAFRAME_KIND, TENSOR_KIND):
        raise ValueError(f"kind must be {DATAFRAME_KIND!r} or {TENSOR_KIND!r}, not {kind!r}")
    ws = ws or get_workspace()
    init_tracking(ws)
    train_x, test_x, train_y, test_y = split_wine_quality(load_wine_quality(ws))
    if kind == TENSOR_KIND:
        fit_x, eval_x = to_tensor(train_x), to_tensor(test_x)
        fit_y = train_y[train_y.columns[0]].to_numpy()
        default_name = TENSOR_MODEL_NAME
    else:
        fit_x, eval_x, fit_y = train_x, test_x, train_y
        default_name = MODEL_NAME
    name = (registered_name or default_name) if register else None

    with mlflow.start_run(tags={KIND_TAG: kind}) as run:
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
    version = info.registered_model_version
    return TrainingResult(
        run_id=run.info.run_id,
        model_id=info.model_id,
        model_uri=info.model_uri,
        registered_name=name,
        registered_version=str(version) if version is not None else None,
        rmse=rmse, mae=mae, r2=r2, alpha=alpha, l1_ratio=l1_ratio, kind=kind,
    )
