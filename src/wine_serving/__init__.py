"""Helpers for the zh-TW tutorial on serving MLflow models with MLServer.

The notebooks keep the lesson (MLflow calls, settings, V2 requests) visible; this
package holds the plumbing a reader should not have to retype: paths, data download,
process ownership, request validation.
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
