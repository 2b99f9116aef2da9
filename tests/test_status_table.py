"""The status-code table in docs/concepts.md agrees with the bad-request catalogue and with
the MLServer / mlserver-mlflow code it cites (no server: MLServer's own classes in process).

The catalogue names each case's raiser (``bad_requests.RAISERS``); the integration test
(``tests/integration/test_reliability.py``) measures every case's status on a real server.
"""

from __future__ import annotations

import asyncio
import re
import warnings
from pathlib import Path

import pytest
from mlflow.exceptions import MlflowException
from mlserver import MLModel
from mlserver.codecs.errors import CodecError
from mlserver.errors import InferenceError, InvalidModelURI, MLServerError, ModelNotFound, ModelNotReady
from mlserver.handlers import DataPlane, ModelRepositoryHandlers
from mlserver.parallel.errors import WorkerError, WorkerStop
from mlserver.registry import MultiModelRegistry
from mlserver.rest.app import create_app
from mlserver.rest.errors import _EXCEPTION_HANDLERS
from mlserver.rest.utils import to_status_code
from mlserver.settings import ModelSettings, Settings
from mlserver_mlflow import MLflowRuntime
from prometheus_client import REGISTRY

from wine_serving.traffic.bad_requests import RAISERS, bad_input_cases

with warnings.catch_warnings():  # starlette 1.x deprecates TestClient on httpx; it still works
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

CONCEPTS = Path(__file__).resolve().parents[1] / "docs" / "concepts.md"
SECTION = "## 狀態碼由誰決定"
ENDPOINTS = {"`/v2/models/{name}/infer`": "/v2/models/{name}/infer", "`/invocations`": "/invocations"}


def _table() -> dict[tuple[str, str], dict]:
    """The section's first table: (raiser, endpoint) -> status, case keys and the cited source."""
    section = CONCEPTS.read_text(encoding="utf-8").split(SECTION, 1)[1].split("\n## ", 1)[0]
    lines = [line for line in section.splitlines() if line.startswith("|")]
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    assert header == ["誰回答", "`raiser`", "端點", "狀態碼", "壞請求目錄的案例", "出處"], header
    rows = {}
    for line in lines[2:]:
        who, raiser, endpoint, status, keys, source = (cell.strip() for cell in line.strip("|").split("|"))
        key = (raiser.strip("`"), ENDPOINTS[endpoint])
        assert key not in rows, f"two rows for {key}"
        rows[key] = {"status": int(status), "keys": re.findall(r"`([a-z0-9-]+)`", keys), "source": source}
    return rows


def test_every_case_sits_in_the_row_of_its_raiser_and_endpoint_with_its_status():
    rows = _table()
    for case in bad_input_cases():
        row = rows.get((case.raiser, case.endpoint))
        assert row, f"{case.key}: no row for raiser {case.raiser!r} on {case.endpoint}"
        assert case.key in row["keys"], f"{case.key} is not listed in its row"
        assert row["status"] == case.status == RAISERS[case.raiser].status, case.key


def test_every_row_lists_exactly_the_catalogue_cases_it_covers():
    cases = bad_input_cases()
    rows = _table()
    assert set(rows) == {(case.raiser, case.endpoint) for case in cases}
    for (raiser, endpoint), row in rows.items():
        assert row["keys"] == [c.key for c in cases if (c.raiser, c.endpoint) == (raiser, endpoint)], raiser


def test_every_row_cites_the_code_that_decides_its_status():
    for (raiser, _), row in _table().items():
        for cited in RAISERS[raiser].source:
            path, function = cited.split(": ")
            assert f"`{path}`" in row["source"] and f"`{function}`" in row["source"], (raiser, cited)


# What the table cites, checked on the installed MLServer 1.7.1 and mlserver-mlflow 1.7.1.

def test_each_mlserver_error_carries_its_status():
    assert MLServerError("x").status_code == 400  # the default
    assert ModelNotFound("m").status_code == RAISERS["model-not-found"].status == 404
    assert InvalidModelURI("m").status_code == 422
    assert ModelNotReady("m").status_code == InferenceError("x").status_code == 400
    assert CodecError("x").status_code == RAISERS["codec"].status == 400
    assert WorkerStop(9).status_code == 500
    assert set(_EXCEPTION_HANDLERS) == {MLServerError}  # the only exceptions MLServer's REST server maps


@pytest.mark.parametrize("raised, status", [
    (ValueError("cannot reshape array"), 500), (MlflowException("Model is missing inputs"), 500),
    (CodecError("only supports a single input tensor"), 400), (InferenceError("refused"), 400),
], ids=["numpy", "mlflow", "codec", "inference-error"])
def test_a_worker_keeps_an_mlserver_errors_status_and_makes_anything_else_500(raised, status):
    assert WorkerError(raised).status_code == status
    assert RAISERS["worker"].status == 500


def test_a_model_that_is_not_ready_answers_400():
    assert to_status_code(True) == 200 and to_status_code(False) == 400


def _invocations(runtime: MLflowRuntime, body: str):
    return asyncio.run(runtime.invocations(raw_body=body, content_type="application/json"))


class _Refuses:
    def predict(self, data, params=None):
        raise MlflowException("Model is missing inputs ['fixed acidity']")


def test_invocations_turns_what_predict_raises_into_a_400_but_not_what_parsing_raises():
    runtime = MLflowRuntime(ModelSettings(name="wine", implementation=MLflowRuntime))
    runtime._model, runtime._input_schema = _Refuses(), None
    with pytest.raises(InferenceError, match="missing inputs"):  # invocations-predict: 400
        _invocations(runtime, '{"dataframe_split": {"columns": ["pH"], "data": [[3.5]]}}')
    for body in ('{"records": [{"pH": 3.5}]}', '{"dataframe_split": {"columns": '):  # worker: 500
        with pytest.raises(MlflowException) as info:
            _invocations(runtime, body)
        assert not isinstance(info.value, MLServerError) and WorkerError(info.value).status_code == 500


class _Raises(MLModel):
    """Raises what the request's first input is named after."""

    async def predict(self, payload):
        errors = {"codec": CodecError("only one tensor"), "numpy": ValueError("cannot reshape")}
        raise errors[payload.inputs[0].name]


@pytest.fixture(scope="module")
def data_plane():
    """One DataPlane per process: it registers its Prometheus counters globally."""
    settings = Settings(parallel_workers=0, metrics_endpoint=None)
    registry = MultiModelRegistry()
    asyncio.run(registry.load(ModelSettings(name="raises", implementation=_Raises)))
    plane = DataPlane(settings, registry)
    yield plane, registry
    for counter in (plane._ModelInferRequestSuccess, plane._ModelInferRequestFailure,
                    plane._ModelInferRequestDuration):
        REGISTRY.unregister(counter)


@pytest.mark.parametrize("debug", [False, True])
def test_without_workers_an_unhandled_exception_is_a_plain_text_500(data_plane, debug):
    """``parallel_workers: 0``: no WorkerError; MLServerErrors keep their status, anything else is
    Starlette's 500, whose body is not the protocol's ``{"error": ...}``."""
    plane, registry = data_plane
    settings = Settings(debug=debug, parallel_workers=0, metrics_endpoint=None)
    client = TestClient(create_app(settings, plane, ModelRepositoryHandlers(None, registry)),
                        raise_server_exceptions=False)

    def infer(name):
        return client.post("/v2/models/raises/infer",
                           json={"inputs": [{"name": name, "shape": [1], "datatype": "FP64", "data": [1.0]}]})

    codec, numpy = infer("codec"), infer("numpy")
    assert codec.status_code == 400 and "only one tensor" in codec.json()["error"]
    assert numpy.status_code == 500 and not numpy.headers["content-type"].startswith("application/json")
    assert ("cannot reshape" in numpy.text) is debug  # debug: true shows the traceback
    assert client.post("/v2/models/nope/infer", json={"inputs": []}).status_code == 404
    assert client.get("/v2/models/raises/infer").status_code == 405
    assert client.post("/v2/models/raises/infer", content=b"{",
                       headers={"Content-Type": "application/json"}).status_code == 422


def test_mlserver_1_7_1_defaults_to_debug():
    assert Settings.model_fields["debug"].default is True
