"""The tutorial's MLflow model on KServe's V2 server (notebook 12), run by the KServe venv's Python.

KServe 0.21 cannot share an environment with this tutorial's package (it pins
``psutil==5.9.8``; the package needs ``psutil>=6``), so ``make setup`` builds
``.venv-kserve`` from ``peers/requirements-kserve.lock`` with the same mlflow,
scikit-learn and skops pins, and this file runs there. It imports kserve, mlflow,
numpy and pandas only, never ``wine_serving``::

    .venv-kserve/bin/python peers/kserve_model.py --http_port 8090 --grpc_port 8091 \\
        --model wine-classifier=models:/ElasticnetWineModel/1 [--model name=uri ...]

The model is decoded by its signature, as MLServer's MLflow runtime does, so the same
client code works unchanged: columns become a DataFrame (named inputs, ``PandasCodec``),
one unnamed tensor a NumPy array (``NumpyCodec``), named tensors a dict (the ``dict``
family).
"""

from __future__ import annotations

import argparse
import uuid
from typing import Any

import grpc.aio
import mlflow
import numpy as np
import pandas as pd
from kserve import InferOutput, InferRequest, InferResponse, Model, ModelServer, model_server
from kserve.protocol.grpc import server as grpc_server
from kserve.protocol.rest import server as rest_server

LOOPBACK = "127.0.0.1"
V2_DATATYPES = {"float64": "FP64", "float32": "FP32", "int64": "INT64", "int32": "INT32",
                "bool": "BOOL", "double": "FP64", "float": "FP32", "long": "INT64",
                "integer": "INT32", "boolean": "BOOL", "string": "BYTES"}


def listen_on_loopback_only() -> None:
    """KServe 0.21 binds REST to 0.0.0.0 and gRPC to [::] with no option to change it
    (``protocol/rest/server.py``, ``protocol/grpc/server.py``). Everything this tutorial
    starts listens on 127.0.0.1, so both addresses are rewritten before they are bound."""
    original_init = rest_server.RESTServer.__init__

    def loopback_init(self, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        self.config.host = LOOPBACK  # uvicorn binds (or pre-binds for workers) from this

    rest_server.RESTServer.__init__ = loopback_init

    class LoopbackAio:
        def __getattr__(self, name: str) -> Any:
            return getattr(grpc.aio, name)

        @staticmethod
        def server(*args: Any, **kwargs: Any) -> grpc.aio.Server:
            server = grpc.aio.server(*args, **kwargs)
            bind = server.add_insecure_port
            server.add_insecure_port = lambda address: bind(f"{LOOPBACK}:{address.rsplit(':', 1)[1]}")
            return server

    grpc_server.aio = LoopbackAio()


def _v2_datatype(dtype: Any) -> str:
    return V2_DATATYPES.get(str(getattr(dtype, "name", dtype)).lower(), "BYTES")


class MLflowModel(Model):
    """Any MLflow pyfunc model, loaded by URI, answering V2 requests."""

    def __init__(self, name: str, model_uri: str) -> None:
        super().__init__(name)
        self.model_uri = model_uri
        self.model: Any = None
        self.load()

    def load(self) -> bool:
        self.model = mlflow.pyfunc.load_model(self.model_uri)
        self.ready = True
        return self.ready

    @property
    def _schema(self) -> Any:
        return self.model.metadata.get_input_schema()

    def _decode(self, request: InferRequest) -> Any:
        schema = self._schema
        if schema is None or not schema.is_tensor_spec():
            return pd.DataFrame({tensor.name: tensor.as_numpy().reshape(-1) for tensor in request.inputs})
        if not schema.has_input_names():
            return request.inputs[0].as_numpy()
        return {tensor.name: tensor.as_numpy() for tensor in request.inputs}

    async def predict(self, payload: InferRequest, headers: dict[str, str] | None = None,
                      response_headers: dict[str, str] | None = None) -> InferResponse:
        predictions = np.asarray(self.model.predict(self._decode(payload)))
        output = InferOutput(name="predictions", shape=list(predictions.shape),
                             datatype=_v2_datatype(predictions.dtype))
        # gRPC carries tensors as raw bytes, JSON as lists; a request without an id gets one.
        output.set_data_from_numpy(predictions, binary_data=payload.from_grpc)
        return InferResponse(response_id=payload.id or str(uuid.uuid4()), model_name=self.name,
                             infer_outputs=[output])

    def get_input_types(self) -> list[dict[str, Any]]:
        """The model metadata's inputs, from the MLflow signature."""
        schema = self._schema
        if schema is None:
            return []
        if schema.is_tensor_spec():
            return [{"name": spec.name or f"input-{i}", "datatype": _v2_datatype(spec.type),
                     "shape": list(spec.shape)} for i, spec in enumerate(schema.inputs)]
        return [{"name": spec.name, "datatype": _v2_datatype(spec.type.name), "shape": [-1, 1]}
                for spec in schema.inputs]


def main() -> None:
    parser = argparse.ArgumentParser(parents=[model_server.parser])
    parser.add_argument("--model", action="append", required=True, metavar="NAME=URI",
                        help="A model to serve and its MLflow URI, e.g. wine-classifier=models:/name/1")
    args, _ = parser.parse_known_args()
    models = [MLflowModel(*spec.split("=", 1)) for spec in args.model]
    listen_on_loopback_only()
    ModelServer(http_port=args.http_port, grpc_port=args.grpc_port, workers=args.workers,
                enable_latency_logging=args.enable_latency_logging).start(models)


if __name__ == "__main__":
    main()
