"""What the notebooks do not assert about the request families on a real server: the client's own
check of named columns against MLServer's metadata, the tensor model's served metadata, how the
client names an FP64-for-FP32 mistake, and KServe's hard-coded addresses (in its source).

Every family's answers equal to in-process pyfunc, on MLServer and on KServe, is notebook 12's
(cell 8, where ``V2Client`` also checks requests against KServe's metadata) and 07's (the four
/invocations formats); 12 also asserts both servers' readiness and loopback-only sockets (cell 6).
They are not repeated here, and this module starts no KServe.
"""

from __future__ import annotations

import re

import mlflow
import numpy as np
import pytest

from tests.helpers import set_tracking_to_workspace
from wine_serving.client import V2Client
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
    server, models = served
    set_tracking_to_workspace(server.ws)  # MLflow's current store is process-global
    column = mlflow.pyfunc.load_model(models["dataframe"].model_uri).predict(test_rows)
    return (np.asarray(column).ravel(),)


def test_the_client_checks_named_columns_against_the_servers_metadata(served, test_rows, reference):
    """No notebook sends this family through ``V2Client``: its check reads the server's metadata."""
    server, _ = served
    got = V2Client(server.url, "wine-classifier").predict_named_columns(test_rows)
    np.testing.assert_allclose(got, reference[0], rtol=1e-6)


def test_metadata_matches_the_signature(served):
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
