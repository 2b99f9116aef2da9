"""A small V2 (Open Inference Protocol) client that checks requests before sending (the rule: ``validation``).

MLServer answers most data errors with HTTP 500 and the useful sentence buried at
the end of a long message, and it silently ignores inputs the model does not know.
The model's metadata already says what it accepts, so this client checks a request
against it first and raises an error that names the problem in one sentence.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import requests

from wine_serving.errors import InferenceError, RequestValidationError
from wine_serving.validation import INVOCATION_FORMATS, MAX_ROWS, as_dict, validate_request

__all__ = ["INVOCATION_FORMATS", "MAX_ROWS", "V2Client", "decode_predictions", "invocations_payload",
           "named_columns", "validate_request"]

def decode_predictions(response: Any) -> np.ndarray:
    """The first output of a V2 response as a flat numpy array."""
    from mlserver.codecs import NumpyCodec
    from mlserver.types import InferenceResponse

    parsed = response if isinstance(response, InferenceResponse) else \
        InferenceResponse.model_validate(response)
    return np.asarray(NumpyCodec.decode_output(parsed.outputs[0])).ravel()


def named_columns(frame: pd.DataFrame, datatype: str = "FP64") -> dict[str, Any]:
    """One named input per column, as the seed's hand-written JSON payload does.

    MLServer decodes it as a whole DataFrame (``pd``), so it suits a model with a
    column-based signature; it is not the ``dict`` content type (``TensorDictCodec``).
    """
    return {"inputs": [
        {"name": str(col), "shape": [len(frame), 1], "datatype": datatype,
         "data": frame[col].astype(float).tolist()}
        for col in frame.columns
    ]}


def invocations_payload(frame: pd.DataFrame, fmt: str = "dataframe_split") -> dict[str, Any]:
    """A body for MLflow's scoring protocol (``/invocations``) in one of its four formats."""
    if fmt == "dataframe_split":
        return {"dataframe_split": frame.to_dict(orient="split", index=False)}
    if fmt == "dataframe_records":
        return {"dataframe_records": frame.to_dict(orient="records")}
    if fmt == "instances":
        return {"instances": frame.to_dict(orient="records")}
    if fmt == "inputs":
        return {"inputs": frame.to_dict(orient="list")}
    raise RequestValidationError(
        f"Unknown /invocations format {fmt!r}; use one of {list(INVOCATION_FORMATS)}.")


class V2Client:
    """Talks to one model on one MLServer over REST."""

    def __init__(self, base_url: str, model_name: str, *, timeout: float = 10.0,
                 session: requests.Session | None = None, max_rows: int | None = MAX_ROWS) -> None:
        self.base_url = base_url.rstrip("/")
        self.max_rows = max_rows
        self.model_name = model_name
        self.timeout = timeout
        self.session = session or requests.Session()
        self._metadata: dict[str, Any] | None = None

    @property
    def infer_url(self) -> str:
        return f"{self.base_url}/v2/models/{self.model_name}/infer"

    def _get(self, path: str) -> requests.Response:
        return self.session.get(f"{self.base_url}{path}", timeout=self.timeout)

    def _json_or_raise(self, response: requests.Response) -> Any:
        if response.status_code != 200:
            raise InferenceError(response.status_code, response.text, response.url)
        return response.json() if response.content else None

    def live(self) -> bool:
        return self._get("/v2/health/live").status_code == 200

    def ready(self) -> bool:
        return self._get("/v2/health/ready").status_code == 200

    def metadata(self, refresh: bool = False) -> dict[str, Any]:
        if self._metadata is None or refresh:
            self._metadata = self._json_or_raise(self._get(f"/v2/models/{self.model_name}"))
        return self._metadata

    def infer(self, request: Any, *, validate: bool = True) -> dict[str, Any]:
        """POST a V2 request (dict or ``InferenceRequest``); returns the response JSON."""
        body = as_dict(request)
        if validate:
            validate_request(body, self.metadata(), max_rows=self.max_rows)
        response = self.session.post(self.infer_url, json=body, timeout=self.timeout)
        return self._json_or_raise(response)

    def predict_named_columns(self, frame: pd.DataFrame) -> np.ndarray:
        return decode_predictions(self.infer(named_columns(frame)))

    def predict_dataframe(self, frame: pd.DataFrame) -> np.ndarray:
        from mlserver.codecs import PandasCodec

        return decode_predictions(self.infer(PandasCodec.encode_request(frame)))

    def predict_tensor(self, array: np.ndarray, name: str = "input-0") -> np.ndarray:
        from mlserver.codecs import NumpyCodec
        from mlserver.types import InferenceRequest

        request = InferenceRequest(inputs=[NumpyCodec.encode_input(name, array)])
        return decode_predictions(self.infer(request))

    def predict_tensor_dict(self, tensors: dict[str, np.ndarray]) -> np.ndarray:
        """The MLflow runtime's own ``dict`` content type, for a model of named tensors."""
        from mlserver_mlflow.codecs import TensorDictCodec

        return decode_predictions(self.infer(TensorDictCodec.encode_request(tensors)))

    # -- model repository API: what a rollout uses ---------------------------------------
    def repository_index(self) -> list[dict[str, Any]]:
        """Every model in the server's repository folder, with its state (READY, UNAVAILABLE)."""
        response = self.session.post(f"{self.base_url}/v2/repository/index", json={},
                                     timeout=self.timeout)
        return self._json_or_raise(response)

    def load_model(self, name: str | None = None, timeout: float = 120.0) -> None:
        """(Re)load a model from its ``model-settings.json`` on disk.

        On a model that is already loaded MLServer loads the new copy first and only
        then unloads the old one, so requests keep being answered throughout.
        """
        response = self.session.post(
            f"{self.base_url}/v2/repository/models/{name or self.model_name}/load", timeout=timeout)
        self._json_or_raise(response)
        self._metadata = None

    def invocations(self, frame: pd.DataFrame, fmt: str = "dataframe_split") -> np.ndarray:
        """MLflow's scoring protocol, which MLServer also serves at ``/invocations``."""
        response = self.session.post(f"{self.base_url}/invocations",
                                     json=invocations_payload(frame, fmt), timeout=self.timeout)
        return np.asarray(self._json_or_raise(response)["predictions"], dtype=float).ravel()
