"""The strict runtime on a real server: bad input is a 400 in one sentence, valid answers unchanged."""

from __future__ import annotations

import mlflow
import numpy as np
import pytest
import requests

from tests.helpers import set_tracking_to_workspace
from wine_serving.client import V2Client, invocations_payload, named_columns
from wine_serving.data import load_wine_quality, split_wine_quality
from wine_serving.servers.mlserver import serve
from wine_serving.settings import STRICT_RUNTIME, model_settings
from wine_serving.traffic.bad_requests import (
    COLUMN_MODEL,
    TENSOR_MODEL,
    bad_input_cases,
    run_case,
)
from wine_serving.training import to_named_tensors, to_tensor, without_type_hint_warning

pytestmark = pytest.mark.integration

MAX_ROWS = 1_000


def _strict(name: str, uri: str) -> dict:
    return model_settings(name, uri, implementation=STRICT_RUNTIME, parameters_extra={"max_rows": MAX_ROWS})


@pytest.fixture(scope="module")
def strict(trained):
    ws, models = trained
    with serve([_strict(COLUMN_MODEL, models["dataframe"].registered_uri),
                _strict(TENSOR_MODEL, models["tensor"].registered_uri),
                _strict("wine-dict", models["dict"].registered_uri)], name="strict", ws=ws) as server:
        yield server, ws, models


# Each catalogue case that reaches the model answered with a 400 in one sentence, the server
# ready after it, is notebook 16's (cell 4): not repeated here.


def test_too_many_rows_are_refused_by_the_server(strict):
    server, ws, _ = strict
    _, test_x, _, _ = split_wine_quality(load_wine_quality(ws))
    big = test_x.sample(MAX_ROWS + 1, replace=True, random_state=0)
    reply = requests.post(f"{server.url}/v2/models/{COLUMN_MODEL}/infer", json=named_columns(big), timeout=60)
    assert reply.status_code == 400 and f"send at most {MAX_ROWS:,}" in reply.json()["error"]


def test_valid_requests_get_exactly_the_stock_answers_in_all_four_families(strict):
    server, ws, models = strict
    set_tracking_to_workspace(ws)  # in-process MLflow reads this worker's trained store
    _, test_x, _, _ = split_wine_quality(load_wine_quality(ws))
    column = np.asarray(mlflow.pyfunc.load_model(models["dataframe"].registered_uri).predict(test_x)).ravel()
    tensor_model = mlflow.pyfunc.load_model(models["tensor"].registered_uri)
    tensor = np.asarray(tensor_model.predict(to_tensor(test_x))).ravel()
    with without_type_hint_warning():
        named = mlflow.pyfunc.load_model(models["dict"].registered_uri).predict(to_named_tensors(test_x))
    got = {
        "named columns": (V2Client(server.url, COLUMN_MODEL).predict_named_columns(test_x), column),
        "PandasCodec": (V2Client(server.url, COLUMN_MODEL).predict_dataframe(test_x), column),
        "NumpyCodec": (V2Client(server.url, TENSOR_MODEL).predict_tensor(to_tensor(test_x)), tensor),
        "TensorDictCodec": (V2Client(server.url, "wine-dict").predict_tensor_dict(to_named_tensors(test_x)),
                            np.asarray(named).ravel()),
    }
    for family, (answers, expected) in got.items():
        assert len(answers) == len(test_x) == 400, family
        np.testing.assert_allclose(answers, expected, rtol=1e-6, err_msg=family)


INVOCATIONS = [case for case in bad_input_cases() if case.path == "/invocations"]


@pytest.fixture(scope="module")
def invocations_pair(trained):
    """Stock and strict servers with the column model alone: ``/invocations`` is one path per
    server, not per model, so with several models loaded it reaches only one of them."""
    ws, models = trained
    uri = models["dataframe"].registered_uri
    with serve([model_settings(COLUMN_MODEL, uri)], name="invocations-stock", ws=ws) as stock, \
            serve([_strict(COLUMN_MODEL, uri)], name="invocations-strict", ws=ws) as strict:
        _, test_x, _, _ = split_wine_quality(load_wine_quality(ws))
        yield stock, strict, test_x


@pytest.mark.parametrize("case", INVOCATIONS, ids=lambda c: c.key)
def test_invocations_bad_bodies_are_a_400_in_one_sentence(invocations_pair, case):
    """``/invocations`` is MLflowRuntime's custom handler, not ``predict()``: the strict runtime
    re-registers it so that what escapes the stock handler as a 500 is a 400 too."""
    _, strict, test_x = invocations_pair
    outcome = run_case(strict.url, case, test_x.head(5), models=(COLUMN_MODEL,))
    assert outcome.status == 400, (case.key, outcome.status, outcome.message)
    assert outcome.ready_after
    assert outcome.message and "\n" not in outcome.message


def test_valid_invocations_get_the_stock_answers(invocations_pair):
    stock, strict, test_x = invocations_pair
    body = invocations_payload(test_x)
    replies = [requests.post(f"{s.url}/invocations", json=body, timeout=60) for s in (strict, stock)]
    assert [r.status_code for r in replies] == [200, 200]
    assert replies[0].json() == replies[1].json()
    assert len(replies[0].json()["predictions"]) == len(test_x)


def test_invocations_name_a_missing_or_unknown_column(invocations_pair):
    """Stock: a missing column is a 400 that prints the frame, an extra one is silently ignored."""
    stock, strict, test_x = invocations_pair
    last = test_x.columns[-1]
    missing = invocations_payload(test_x.head(3).drop(columns=[last]))
    extra = invocations_payload(test_x.head(3).assign(colour=1.0), fmt="dataframe_records")
    stock_missing = requests.post(f"{stock.url}/invocations", json=missing, timeout=30)
    stock_extra = requests.post(f"{stock.url}/invocations", json=extra, timeout=30)
    assert stock_missing.status_code == 400 and "\n" in stock_missing.json()["error"]  # a frame dump
    assert stock_extra.status_code == 200, stock_extra.text
    for body, words in ((missing, f"missing {last}"), (extra, "unknown colour")):
        reply = requests.post(f"{strict.url}/invocations", json=body, timeout=30)
        assert reply.status_code == 400 and words in reply.json()["error"], reply.text
        assert "\n" not in reply.json()["error"]
