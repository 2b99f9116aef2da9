"""Registry lookups: find what MLflow logged by asking MLflow, never by listing folders.

MLflow 3 tracks in a database and stores a logged model under
``<artifact root>/<experiment>/models/m-<id>/artifacts``, not under the run's folder,
so the seed's ``ls -td ./mlruns/0/*`` finds nothing useful any more. Every lookup
here goes through ``MlflowClient`` and works the same against a remote server.
"""

from __future__ import annotations

import io
from contextlib import redirect_stderr
from pathlib import Path
from urllib.parse import unquote, urlparse

from wine_serving.tracking import ensure_store
from wine_serving.training import (
    DATAFRAME_KIND,
    DEFAULT_ALPHA,
    DEFAULT_L1_RATIO,
    DICT_KIND,
    KIND_TAG,
    MODEL_NAME,
    REGISTERED_NAMES,
    TENSOR_KIND,
    TrainingResult,
    log_named_tensor_model,
    require_kind,
    train_elasticnet,
)
from wine_serving.workspace import Workspace, get_workspace


def _client(ws: Workspace):
    """A client on the workspace's store; reading leaves MLflow's process-wide URI alone."""
    from mlflow.tracking import MlflowClient

    return MlflowClient(ensure_store(ws))


def version_model_id(version) -> str:
    """The logged model (``m-<id>``) behind a registered version.

    ``ModelVersion.model_id`` comes back empty from the sqlite store in MLflow 3.17,
    while ``source`` reliably reads ``models:/m-<id>``; use whichever is set.
    """
    if getattr(version, "model_id", None):
        return version.model_id
    source = str(version.source)
    if source.startswith("models:/m-"):
        return source.removeprefix("models:/")
    raise ValueError(f"Version {version.version} of {version.name} has no logged model ({source}).")


def logged_model_dir(model_id: str, ws: Workspace | None = None) -> Path:
    """The local folder holding ``MLmodel`` for a logged model, as MLflow reports it."""
    ws = ws or get_workspace()
    location = _client(ws).get_logged_model(model_id).artifact_location
    parsed = urlparse(location)
    if parsed.scheme not in ("", "file"):
        raise ValueError(
            f"Model {model_id} is stored at {location}, not on this machine's disk; "
            "use a models:/ or runs:/ URI instead of a local path."
        )
    return Path(unquote(parsed.path))


def model_uris(result: TrainingResult, ws: Workspace | None = None) -> dict[str, str]:
    """Every URI form that names the same model, keyed by a short label."""
    uris = {
        "local path": str(logged_model_dir(result.model_id, ws)),
        "runs:/": f"runs:/{result.run_id}/model",
        "models:/m-<id>": f"models:/{result.model_id}",
    }
    if result.registered_name and result.registered_version:
        uris["models:/<name>/<version>"] = result.registered_uri
    return uris


def result_from_version(version, ws: Workspace | None = None) -> TrainingResult:
    """Rebuild what training reported from a registered version and its run."""
    ws = ws or get_workspace()
    run = _client(ws).get_run(version.run_id)
    metrics, params = run.data.metrics, run.data.params
    model_id = version_model_id(version)
    return TrainingResult(
        run_id=version.run_id,
        model_id=model_id,
        model_uri=f"models:/{model_id}",
        registered_name=version.name,
        registered_version=str(version.version),
        rmse=metrics["rmse"], mae=metrics["mae"], r2=metrics["r2"],
        alpha=float(params["alpha"]), l1_ratio=float(params["l1_ratio"]),
        kind=run.data.tags.get(KIND_TAG, DATAFRAME_KIND),
    )


def find_version(name: str = MODEL_NAME, *, alpha: float = DEFAULT_ALPHA,
                 l1_ratio: float = DEFAULT_L1_RATIO, ws: Workspace | None = None):
    """The newest registered version of ``name`` trained with these hyper-parameters, or None.

    "Latest version" is not enough: ``07`` registers better versions of the same
    model, and the other notebooks quote figures of the baseline.
    """
    ws = ws or get_workspace()
    client = _client(ws)
    for version in sorted(client.search_model_versions(f"name = '{name}'"),
                          key=lambda v: int(v.version), reverse=True):
        params = client.get_run(version.run_id).data.params
        if (float(params.get("alpha", "nan")) == alpha
                and float(params.get("l1_ratio", "nan")) == l1_ratio):
            return version
    return None


def ensure_model(kind: str = DATAFRAME_KIND, ws: Workspace | None = None, *,
                 alpha: float = DEFAULT_ALPHA, l1_ratio: float = DEFAULT_L1_RATIO) -> TrainingResult:
    """A registered tutorial model of ``kind`` with these hyper-parameters; trains one only if none exists.

    Holds a workspace lock, so notebooks running in parallel on one workspace train
    once between them instead of racing to register duplicates.
    """
    ws = ws or get_workspace()
    require_kind(kind)
    # The named-tensor model wraps the tensor model: make sure that one exists first.
    tensor_model = ensure_model(TENSOR_KIND, ws, alpha=alpha, l1_ratio=l1_ratio) \
        if kind == DICT_KIND else None
    with ws.lock(f"ensure-{kind}"):
        version = find_version(REGISTERED_NAMES[kind], alpha=alpha, l1_ratio=l1_ratio, ws=ws)
        if version is not None:
            return result_from_version(version, ws)
        # MLflow prints "Successfully registered model ..." to stderr; in a lesson that
        # only needs the model, that line is noise (01 shows it where it is the lesson).
        with redirect_stderr(io.StringIO()):
            if tensor_model is not None:
                return log_named_tensor_model(tensor_model, ws=ws)
            return train_elasticnet(alpha, l1_ratio, kind=kind, ws=ws)
