"""A catalogue of malformed and hostile requests and what a real server does with each.

Each case says what a client might send, how the helper's ``V2Client`` refuses it
before sending (where the model's metadata lets it know), and is then sent raw to
the server to record the status, the server's message and whether the server is
still ready afterwards. The test suite asserts on the outcomes; notebook ``07``
shows them as a table.

Each case also names its *raiser*: who answers it, which decides the status
(``RAISERS``; the table in ``docs/concepts.md``, section "狀態碼由誰決定", which
``tests/test_status_table.py`` compares with this module).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import requests

from wine_serving.client import V2Client, invocations_payload, named_columns
from wine_serving.errors import WineServingError, summarize_server_error
from wine_serving.process.managed import v2_ready
from wine_serving.process.ports import require_loopback

COLUMN_MODEL = "wine-classifier"
TENSOR_MODEL = "wine-tensor"
# The cases that get past MLServer's request parsing and its codecs to the model itself: the stock
# MLflow runtime answers them 500 (or a silent 200); StrictMLflowRuntime refuses them.
REACHES_THE_MODEL = ("empty-inputs", "missing-column", "extra-column", "strings-in-numbers",
                     "shape-data-mismatch", "int64-for-doubles", "fp64-into-fp32-tensor")
HUGE_ROWS = 2_000_000  # ~130 MB of JSON: a laptop survives it, and it is far past a sane request

V2_INFER = "/v2/models/{name}/infer"
INVOCATIONS = "/invocations"


@dataclass(frozen=True)
class Raiser:
    """Who answers a bad request and the status that follows (MLServer 1.7.1, mlserver-mlflow 1.7.1)."""

    key: str
    status: int
    source: tuple[str, ...]  # where that status comes from: "file: function" at the pinned versions


# The status says who raised, on which endpoint; not what was wrong. With parallel_workers >= 1
# (MLServer's default, and every server this catalogue is sent to) every exception inside a worker
# is wrapped in WorkerError, which keeps an MLServerError's status and makes anything else 500.
RAISERS: dict[str, Raiser] = {r.key: r for r in (
    Raiser("routing", 405, ("starlette/routing.py: Route.handle",)),
    Raiser("request-validation", 422, (
        "fastapi/routing.py: get_request_handler",
        "fastapi/exception_handlers.py: request_validation_exception_handler")),
    Raiser("model-not-found", 404, ("mlserver/registry.py: MultiModelRegistry.get_model",
                                    "mlserver/errors.py: ModelNotFound",
                                    "mlserver/rest/errors.py: handle_mlserver_error")),
    Raiser("codec", 400, ("mlserver/codecs/utils.py: SingleInputRequestCodec.decode_request",
                          "mlserver/codecs/errors.py: CodecError",
                          "mlserver/parallel/errors.py: WorkerError")),
    Raiser("invocations-predict", 400, ("mlserver_mlflow/runtime.py: MLflowRuntime.invocations",
                                        "mlserver/errors.py: InferenceError",
                                        "mlserver/parallel/errors.py: WorkerError")),
    Raiser("worker", 500, ("mlserver/parallel/worker.py: Worker._process_request",
                           "mlserver/parallel/errors.py: WorkerError")),
    Raiser("none", 200, ()),  # nothing raises: the request is answered
)}


@dataclass(frozen=True)
class BadInput:
    key: str
    description: str  # zh-TW, shown in the docs table
    path: str
    payload: Callable[[pd.DataFrame], Any]  # JSON-able content, or raw bytes sent as they are
    # How a reader would send it with the helper's client: "column" or "tensor" (V2 infer
    # on that model), "unknown" (a model that does not exist), "invocations:<format>",
    # or None when the client cannot even produce such a request.
    client: str | None = None
    content_type: str = "application/json"
    method: str = "POST"
    # Who answers it (a key of RAISERS); with the endpoint, that decides the status.
    raiser: str = field(kw_only=True)

    @property
    def endpoint(self) -> str:
        """``INVOCATIONS`` or ``V2_INFER``: the other half of what decides the status."""
        return INVOCATIONS if self.path == INVOCATIONS else V2_INFER

    @property
    def status(self) -> int:
        """The status its raiser gives (``RAISERS``), which the integration test also measures."""
        return RAISERS[self.raiser].status


@dataclass(frozen=True)
class Outcome:
    key: str
    description: str
    status: int | None
    message: str
    ready_after: bool
    seconds: float
    request_bytes: int
    client_error: str | None

    def as_row(self) -> dict[str, Any]:
        return {"case": self.key, "description": self.description, "HTTP status": self.status,
                "server message": self.message, "ready after": self.ready_after,
                "seconds": round(self.seconds, 2), "request size": _size(self.request_bytes),
                "V2Client (before sending)": self.client_error or "—"}


def _size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 1e6 else f"{n / 1e3:.1f} kB" if n >= 1e3 else f"{n} B"


def _json(content: Any) -> bytes:
    return json.dumps(content).encode()


def _columns(frame: pd.DataFrame, **changes: Any) -> dict[str, Any]:
    body = named_columns(frame)
    for tensor in body["inputs"]:
        tensor.update(changes.get(tensor["name"], {}))
    return body


def _repeat(frame: pd.DataFrame, rows: int) -> pd.DataFrame:
    return pd.concat([frame] * (rows // len(frame) + 1), ignore_index=True).head(rows)


def _tensor_body(frame: pd.DataFrame, datatype: str) -> dict[str, Any]:
    values = frame.to_numpy().tolist()
    return {"inputs": [{"name": "input-0", "shape": [len(frame), frame.shape[1]], "datatype": datatype,
                        "data": values}]}


def _first(frame: pd.DataFrame) -> str:
    return str(frame.columns[0])


def bad_input_cases() -> list[BadInput]:
    """At least one case for every way a request went wrong while this tutorial was written."""
    infer = f"/v2/models/{COLUMN_MODEL}/infer"
    tensor_infer = f"/v2/models/{TENSOR_MODEL}/infer"

    def changed(**changes: Any) -> Callable[[pd.DataFrame], Any]:
        return lambda f: _columns(f, **{_first(f): changes})

    return [
        BadInput("unknown-model", "不存在的模型名稱", "/v2/models/no-such-model/infer",
                 named_columns, client="unknown", raiser="model-not-found"),
        BadInput("malformed-json", "JSON 語法錯誤（少了結尾）", infer,
                 lambda f: _json(named_columns(f))[:-5], raiser="request-validation"),
        BadInput("no-inputs", "沒有 inputs 欄位", infer, lambda f: {"parameters": {}}, client="column",
                 raiser="request-validation"),
        BadInput("empty-inputs", "inputs 是空串列", infer, lambda f: {"inputs": []}, client="column",
                 raiser="worker"),
        BadInput("datatype-not-in-v2", "datatype 不是 V2 的名稱（DOUBLE）", infer,
                 changed(datatype="DOUBLE"), client="column", raiser="request-validation"),
        BadInput("missing-column", "少了一個欄位", infer,
                 lambda f: named_columns(f.drop(columns=[_first(f)])), client="column", raiser="worker"),
        BadInput("extra-column", "多了一個模型不認識的欄位", infer,
                 lambda f: named_columns(f.assign(colour=1.0)), client="column", raiser="none"),
        BadInput("strings-in-numbers", "數值輸入裡有字串", infer,
                 lambda f: changed(data=["seven"] * len(f))(f), client="column", raiser="worker"),
        BadInput("shape-data-mismatch", "shape 與資料筆數不一致", infer,
                 lambda f: changed(shape=[len(f) + 1, 1])(f), client="column", raiser="worker"),
        BadInput("int64-for-doubles", "簽章要 double，送 INT64", infer,
                 lambda f: named_columns(f.round().astype(int), datatype="INT64"), client="column",
                 raiser="worker"),
        BadInput("fp64-into-fp32-tensor", "FP32 張量簽章，送 FP64", tensor_infer,
                 lambda f: _tensor_body(f, "FP64"), client="tensor", raiser="worker"),
        BadInput("columns-into-tensor", "每欄一個輸入，送給只收一個張量的模型", tensor_infer,
                 named_columns, client="tensor", raiser="codec"),
        BadInput("nan-values", "資料裡有 NaN（非標準 JSON）", infer,
                 lambda f: changed(data=[float("nan")] * len(f))(f), client="column",
                 raiser="request-validation"),
        BadInput("rows-100k", "100,000 列的請求", infer,  # the client's limit: allowed
                 lambda f: named_columns(_repeat(f, 100_000)), raiser="none"),
        BadInput("rows-huge", f"{HUGE_ROWS:,} 列的請求", infer,
                 lambda f: named_columns(_repeat(f, HUGE_ROWS)), client="column", raiser="none"),
        BadInput("invocations-unknown-key", "/invocations 用了不存在的格式鍵", INVOCATIONS,
                 lambda f: {"records": f.to_dict(orient="records")}, client="invocations:records",
                 raiser="worker"),
        BadInput("invocations-malformed", "/invocations 的 JSON 語法錯誤", INVOCATIONS,
                 lambda f: _json(invocations_payload(f))[:-3], raiser="worker"),
        BadInput("invocations-missing-column", "/invocations 少了一個欄位", INVOCATIONS,
                 lambda f: invocations_payload(f.drop(columns=[_first(f)])), raiser="invocations-predict"),
        BadInput("non-utf8-body", "主體不是 UTF-8", infer,
                 lambda f: _json(named_columns(f)).replace(b'"fixed acidity"', b'"fixed\xff acidity"'),
                 raiser="request-validation"),
        BadInput("wrong-content-type", "Content-Type 是 text/plain", infer, named_columns,
                 content_type="text/plain", raiser="request-validation"),
        BadInput("form-body", "送表單而不是 JSON", infer, lambda f: b"fixed+acidity=7.4&pH=3.5",
                 content_type="application/x-www-form-urlencoded", raiser="request-validation"),
        BadInput("get-on-infer", "用 GET 呼叫推論端點", infer, lambda f: b"", method="GET", raiser="routing"),
    ]


def _client_error(case: BadInput, base_url: str, frame: pd.DataFrame, payload: Any) -> str | None:
    """What the helper's client says when asked to send this; None if it cannot express it."""
    if case.client is None:
        return None
    try:
        if case.client.startswith("invocations:"):
            V2Client(base_url, COLUMN_MODEL).invocations(frame, fmt=case.client.split(":", 1)[1])
        else:
            name = {"column": COLUMN_MODEL, "tensor": TENSOR_MODEL}.get(case.client, "no-such-model")
            V2Client(base_url, name).infer(payload)
    except WineServingError as exc:
        return str(exc).splitlines()[0]
    return "(not refused)"


def run_case(base_url: str, case: BadInput, frame: pd.DataFrame, *, timeout: float = 120.0,
             models: Sequence[str] = (COLUMN_MODEL, TENSOR_MODEL)) -> Outcome:
    """Ask the client first, then send the raw request and check the server (and ``models``) still ready."""
    require_loopback(base_url)
    payload = case.payload(frame)
    client_error = _client_error(case, base_url, frame, payload)
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    del payload
    started = time.perf_counter()
    try:
        response = requests.request(case.method, f"{base_url}{case.path}", data=body or None,
                                    headers={"Content-Type": case.content_type}, timeout=timeout)
        status, message = response.status_code, response.text
    except requests.RequestException as exc:
        status, message = None, f"{type(exc).__name__}: {exc}"
    seconds = time.perf_counter() - started
    short = "(answered)" if status == 200 else summarize_server_error(message, limit=160)
    ready = v2_ready(base_url, models, timeout=10)  # generous: it may follow a 130 MB body
    return Outcome(case.key, case.description, status, short, ready, seconds, len(body), client_error)
