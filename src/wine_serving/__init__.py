"""Helpers for the zh-TW tutorial on serving MLflow models with MLServer.

The notebooks keep the lesson (MLflow calls, settings, V2 requests) visible; this
package holds the plumbing a reader should not have to retype: paths, data download,
process ownership, request validation.

Where to start reading: the core path, flat, in the order notebooks 01-05 walk it:
``workspace`` -> ``data`` -> ``training`` (with ``named_tensor_model``) -> ``registry``
-> ``settings`` -> ``server`` (with ``preflight``) -> ``client``; ``errors`` is shared.
Under ``server`` sits ``process`` (owning child processes). The later chapters add
``mlflow_servers`` (07, 09), ``traffic`` (bounded load, 07 and 10-12), ``bench`` (10),
``deploy`` (11), ``bad_requests`` (06, 12), ``strict_runtime`` (13, a server that
checks requests itself) and ``plotting``. ``docs/architecture.md``
draws the parts and which may import which; ``tests/unit/test_architecture.py`` holds
them to it.
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
