"""A server that rejects bad input itself: MLServer's MLflow runtime plus a request check.

The stock ``mlserver_mlflow.MLflowRuntime`` answers data errors on V2 infer with HTTP 500 and a
long message, and silently ignores inputs the model does not know. This runtime
loads the model the same way and, before predicting, checks each request against the
model's own metadata with the same rules as the helper's client
(``validation.validate_request``): unknown, misspelled or missing inputs, a wrong
datatype, strings in numeric inputs, shape and data that disagree, non-finite
values, too many rows. A violation is an HTTP 400 whose message is one sentence
naming the input and the fix; valid requests are predicted by ``MLflowRuntime``
unchanged.

``/invocations`` (MLflowRuntime's MLflow-compatible custom handler) calls the model
itself, not ``predict``. MLflow's own signature check already answers a wrong column
there with a 400; what the stock handler lets escape as a 500 (a body without one of
MLflow's four format keys, any other ``MlflowException`` while reading the body)
becomes a 400 here too, with a one-sentence message.

``model-settings.json`` names it by import path; the server must be able to import
``wine_serving`` (installed in the same environment)::

    {"name": "wine-classifier",
     "implementation": "wine_serving.servers.strict_runtime.StrictMLflowRuntime",
     "parameters": {"uri": "models:/ElasticnetWineModel/1", "extra": {"max_rows": 100000}}}
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from fastapi import Depends, Header, Request, Response
from mlflow.exceptions import MlflowException
from mlserver.errors import InferenceError
from mlserver.handlers import custom_handler
from mlserver.types import InferenceRequest, InferenceResponse, MetadataTensor
from mlserver_mlflow import MLflowRuntime

from wine_serving.errors import RequestValidationError
from wine_serving.validation import INVOCATION_FORMATS, MAX_ROWS, validate_request


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


def _columns_sent(body: dict[str, Any], key: str) -> list[str] | None:
    """The column names a JSON /invocations body carries, or None when it names none."""
    data = body[key]
    if key == "dataframe_split" and isinstance(data, dict):
        return [str(c) for c in data.get("columns") or []] or None
    if isinstance(data, list) and data and isinstance(data[0], dict):
        return [str(c) for c in data[0]]
    if isinstance(data, dict):
        return [str(c) for c in data]
    return None


def check_invocations_body(raw_body: str, columns: Sequence[str] | None) -> None:
    """Raise a 400 when a JSON /invocations body cannot be what the model takes.

    Exactly one of MLflow's four format keys (the stock handler lets this escape as a 500
    whose message lists the keys in set order, different per process); and, for a model
    with named columns, exactly those columns (the stock answer to a missing one is a 400
    that prints the whole frame and never names the column; an extra one is ignored).
    """
    try:
        body = json.loads(raw_body)
    except ValueError:
        return  # not JSON: MLflow's parser answers it
    if not isinstance(body, dict):
        return
    found = [key for key in INVOCATION_FORMATS if key in body]
    if len(found) != 1:
        raise InferenceError(
            f"The /invocations body must hold exactly one of {', '.join(INVOCATION_FORMATS)} "
            f"(got keys: {', '.join(sorted(map(str, body))) or 'none'}).")
    sent = _columns_sent(body, found[0])
    if not columns or sent is None:
        return
    missing = [c for c in columns if c not in sent]
    unknown = [c for c in sent if c not in columns]
    if missing or unknown:
        problems = ([f"missing {', '.join(missing)}"] if missing else []) + (
            [f"unknown {', '.join(unknown)}"] if unknown else [])
        raise InferenceError(f"The /invocations body has {' and '.join(problems)}; "
                             f"send exactly the model's {len(columns)} columns: {', '.join(columns)}.")


async def _raw_body(request: Request) -> str:
    """The body as text, as the stock handler receives it (its own dependency is private)."""
    return (await request.body()).decode("utf-8")


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

    # Re-registered under the same path: MLServer finds custom handlers by this decorator's
    # mark on the method, so an undecorated override would remove the endpoint.
    @custom_handler(rest_path="/invocations")
    async def invocations(self, raw_body: str = Depends(_raw_body),
                          content_type: str = Header(default="")) -> Response:
        # The check parses the JSON once more than the stock handler does, which takes the raw text:
        # the price of checking before MLflow without rewriting its handler.
        if content_type.split(";")[0].strip() == "application/json":
            schema = self._input_schema
            names = schema.input_names() if schema is not None and schema.has_input_names() else None
            check_invocations_body(raw_body, [str(n) for n in names] if names else None)
        try:
            return await super().invocations(raw_body, content_type)
        except MlflowException as exc:
            first = exc.message.strip().split("\n")[0]
            raise InferenceError(f"MLflow could not read the /invocations body: {first}") from None
