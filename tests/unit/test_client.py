"""The client's checks against a model's metadata: refused before anything is sent."""

from __future__ import annotations

import pytest

from wine_serving.errors import RequestValidationError
from wine_serving.validation import validate_request


def test_client_checks_named_tensors_by_name():
    """For a ``dict`` model the client matches inputs by name, and wants the exact dtype."""
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
