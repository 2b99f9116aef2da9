"""A real MLServer answers the three input families and /invocations like in-process pyfunc."""

from __future__ import annotations

import numpy as np
import pytest
import requests

from wine_serving.client import INVOCATION_FORMATS, V2Client, named_columns
from wine_serving.data import FEATURES, load_wine_quality, split_wine_quality
from wine_serving.errors import InferenceError, RequestValidationError
from wine_serving.training import to_tensor

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def test_rows(served):
    server, models = served
    _, test_x, _, _ = split_wine_quality(load_wine_quality(server.ws))
    return test_x


@pytest.fixture(scope="module")
def reference(served, test_rows):
    import mlflow

    from wine_serving.workspace import init_tracking

    server, models = served
    init_tracking(server.ws)  # MLflow's current store is process-global
    column = mlflow.pyfunc.load_model(models["dataframe"].model_uri).predict(test_rows)
    tensor = mlflow.pyfunc.load_model(models["tensor"].model_uri).predict(to_tensor(test_rows))
    return np.asarray(column).ravel(), np.asarray(tensor).ravel()


def test_server_is_ready_and_bound_to_loopback(served):
    server, _ = served
    client = V2Client(server.url, "wine-classifier")
    assert client.live() and client.ready() and client.model_ready()
    assert server.url.startswith("http://127.0.0.1:")
    import psutil

    leader = psutil.Process(server.pid)
    addresses = {c.laddr.ip for p in [leader, *leader.children(recursive=True)]
                 for c in p.net_connections(kind="inet") if c.status == psutil.CONN_LISTEN}
    assert addresses, "no listening socket found"
    # gRPC reports the IPv4-mapped form ::ffff:127.0.0.1, which is loopback too.
    assert all(_is_loopback(a) for a in addresses), addresses


def _is_loopback(address: str) -> bool:
    import ipaddress

    ip = ipaddress.ip_address(address)
    mapped = getattr(ip, "ipv4_mapped", None)
    return (mapped or ip).is_loopback


def test_named_columns(served, test_rows, reference):
    server, _ = served
    got = V2Client(server.url, "wine-classifier").predict_named_columns(test_rows)
    np.testing.assert_allclose(got, reference[0], rtol=1e-6)


def test_dataframe(served, test_rows, reference):
    server, _ = served
    got = V2Client(server.url, "wine-classifier").predict_dataframe(test_rows)
    np.testing.assert_allclose(got, reference[0], rtol=1e-6)


def test_tensor(served, test_rows, reference):
    server, _ = served
    got = V2Client(server.url, "wine-tensor").predict_tensor(to_tensor(test_rows))
    np.testing.assert_allclose(got, reference[1], rtol=1e-6)


@pytest.fixture(scope="module")
def single_model_server(served):
    """/invocations is one route per server: with two MLflow models the last loaded owns it."""
    from wine_serving.server import serve
    from wine_serving.settings import model_settings

    server, models = served
    column = models["dataframe"]
    uri = f"models:/{column.registered_name}/{column.registered_version}"
    with serve([model_settings("wine-classifier", uri)], ws=server.ws,
               repository=server.ws.root / "serving-single") as single:
        yield single


@pytest.mark.parametrize("fmt", INVOCATION_FORMATS)
def test_invocations(single_model_server, test_rows, reference, fmt):
    got = V2Client(single_model_server.url, "wine-classifier").invocations(test_rows, fmt)
    np.testing.assert_allclose(got, reference[0], rtol=1e-6)


def test_metadata_matches_the_signature(served):
    import mlflow

    server, models = served
    meta = V2Client(server.url, "wine-classifier").metadata()
    info = mlflow.models.get_model_info(models["dataframe"].model_uri)
    assert [i["name"] for i in meta["inputs"]] == [c["name"] for c in info.signature.inputs.to_dict()]
    assert {i["datatype"] for i in meta["inputs"]} == {"FP64"}
    assert meta["parameters"]["content_type"] == "pd"
    assert meta["outputs"][0]["datatype"] == "FP64"
    tensor_meta = V2Client(server.url, "wine-tensor").metadata()
    assert tensor_meta["inputs"][0]["datatype"] == "FP32"
    assert tensor_meta["inputs"][0]["shape"] == [-1, len(FEATURES)]


def _seed_row(test_rows):
    return test_rows.iloc[:1]


BAD_REQUESTS = {
    "missing column": (lambda rows: {"inputs": named_columns(rows)["inputs"][1:]}, "Missing input"),
    "extra column": (lambda rows: {"inputs": named_columns(rows)["inputs"] + [
        {"name": "colour", "shape": [1, 1], "datatype": "FP64", "data": [1.0]}]}, "silently ignore"),
    "int64 column": (lambda rows: {"inputs": [dict(t, datatype="INT64", data=[int(t["data"][0])])
                                             for t in named_columns(rows)["inputs"]]}, "INT64"),
    "shape and data disagree": (lambda rows: {"inputs": [dict(t, shape=[2, 1])
                                                          for t in named_columns(rows)["inputs"]]},
                                "holds 2 values"),
    "strings in numeric input": (lambda rows: {"inputs": [dict(t, data=["seven"])
                                                          for t in named_columns(rows)["inputs"]]},
                                 "not a number"),
    "no inputs": (lambda rows: {"inputs": []}, "no inputs"),
}


@pytest.mark.parametrize("case", sorted(BAD_REQUESTS))
def test_bad_requests_are_named_before_sending(served, test_rows, case):
    server, _ = served
    build, words = BAD_REQUESTS[case]
    body = build(_seed_row(test_rows))
    client = V2Client(server.url, "wine-classifier")
    with pytest.raises(RequestValidationError, match=words):
        client.infer(body)
    # What the server itself does with it (silently accepting the extra column).
    response = requests.post(client.infer_url, json=body, timeout=10)
    if case == "extra column":
        assert response.status_code == 200
    else:
        assert response.status_code >= 400
    assert client.ready()


def test_fp64_into_fp32_tensor_is_named_and_refused(served, test_rows):
    from mlserver.codecs import NumpyCodec
    from mlserver.types import InferenceRequest

    server, _ = served
    client = V2Client(server.url, "wine-tensor")
    request = InferenceRequest(inputs=[NumpyCodec.encode_input("input-0",
                                                               to_tensor(test_rows).astype("float64"))])
    with pytest.raises(RequestValidationError, match="FP64.*FP32"):
        client.infer(request)
    with pytest.raises(InferenceError) as info:
        client.infer(request, validate=False)
    assert info.value.status == 500
    assert "float64 does not match expected dtype float32" in str(info.value)


def test_unknown_model_is_a_404(served):
    server, _ = served
    with pytest.raises(InferenceError) as info:
        V2Client(server.url, "no-such-model").metadata()
    assert info.value.status == 404


def test_client_checks_named_tensors_by_name():
    """For a ``dict`` model the client matches inputs by name, and wants the exact dtype."""
    from wine_serving.client import validate_request
    from wine_serving.errors import RequestValidationError

    metadata = {"parameters": {"content_type": "dict"}, "inputs": [
        {"name": "acids", "datatype": "FP32", "shape": [-1, 3]},
        {"name": "others", "datatype": "FP32", "shape": [-1, 8]}]}
    acids = {"name": "acids", "datatype": "FP32", "shape": [1, 3], "data": [7.4, 0.7, 0.0]}
    others = {"name": "others", "datatype": "FP32", "shape": [1, 8],
              "data": [1.9, 0.076, 11, 34, 0.9978, 3.51, 0.56, 9.4]}
    validate_request({"inputs": [others, acids]}, metadata)  # order does not matter
    with pytest.raises(RequestValidationError, match="Unknown input"):
        validate_request({"inputs": [acids, dict(others, name="rest")]}, metadata)
    with pytest.raises(RequestValidationError, match="wants exactly FP32"):
        validate_request({"inputs": [acids, dict(others, datatype="FP64")]}, metadata)
    with pytest.raises(RequestValidationError, match="takes 2 tensor input"):
        validate_request({"inputs": [acids]}, metadata)
