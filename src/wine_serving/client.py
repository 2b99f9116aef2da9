"""A small V2 (Open Inference Protocol) client that checks requests before sending.

MLServer answers most data errors with HTTP 500 and the useful sentence buried at
the end of a long message, and it silently ignores inputs the model does not know.
The model's metadata already says what it accepts, so this client checks a request
against it first and raises an error that names the problem in one sentence.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import requests

from wine_serving.errors import InferenceError, RequestValidationError

INVOCATION_FORMATS = ("dataframe_split", "dataframe_records", "instances", "inputs")
NUMERIC = {"BOOL", "UINT8", "UINT16", "UINT32", "UINT64", "INT8", "INT16", "INT32", "INT64",
           "FP16", "FP32", "FP64"}
# What MLflow's schema enforcement accepts for a column-based signature: floats widen
# safely to doubles, integers do not ("Can not safely convert int64 to float64").
COLUMN_COMPATIBLE = {"FP64": {"FP64", "FP32", "FP16"}, "FP32": {"FP32", "FP16"}}
# One request should stay well below what a server parses comfortably in memory.
MAX_ROWS = 100_000
NUMPY_NAMES = {"FP16": "np.float16", "FP32": "np.float32", "FP64": "np.float64"}


def _as_dict(request: Any) -> dict[str, Any]:
    return request.model_dump(exclude_none=True) if hasattr(request, "model_dump") else request


def _flat(data: Any) -> list[Any]:
    out: list[Any] = []
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, (list, tuple)):
            stack.extend(reversed(item))
        else:
            out.append(item)
    return out


def _check_tensor(tensor: dict[str, Any], index: int) -> str:
    """Checks that need no metadata; returns the input's name."""
    for key in ("name", "shape", "datatype", "data"):
        if key not in tensor:
            raise RequestValidationError(f"Input #{index} has no {key!r} field.")
    name, shape, datatype = tensor["name"], tensor["shape"], tensor["datatype"]
    values = _flat(tensor["data"])
    expected = math.prod(int(s) for s in shape)
    if expected != len(values):
        raise RequestValidationError(
            f"Input {name!r}: shape {list(shape)} holds {expected} values but data has "
            f"{len(values)}.")
    if datatype in NUMERIC:
        bad = next((v for v in values if isinstance(v, str) or v is None), False)
        if bad is not False:
            raise RequestValidationError(
                f"Input {name!r} is declared {datatype} but its data contains {bad!r}, "
                "which is not a number.")
        odd = next((v for v in values if isinstance(v, float) and not math.isfinite(v)), None)
        if odd is not None:
            raise RequestValidationError(
                f"Input {name!r} contains {odd}, which JSON cannot carry and the model cannot use; "
                "drop or impute those rows first.")
    return name


def validate_request(request: Any, metadata: dict[str, Any], *, max_rows: int | None = MAX_ROWS) -> None:
    """Raise ``RequestValidationError`` if the model's metadata says this request will fail.

    ``max_rows`` guards the server as well: MLServer parses a whole request into
    memory before it looks at it, so one huge request costs its memory and time.
    """
    body = _as_dict(request)
    inputs = body.get("inputs")
    if not isinstance(inputs, list) or not inputs:
        raise RequestValidationError("The request has no inputs: 'inputs' must be a non-empty list.")
    names = [_check_tensor(t, i) for i, t in enumerate(inputs)]
    rows = max((int(t["shape"][0]) for t in inputs if t["shape"]), default=0)
    if max_rows is not None and rows > max_rows:
        raise RequestValidationError(
            f"The request has {rows:,} rows; send at most {max_rows:,} per request "
            "(split the data into batches).")
    wanted = {m["name"]: m for m in metadata.get("inputs", [])}
    content_type = metadata.get("parameters", {}).get("content_type")
    if not wanted:
        return
    if content_type == "pd":
        missing = [n for n in wanted if n not in names]
        if missing:
            raise RequestValidationError(f"Missing input column(s) {missing}; the model needs all "
                                         f"{len(wanted)}: {list(wanted)}.")
        extra = [n for n in names if n not in wanted]
        if extra:
            raise RequestValidationError(
                f"Unknown input(s) {extra}: the model has no such column, and MLServer would "
                "silently ignore them.")
        rows = {t["name"]: int(t["shape"][0]) for t in inputs}
        if len(set(rows.values())) > 1:
            raise RequestValidationError(f"Inputs disagree on the number of rows: {rows}.")
        for tensor in inputs:
            want = wanted[tensor["name"]]["datatype"]
            allowed = COLUMN_COMPATIBLE.get(want, {want})
            if tensor["datatype"] not in allowed:
                raise RequestValidationError(
                    f"Input {tensor['name']!r} is {tensor['datatype']} but the model's signature "
                    f"wants {want}, which MLflow will not convert to: send {want} "
                    "(for pandas: df.astype('float64')).")
        return
    if len(inputs) != len(wanted):
        raise RequestValidationError(f"The model takes {len(wanted)} tensor input(s), "
                                     f"the request has {len(inputs)}.")
    if content_type == "dict":  # named tensors: matched by name, not by position
        unknown = sorted(set(names) - set(wanted))
        if unknown:
            raise RequestValidationError(
                f"Unknown input(s) {unknown}: the model's named tensors are {list(wanted)}.")
        specs = [wanted[t["name"]] for t in inputs]
    else:
        specs = list(wanted.values())
    for tensor, spec in zip(inputs, specs):
        if tensor["datatype"] != spec["datatype"]:
            raise RequestValidationError(
                f"Input {tensor['name']!r} is {tensor['datatype']} but the model's tensor signature "
                f"wants exactly {spec['datatype']}; tensor signatures do not convert types "
                f"(numpy: x.astype({NUMPY_NAMES.get(spec['datatype'], 'the signature dtype')})).")
        want_shape, shape = spec.get("shape", []), list(tensor["shape"])
        if len(want_shape) != len(shape) or any(w not in (-1, s) for w, s in zip(want_shape, shape)):
            raise RequestValidationError(
                f"Input {tensor['name']!r} has shape {shape}; the model wants {want_shape} "
                "(-1 means any size).")


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

    def model_ready(self) -> bool:
        return self._get(f"/v2/models/{self.model_name}/ready").status_code == 200

    def metadata(self, refresh: bool = False) -> dict[str, Any]:
        if self._metadata is None or refresh:
            self._metadata = self._json_or_raise(self._get(f"/v2/models/{self.model_name}"))
        return self._metadata

    def infer(self, request: Any, *, validate: bool = True) -> dict[str, Any]:
        """POST a V2 request (dict or ``InferenceRequest``); returns the response JSON."""
        body = _as_dict(request)
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

    def unload_model(self, name: str | None = None) -> None:
        response = self.session.post(
            f"{self.base_url}/v2/repository/models/{name or self.model_name}/unload",
            timeout=self.timeout)
        self._json_or_raise(response)
        self._metadata = None

    def invocations(self, frame: pd.DataFrame, fmt: str = "dataframe_split") -> np.ndarray:
        """MLflow's scoring protocol, which MLServer also serves at ``/invocations``."""
        response = self.session.post(f"{self.base_url}/invocations",
                                     json=invocations_payload(frame, fmt), timeout=self.timeout)
        return np.asarray(self._json_or_raise(response)["predictions"], dtype=float).ravel()
