"""MLServer's two settings files, checked by MLServer's own pydantic models before writing.

A typo in ``implementation`` or a missing ``uri`` otherwise surfaces only after
``mlserver start``, as a stack trace in a log. Validating with ``Settings`` and
``ModelSettings`` before writing turns that into an error at the line that made it.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from wine_serving.errors import WineServingError
from wine_serving.process.ports import LOOPBACK

MLFLOW_RUNTIME = "mlserver_mlflow.MLflowRuntime"
# The runtime that checks each request itself; a string, so settings never imports it.
STRICT_RUNTIME = "wine_serving.servers.strict_runtime.StrictMLflowRuntime"
SETTINGS_FILE = "settings.json"
# What notebooks 13 (performance) and 15 (faults) measured best for single-row traffic under
# concurrency: adaptive batching (up to 16 requests or 2 ms, whichever comes first), no
# per-request access log, and two inference workers, so that an idle worker's death costs at
# most one request instead of an outage while a new one loads the model (15 measures both).
# Two workers need a probe that performs a real inference and restarts the server when it fails
# (``servers.supervisor`` here, the exec liveness probe of ``deploy.manifests`` in Kubernetes):
# a worker killed while it writes an answer leaves MLServer 1.7.1 (and 1.7.2rc1) failing or
# hanging for good while its health endpoints answer 200 (15 reproduces it). Without such a
# probe, ``parallel_workers: 0`` is the safer choice: a kill stops the whole server, visibly.
RECOMMENDED_SERVER: dict[str, Any] = {"debug": False, "parallel_workers": 2}
RECOMMENDED_MODEL: dict[str, Any] = {"max_batch_size": 16, "max_batch_time": 0.002}
MODEL_SETTINGS_FILE = "model-settings.json"


class SettingsError(WineServingError, ValueError):
    """A settings file MLServer would refuse or fail on."""


def server_settings(
    http_port: int, grpc_port: int, metrics_port: int, *, debug: bool = True,
    host: str = LOOPBACK, **extra: Any,
) -> dict[str, Any]:
    """``settings.json`` content. Loopback by default: a tutorial server is not a public one."""
    return {"debug": debug, "host": host, "http_port": http_port, "grpc_port": grpc_port,
            "metrics_port": metrics_port, **extra}


def model_settings(name: str, uri: str, *, implementation: str = MLFLOW_RUNTIME,
                   parameters_extra: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    """``model-settings.json`` content for one model served by the MLflow runtime.

    ``parameters_extra`` becomes ``parameters.extra``, the free-form dict MLServer hands
    to a runtime (the strict runtime reads ``max_rows`` from it); ``extra`` are top-level
    fields such as ``max_batch_size``.
    """
    parameters: dict[str, Any] = {"uri": uri}
    if parameters_extra is not None:
        parameters["extra"] = dict(parameters_extra)
    return {"name": name, "implementation": implementation, "parameters": parameters, **extra}


def _explain(kind: str, exc: Exception) -> SettingsError:
    return SettingsError(f"Invalid {kind}: {exc}")


def validate_server_settings(content: dict[str, Any]):
    """Parse with MLServer's ``Settings``; returns the parsed object."""
    from mlserver.settings import Settings

    # MLServer's settings models ignore keys they do not know (pydantic extra="ignore"): a typo
    # such as "parallel_worker" would be accepted and do nothing (notebook 03 shows it).
    unknown = sorted(set(content) - set(Settings.model_fields))
    if unknown:
        raise SettingsError(f"Invalid {SETTINGS_FILE}: unknown key(s) {unknown}; MLServer would ignore "
                            "them silently, so the setting would not take effect. Known keys: "
                            "mlserver.settings.Settings.model_fields.")
    try:
        return Settings.model_validate(content)
    except Exception as exc:  # pydantic.ValidationError
        raise _explain(SETTINGS_FILE, exc) from exc


def validate_model_settings(content: dict[str, Any]):
    """Parse with ``ModelSettings`` and import the implementation, as ``mlserver start`` will.

    ``ModelSettings`` resolves ``implementation`` lazily, so a misspelt class passes
    plain validation; touching ``.implementation`` makes the import happen now.
    """
    from mlserver.settings import ModelSettings

    try:
        parsed = ModelSettings.model_validate(content)
        parsed.implementation  # noqa: B018 - imports the runtime class
    except Exception as exc:
        raise _explain(MODEL_SETTINGS_FILE, exc) from exc
    uri = parsed.parameters.uri if parsed.parameters else None
    if content.get("implementation") == MLFLOW_RUNTIME and not uri:
        raise SettingsError(
            f"Invalid {MODEL_SETTINGS_FILE}: model {parsed.name!r} uses {MLFLOW_RUNTIME} "
            "but has no parameters.uri; MLServer would fail to load it."
        )
    return parsed


def _write_json(path: Path, content: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(content, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def write_server_settings(repository: Path, content: dict[str, Any]) -> Path:
    validate_server_settings(content)
    return _write_json(Path(repository) / SETTINGS_FILE, content)


def write_model_settings(repository: Path, content: dict[str, Any]) -> Path:
    """Writes into a folder named after the model, which is also what MLServer expects."""
    validate_model_settings(content)
    return _write_json(Path(repository) / content["name"] / MODEL_SETTINGS_FILE, content)


def read_json(path: Path) -> dict[str, Any]:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def prepare_repository(repository: Path, server: dict[str, Any],
                       models: list[dict[str, Any]]) -> Path:
    """Make ``repository`` hold exactly these models.

    ``mlserver start`` loads every ``model-settings.json`` below its folder, so a
    model folder left from an earlier lesson would be served too. Folders of models
    not listed are removed; nothing else in the folder is touched.
    """
    repository = Path(repository)
    for content in models:
        validate_model_settings(content)
    validate_server_settings(server)
    wanted = {m["name"] for m in models}
    if repository.is_dir():
        for stale in repository.glob(f"*/{MODEL_SETTINGS_FILE}"):
            if stale.parent.name not in wanted:
                shutil.rmtree(stale.parent)
    write_server_settings(repository, server)
    for content in models:
        write_model_settings(repository, content)
    return repository


def repository_tree(repository: Path) -> str:
    """The folder as ``tree`` would print it, for showing a reader what MLServer will see."""
    repository = Path(repository)
    lines = [f"{repository.name}/"]
    for path in sorted(repository.rglob("*")):
        if any(part.startswith(".") for part in path.relative_to(repository).parts):
            continue
        depth = len(path.relative_to(repository).parts)
        lines.append("    " * depth + path.name + ("/" if path.is_dir() else ""))
    return "\n".join(lines)
