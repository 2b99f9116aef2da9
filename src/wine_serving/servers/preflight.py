"""Check a model before a server is started for it (every ``MLServer.start``).

MLServer finds out that a model URI is wrong or a model file is damaged only after
it has started, spawned its inference worker and imported MLflow there: seconds later
(notebook 15 prints how many on this machine) it logs the error and exits. Everything checked here is
cheap (a registry lookup, reading ``MLmodel``, opening the skops archive's table
of contents without loading anything) and names the problem in one sentence.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlparse

from wine_serving.errors import ServerStartError
from wine_serving.workspace import TRACKING_ENV, Workspace, get_workspace

MODELS_URI = re.compile(r"^models:/(?P<name>[^/@]+)(?:/(?P<version>[^/]+)|@(?P<alias>.+))?$")


class ModelUnavailableError(ServerStartError):
    """The model a server was told to load cannot be loaded; found before starting it."""


def _resolve_registry(uri: str, tracking_uri: str) -> str | None:
    """The artifact location behind a ``models:/`` URI; raises if MLflow does not know it."""
    from mlflow.exceptions import MlflowException
    from mlflow.tracking import MlflowClient

    match = MODELS_URI.match(uri)
    if not match:
        raise ModelUnavailableError(f"{uri!r} is not a models:/ URI MLflow understands.")
    client = MlflowClient(tracking_uri)
    name, version, alias = match["name"], match["version"], match["alias"]
    try:
        if name.startswith("m-") and not version and not alias:
            return client.get_logged_model(name).artifact_location
        if alias:
            found = client.get_model_version_by_alias(name, alias)
        elif version:
            found = client.get_model_version(name, version)
        else:
            raise ModelUnavailableError(f"{uri!r} names no version or alias (models:/<name>/<version> "
                                        "or models:/<name>@<alias>).")
        source = str(found.source)
        if source.startswith("models:/m-"):
            return client.get_logged_model(source.removeprefix("models:/")).artifact_location
        return source
    except MlflowException as exc:
        raise ModelUnavailableError(
            f"MLflow at {tracking_uri} cannot resolve {uri!r}: {exc.message}") from exc


def _local_folder(location: str | None, base: Path) -> Path | None:
    if location is None:
        return None
    parsed = urlparse(location)
    if parsed.scheme == "file":
        return Path(unquote(parsed.path))
    if parsed.scheme:
        return None  # remote artifacts (mlflow-artifacts:/, s3://): MLServer fetches them itself
    path = Path(location)
    return path if path.is_absolute() else (base / path)


def _check_model_files(folder: Path) -> None:
    """``MLmodel`` is there and parses, and a skops model file is an intact archive."""
    import yaml

    mlmodel = folder / "MLmodel"
    if not mlmodel.is_file():
        raise ModelUnavailableError(f"No MLmodel file in {folder}: this folder is not an MLflow model.")
    try:
        spec = yaml.safe_load(mlmodel.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ModelUnavailableError(f"{mlmodel} is not valid YAML: {exc}") from exc
    sklearn = (spec.get("flavors") or {}).get("sklearn") or {}
    model_file = sklearn.get("pickled_model")
    if model_file and not (folder / model_file).is_file():
        raise ModelUnavailableError(f"MLmodel names {model_file} but {folder / model_file} is missing.")
    if model_file and sklearn.get("serialization_format") == "skops":
        import skops.io

        try:
            skops.io.get_untrusted_types(file=folder / model_file)
        except Exception as exc:  # zipfile.BadZipFile, KeyError, JSON errors
            raise ModelUnavailableError(
                f"{folder / model_file} is damaged ({type(exc).__name__}: {exc}); "
                "log the model again or restore the file.") from exc


def check_model(uri: str, *, base: Path, ws: Workspace | None = None,
                env: dict[str, str] | None = None) -> None:
    """Raise ``ModelUnavailableError`` if a server could not load ``uri``.

    ``base`` is the folder of the ``model-settings.json``, against which MLServer
    resolves relative paths; ``env`` is the server's extra environment, whose
    ``MLFLOW_TRACKING_URI`` is the registry the server will ask.
    """
    ws = ws or get_workspace()
    tracking = (env or {}).get(TRACKING_ENV) or ws.tracking_uri  # the workspace reads the environment
    if uri.startswith("models:/"):
        location = _resolve_registry(uri, tracking)
    elif uri.startswith(("runs:/", "mlflow-artifacts:/")) or re.match(r"^[a-z0-9+]+://", uri) and \
            not uri.startswith("file://"):
        return  # resolved by MLflow inside the server; nothing cheap to check here
    else:
        location = uri
    folder = _local_folder(location, base)
    if folder is not None:
        if not folder.exists():
            raise ModelUnavailableError(f"Model folder {folder} does not exist (from {uri!r}).")
        _check_model_files(folder)
