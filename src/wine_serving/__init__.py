"""Helpers for the zh-TW tutorial on serving MLflow models with MLServer.

The notebooks keep the lesson (MLflow calls, settings, V2 requests) visible; this
package holds the plumbing a reader should not have to retype: paths, data download,
process ownership, request validation.

Where to start reading: the core path, flat, in the order notebooks 01-06 walk it:
``workspace`` -> ``data`` -> ``training`` (with ``named_tensor_model``) -> ``registry``
-> ``settings`` -> ``servers.mlserver`` (with ``servers.preflight``) -> ``client`` (its rule in
``validation``); ``errors`` is shared.
Under ``servers`` sits ``process`` (owning child processes). The later lessons add
``servers.mlflow``, ``traffic`` (bounded load), ``bench``, ``deploy``, ``bad_requests``,
``strict_runtime`` (a server that checks requests itself), ``servers.kserve``,
``monitoring`` and ``plotting``. ``docs/architecture.md`` draws the parts, which may
import which and which lessons import each (generated from the notebooks' imports);
``tests/unit/test_architecture.py`` holds them to it.
"""

from wine_serving.errors import (
    DataUnavailableError,
    RequestValidationError,
    ServerStartError,
    WineServingError,
)
from wine_serving.workspace import Workspace, get_workspace

__all__ = [
    "DataUnavailableError",
    "RequestValidationError",
    "ServerStartError",
    "WineServingError",
    "Workspace",
    "get_workspace",
]
__version__ = "0.1.0"
