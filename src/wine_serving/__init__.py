"""Helpers for the zh-TW tutorial on serving MLflow models with MLServer.

The notebooks keep the lesson (MLflow calls, settings, V2 requests) visible; this
package holds the plumbing a reader should not have to retype: paths, data download,
process ownership, request validation.

Where to start reading: the root holds the core path only, flat, in the order notebooks
01-06 walk it: ``workspace`` -> ``tracking`` -> ``data`` -> ``training`` (with
``named_tensor_model``) -> ``registry`` -> ``settings`` -> ``servers.mlserver`` (with
``servers.preflight``; under it ``process`` owns the child processes) -> ``client`` (its rule in
``validation``); ``errors`` is shared and ``plotting`` draws 01's figure. The later lessons live
in sub-packages named for what they hold: ``servers`` (every other server, the strict runtime,
Prometheus, the supervisor), ``traffic`` (bounded load and the bad-request catalogue),
``clients`` (the Triton gRPC client), ``bench`` and ``deploy``. A sub-package's ``__init__``
holds only its docstring. ``docs/architecture.md`` draws the parts, which may import which and
which lessons import each (generated from the notebooks' imports);
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
