"""Request validation against a model's V2 metadata: the rule the client and the strict runtime share.

MLServer answers most data errors with HTTP 500 and the useful sentence buried at the end
of a long message, and it silently ignores inputs the model does not know. The model's
metadata already says what it accepts, so a request can be checked against it first and
refused in one sentence: before sending (``client.V2Client``) or inside the server
(``strict_runtime``). A pure function of the request and the metadata: no HTTP here, so
the server-side runtime does not import the HTTP client.
"""

from __future__ import annotations

import math
from typing import Any

from wine_serving.errors import RequestValidationError

INVOCATION_FORMATS = ("dataframe_split", "dataframe_records", "instances", "inputs")
NUMERIC = {"BOOL", "UINT8", "UINT16", "UINT32", "UINT64", "INT8", "INT16", "INT32", "INT64",
           "FP16", "FP32", "FP64"}
# What MLflow's schema enforcement accepts for a column-based signature: floats widen
# safely to doubles, integers do not ("Can not safely convert int64 to float64").
COLUMN_COMPATIBLE = {"FP64": {"FP64", "FP32", "FP16"}, "FP32": {"FP32", "FP16"}}
# One request should stay well below what a server parses comfortably in memory.
MAX_ROWS = 100_000
NUMPY_NAMES = {"FP16": "np.float16", "FP32": "np.float32", "FP64": "np.float64"}


def as_dict(request: Any) -> dict[str, Any]:
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
    body = as_dict(request)
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
