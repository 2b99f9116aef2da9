"""A real MLServer answers the request families and /invocations like in-process pyfunc; KServe's V2
server answers the same client code the same way."""

from __future__ import annotations

import re

import mlflow
import numpy as np
import pytest
import requests

from wine_serving.client import INVOCATION_FORMATS, V2Client
from wine_serving.data import FEATURES, load_wine_quality, split_wine_quality
from wine_serving.errors import InferenceError, RequestValidationError
from wine_serving.process.inspection import is_loopback, listening_addresses
from wine_serving.process.ports import LOOPBACK
from wine_serving.tracking import set_tracking_to_workspace
from wine_serving.training import to_named_tensors, to_tensor, without_type_hint_warning

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def test_rows(served):
    server, models = served
    _, test_x, _, _ = split_wine_quality(load_wine_quality(server.ws))
    return test_x


@pytest.fixture(scope="module")
def reference(served, test_rows):
    import mlflow

    server, models = served
    set_tracking_to_workspace(server.ws)  # MLflow's current store is process-global
    column = mlflow.pyfunc.load_model(models["dataframe"].model_uri).predict(test_rows)
    tensor = mlflow.pyfunc.load_model(models["tensor"].model_uri).predict(to_tensor(test_rows))
    return np.asarray(column).ravel(), np.asarray(tensor).ravel()


# The same client code against two V2 servers: MLServer, and KServe's ModelServer (14).
V2_SERVERS = ["served", "kserve_served"]


@pytest.fixture(params=V2_SERVERS)
def v2_server(request):
    return request.getfixturevalue(request.param)


def test_server_is_ready_and_listens_on_loopback_only(v2_server):
    server, _ = v2_server
    client = V2Client(server.url, "wine-classifier")
    assert client.live() and client.ready()
    model_ready = requests.get(f"{client.base_url}/v2/models/{client.model_name}/ready", timeout=10)
    assert model_ready.status_code == 200
    assert server.url.startswith(f"http://{LOOPBACK}:")
    addresses = listening_addresses(server.pid)
    ports = {server.port, server.grpc_port, getattr(server, "metrics_port", server.port)}
    assert ports <= {port for _, port in addresses}
    # gRPC listens on an IPv6 socket bound to ::ffff:127.0.0.1, the IPv4-mapped form of loopback.
    assert all(is_loopback(ip) for ip, _ in addresses), addresses


@pytest.mark.parametrize("family", ["predict_named_columns", "predict_dataframe"])
def test_column_families(v2_server, test_rows, reference, family):
    server, _ = v2_server
    got = getattr(V2Client(server.url, "wine-classifier"), family)(test_rows)
    np.testing.assert_allclose(got, reference[0], rtol=1e-6)


def test_tensor(v2_server, test_rows, reference):
    server, _ = v2_server
    got = V2Client(server.url, "wine-tensor").predict_tensor(to_tensor(test_rows))
    np.testing.assert_allclose(got, reference[1], rtol=1e-6)


def test_named_tensor_dict(v2_server, test_rows):
    """The runtime's own ``dict`` content type, decoded by TensorDictCodec (KServe: by signature)."""
    server, models = v2_server
    set_tracking_to_workspace(server.ws)  # in-process MLflow reads this worker's trained store
    tensors = to_named_tensors(test_rows)
    with without_type_hint_warning():
        expected = mlflow.pyfunc.load_model(models["dict"].registered_uri).predict(tensors)
    client = V2Client(server.url, "wine-dict")
    if server.kind == "mlserver":  # KServe's metadata has no content type: it decodes by signature
        assert client.metadata()["parameters"]["content_type"] == "dict"
    np.testing.assert_allclose(client.predict_tensor_dict(tensors), np.asarray(expected).ravel(), rtol=1e-6)


@pytest.fixture(scope="module")
def single_model_server(served):
    """/invocations is one route per server: with two MLflow models the last loaded owns it."""
    from wine_serving.servers.mlserver import serve
    from wine_serving.settings import model_settings

    server, models = served
    with serve([model_settings("wine-classifier", models["dataframe"].registered_uri)], ws=server.ws,
               repository=server.ws.root / "serving-single") as single:
        yield single


@pytest.mark.parametrize("fmt", INVOCATION_FORMATS)
def test_invocations(single_model_server, test_rows, reference, fmt):
    got = V2Client(single_model_server.url, "wine-classifier").invocations(test_rows, fmt)
    np.testing.assert_allclose(got, reference[0], rtol=1e-6)


def test_metadata_matches_the_signature(served):
    import mlflow

    server, models = served
    set_tracking_to_workspace(server.ws)  # in-process MLflow reads this worker's trained store
    meta = V2Client(server.url, "wine-classifier").metadata()
    info = mlflow.models.get_model_info(models["dataframe"].model_uri)
    assert [i["name"] for i in meta["inputs"]] == [c["name"] for c in info.signature.inputs.to_dict()]
    assert {i["datatype"] for i in meta["inputs"]} == {"FP64"}
    assert meta["parameters"]["content_type"] == "pd"
    assert meta["outputs"][0]["datatype"] == "FP64"
    tensor_meta = V2Client(server.url, "wine-tensor").metadata()
    assert tensor_meta["inputs"][0]["datatype"] == "FP32"
    assert tensor_meta["inputs"][0]["shape"] == [-1, len(FEATURES)]


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


def test_kserve_hard_codes_the_addresses_the_peer_rewrites():
    """Notebook 12 says KServe 0.21 binds REST to 0.0.0.0 and gRPC to [::] with no option: in its source."""
    import subprocess

    from wine_serving.servers.kserve import kserve_python

    done = subprocess.run([str(kserve_python()), "-c",
                           "import inspect, importlib.metadata as md, kserve.model_server as m,"
                           " kserve.protocol.rest.server as r, kserve.protocol.grpc.server as g;"
                           " print(md.version('kserve'));"
                           " print(inspect.getsource(r)); print('@@'); print(inspect.getsource(g));"
                           " print('@@'); print(inspect.getsource(m))"],
                          capture_output=True, text=True, timeout=120, check=True)
    version, rest = done.stdout.split("\n", 1)
    rest_source, grpc_source, model_server = rest.split("@@")
    assert version.startswith("0.21.")
    assert 'host="0.0.0.0"' in rest_source and 'f"[::]:{self._port}"' in grpc_source
    # The one "host" argument is where a transformer sends requests, not an address to bind.
    options = re.findall(r'add_argument\(\s*"(--[a-z_]+)"', model_server)
    assert "--http_port" in options and [o for o in options if "host" in o] == ["--predictor_host"]
