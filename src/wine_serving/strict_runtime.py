"""A server that rejects bad input itself: MLServer's MLflow runtime plus a request check (13).

The stock ``mlserver_mlflow.MLflowRuntime`` answers data errors with HTTP 500 and a
long message, and silently ignores inputs the model does not know. This runtime
loads the model the same way and, before predicting, checks each request against the
model's own metadata with the same rules as the helper's client
(``client.validate_request``): unknown, misspelled or missing inputs, a wrong
datatype, strings in numeric inputs, shape and data that disagree, non-finite
values, too many rows. A violation is an HTTP 400 whose message is one sentence
naming the input and the fix; valid requests are predicted by ``MLflowRuntime``
unchanged.

``model-settings.json`` names it by import path; the server must be able to import
``wine_serving`` (installed in the same environment)::

    {"name": "wine-classifier",
     "implementation": "wine_serving.strict_runtime.StrictMLflowRuntime",
     "parameters": {"uri": "models:/ElasticnetWineModel/1", "extra": {"max_rows": 100000}}}
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mlserver.errors import InferenceError
from mlserver.types import InferenceRequest, InferenceResponse, MetadataTensor
from mlserver_mlflow import MLflowRuntime

from wine_serving.client import MAX_ROWS, validate_request
from wine_serving.errors import RequestValidationError


def check_request(request: InferenceRequest, inputs: Sequence[MetadataTensor], content_type: str | None,
                  max_rows: int = MAX_ROWS) -> None:
    """Raise MLServer's ``InferenceError`` (HTTP 400) if the model's metadata says this request fails."""
    metadata: dict[str, Any] = {
        "inputs": [tensor.model_dump(exclude_none=True) for tensor in inputs],
        "parameters": {"content_type": content_type},
    }
    try:
        validate_request(request, metadata, max_rows=max_rows)
    except RequestValidationError as exc:
        raise InferenceError(str(exc)) from None


class StrictMLflowRuntime(MLflowRuntime):
    """``MLflowRuntime`` that checks every V2 request against the model's signature first."""

    @property
    def max_rows(self) -> int:
        """``parameters.extra.max_rows`` in ``model-settings.json``, else the client's limit."""
        parameters = self._settings.parameters
        extra = (parameters.extra if parameters else None) or {}
        return int(extra.get("max_rows", MAX_ROWS))

    async def predict(self, payload: InferenceRequest) -> InferenceResponse:
        parameters = self._settings.parameters
        check_request(payload, self.inputs or [], parameters.content_type if parameters else None,
                      self.max_rows)
        return await super().predict(payload)
