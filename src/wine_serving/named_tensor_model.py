"""An MLflow "model from code": the ElasticNet behind *named* tensors (the ``dict`` family, 05).

MLflow copies this file into the logged model and runs it when the model is loaded,
so it imports nothing from ``wine_serving``: a server needs only mlflow and numpy.
Its signature (given at logging time, see ``training.log_named_tensor_model``) names
two float32 tensors, ``acids`` (the first three features) and ``others`` (the other
eight). For such a signature MLServer's MLflow runtime advertises the request content
type ``dict`` and decodes requests with ``TensorDictCodec`` into ``{name: array}``.
"""

import mlflow
import numpy as np
from mlflow.pyfunc import PythonModel


class WineNamedTensorModel(PythonModel):
    """Stacks the named tensors back into the 11 columns the ElasticNet was fitted on."""

    def load_context(self, context):
        # The estimator is an artifact of this model (the tensor model, stored as skops).
        self.elasticnet = mlflow.sklearn.load_model(context.artifacts["elasticnet"])

    def predict(self, context, model_input, params=None):
        # model_input is {"acids": (n, 3) array, "others": (n, 8) array}; order matters.
        features = np.hstack([model_input["acids"], model_input["others"]])
        return self.elasticnet.predict(features)


mlflow.models.set_model(WineNamedTensorModel())
