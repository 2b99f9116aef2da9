"""The strict runtime's request check, on decoded requests and metadata: no server, no model."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from mlserver.codecs import NumpyCodec, PandasCodec
from mlserver.errors import InferenceError
from mlserver.types import InferenceRequest, MetadataTensor

from wine_serving.client import invocations_payload, named_columns
from wine_serving.servers.strict_runtime import check_invocations_body, check_request

COLUMNS = [MetadataTensor(name=n, datatype="FP64", shape=[-1]) for n in ("alcohol", "pH")]
TENSOR = [MetadataTensor(name="input-0", datatype="FP32", shape=[-1, 2])]
ROWS = pd.DataFrame({"alcohol": [9.4, 9.8], "pH": [3.51, 3.2]})


def _request(body) -> InferenceRequest:
    return InferenceRequest.model_validate(body)


def test_valid_requests_of_each_family_pass():
    check_request(_request(named_columns(ROWS)), COLUMNS, "pd")
    check_request(PandasCodec.encode_request(ROWS), COLUMNS, "pd")
    tensor = InferenceRequest(inputs=[NumpyCodec.encode_input("input-0", ROWS.to_numpy(np.float32))])
    check_request(tensor, TENSOR, "np")


@pytest.mark.parametrize("body, words", [
    ({"inputs": named_columns(ROWS)["inputs"][:1]}, "Missing input column"),
    (named_columns(ROWS.assign(colour=1.0)), "Unknown input"),
    (named_columns(ROWS.round().astype(int), datatype="INT64"), "wants FP64"),
    ({"inputs": [dict(t, data=["seven", "eight"]) for t in named_columns(ROWS)["inputs"]]}, "not a number"),
    ({"inputs": [dict(t, shape=[3, 1]) for t in named_columns(ROWS)["inputs"]]}, "holds 3 values"),
])
def test_each_violation_is_one_sentence_that_names_it(body, words):
    with pytest.raises(InferenceError, match=words) as info:
        check_request(_request(body), COLUMNS, "pd")
    message = str(info.value)
    assert info.value.status_code == 400 and "\n" not in message
    assert message.rstrip(".").count(". ") == 0, message  # one sentence


def test_a_tensor_of_the_wrong_dtype_is_refused():
    tensor = InferenceRequest(inputs=[NumpyCodec.encode_input("input-0", ROWS.to_numpy(np.float64))])
    with pytest.raises(InferenceError, match="wants exactly FP32"):
        check_request(tensor, TENSOR, "np")


def test_the_row_limit_is_the_model_settings_choice():
    big = pd.concat([ROWS] * 6, ignore_index=True)
    check_request(_request(named_columns(big)), COLUMNS, "pd", max_rows=12)
    with pytest.raises(InferenceError, match="send at most 10"):
        check_request(_request(named_columns(big)), COLUMNS, "pd", max_rows=10)


@pytest.mark.parametrize("fmt", ["dataframe_split", "dataframe_records", "instances", "inputs"])
def test_invocations_bodies_with_the_models_columns_pass(fmt):
    check_invocations_body(json.dumps(invocations_payload(ROWS, fmt=fmt)), list(ROWS))
    check_invocations_body(json.dumps(invocations_payload(ROWS, fmt=fmt)), None)  # a tensor model


@pytest.mark.parametrize("body, words", [
    ({"records": ROWS.to_dict(orient="records")}, "exactly one of dataframe_split"),
    ({**invocations_payload(ROWS), "instances": []}, "got keys: dataframe_split, instances"),
    (invocations_payload(ROWS[["pH"]]), "missing alcohol"),
    (invocations_payload(ROWS.assign(colour=1.0), fmt="instances"), "unknown colour"),
])
def test_invocations_bodies_that_cannot_fit_are_one_sentence(body, words):
    with pytest.raises(InferenceError, match=words) as info:
        check_invocations_body(json.dumps(body), list(ROWS))
    assert "\n" not in str(info.value)


def test_invocations_bodies_that_are_not_json_objects_are_left_to_mlflow():
    for raw in ("alcohol,pH\n9.4,3.51", "[1, 2]", "{not json"):
        check_invocations_body(raw, list(ROWS))


def test_the_default_limit_is_named_with_its_figure():
    """Notebook 14's 130 MB request meets this sentence (the integration tests no longer send it)."""
    over = pd.concat([ROWS] * (100_000 // len(ROWS) + 1), ignore_index=True)
    with pytest.raises(InferenceError, match="send at most 100,000"):
        check_request(_request(named_columns(over)), COLUMNS, "pd")
