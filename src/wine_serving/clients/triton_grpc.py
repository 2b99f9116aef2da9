"""A V2 gRPC client that imports nothing from MLServer: tritonclient only, in its own process.

``tritonclient.grpc`` and ``mlserver`` each register protobuf messages under the same
package name, ``inference``, and a Python process has one descriptor pool, so the two
cannot be imported together. This module runs as its own process and prints JSON::

    python -m wine_serving.clients.triton_grpc 127.0.0.1:8081 wine-classifier test_x.csv
"""

from __future__ import annotations

import json
import sys


def main(argv: list[str]) -> None:
    import pandas as pd
    import tritonclient.grpc as grpcclient

    target, model, csv_path = argv
    frame = pd.read_csv(csv_path)
    client = grpcclient.InferenceServerClient(target)
    assert client.is_server_ready(client_timeout=5)

    inputs = []
    for column in frame.columns:  # dict-of-tensors: one named FP64 input per column
        tensor = grpcclient.InferInput(column, [len(frame), 1], "FP64")
        tensor.set_data_from_numpy(frame[[column]].to_numpy("float64"))
        inputs.append(tensor)
    result = client.infer(model, inputs, client_timeout=10)
    name = result.get_response().outputs[0].name
    print(json.dumps({"output": name, "predictions": result.as_numpy(name).ravel().tolist()}))


if __name__ == "__main__":
    main(sys.argv[1:])
