"""Kubernetes, KServe and Seldon Core v2 resources for the image, as plain dicts written as YAML.

Every port is read from the container's ``settings.json`` (``image.container_settings``), never
typed twice; ``validate_kubernetes`` checks the Kubernetes ones offline against the official
schemas (the CRDs of KServe and Seldon have none to check against here).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from wine_serving.data import FEATURES
from wine_serving.deploy.image import APP, IMAGE, IMAGE_MODELS_DIR, build_context, container_settings
from wine_serving.errors import need
from wine_serving.workspace import Workspace, get_workspace


def _labels(name: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": name, "app.kubernetes.io/component": "model-server"}


# The first row of winequality-red.csv: what the liveness probe asks the model to predict.
PROBE_ROW: dict[str, float] = dict(zip(
    FEATURES, (7.4, 0.7, 0.0, 1.9, 0.076, 11.0, 34.0, 0.9978, 3.51, 0.56, 9.4), strict=True))
# Seconds one probe may take; the kubelet's own timeoutSeconds is one more.
PROBE_TIMEOUT_S = 2


def inference_probe_command(model: str = APP, port: int = 8080,
                            timeout: float = PROBE_TIMEOUT_S) -> list[str]:
    """An exec probe's command: one real V2 inference on the container's own port, within ``timeout`` s.

    MLServer 1.7.1's ``/v2/health/live``, ``/v2/health/ready`` and ``/v2/models/<m>/ready`` answer 200
    from a flag set when the model loaded, also while every inference fails or hangs after a worker
    died mid-write (notebook 15); only a real request notices. The command exits non-zero on an HTTP
    error status, a refused connection or a timeout, using only the standard library of the image's Python.
    """
    body = {"inputs": [{"name": name, "shape": [1, 1], "datatype": "FP64", "data": [value]}
                       for name, value in PROBE_ROW.items()]}
    script = ("import urllib.request as u; "
              f"u.urlopen(u.Request('http://127.0.0.1:{port}/v2/models/{model}/infer', "
              f"data={json.dumps(json.dumps(body))}.encode(), "
              f"headers={{'Content-Type': 'application/json'}}), timeout={timeout:g}).read()")
    return ["python", "-c", script]


def deployment(name: str = APP, image: str = IMAGE, *, replicas: int = 2,
               settings: dict[str, Any] | None = None, model: str = APP) -> dict[str, Any]:
    """MLServer in plain Kubernetes: start-up and readiness on the V2 health endpoints, liveness by a
    real inference of ``model`` (``inference_probe_command``), requests and limits."""
    settings = settings or container_settings()
    ports = [{"name": "http", "containerPort": settings["http_port"], "protocol": "TCP"},
             {"name": "grpc", "containerPort": settings["grpc_port"], "protocol": "TCP"},
             {"name": "metrics", "containerPort": settings["metrics_port"], "protocol": "TCP"}]

    def probe(path: str, **timing: int) -> dict[str, Any]:
        return {"httpGet": {"path": path, "port": "http"}, **timing}

    container = {
        "name": "mlserver",
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "ports": ports,
        "env": [{"name": "MLSERVER_MODELS_DIR", "value": IMAGE_MODELS_DIR}],
        # startupProbe allows 120 s of loading, so the liveness probe does not kill a
        # pod that is still loading its model.
        "startupProbe": probe("/v2/health/ready", periodSeconds=2, failureThreshold=60),
        "readinessProbe": probe("/v2/health/ready", periodSeconds=5, failureThreshold=2),
        # /v2/health/live answers 200 while inference is broken for good (notebook 15): liveness
        # asks for a real prediction; three failures in a row (about 30 s) restart the container.
        "livenessProbe": {"exec": {"command": inference_probe_command(model, settings["http_port"])},
                          "periodSeconds": 10, "timeoutSeconds": PROBE_TIMEOUT_S + 1, "failureThreshold": 3},
        # A 2,000,000-row request is accepted and its memory not all given back (notebook
        # 14), which is why clients must batch (V2Client refuses more than 100,000 rows).
        "resources": {"requests": {"cpu": "1", "memory": "1Gi"},
                      "limits": {"cpu": "2", "memory": "2Gi"}},
        "securityContext": {"runAsNonRoot": True, "runAsUser": 1000,
                            "allowPrivilegeEscalation": False,
                            "capabilities": {"drop": ["ALL"]}},
    }
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "labels": _labels(name)},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": _labels(name)},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}},
            "template": {
                "metadata": {"labels": _labels(name),
                             "annotations": {"prometheus.io/scrape": "true",
                                             "prometheus.io/port": str(settings["metrics_port"]),
                                             "prometheus.io/path": settings.get("metrics_endpoint")
                                             or "/metrics"}},
                "spec": {"containers": [container], "terminationGracePeriodSeconds": 30},
            },
        },
    }


def service(name: str = APP, *, settings: dict[str, Any] | None = None) -> dict[str, Any]:
    settings = settings or container_settings()
    return {
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": name, "labels": _labels(name)},
        "spec": {"selector": _labels(name), "ports": [
            {"name": "http", "port": settings["http_port"], "targetPort": "http", "protocol": "TCP"},
            {"name": "grpc", "port": settings["grpc_port"], "targetPort": "grpc", "protocol": "TCP",
             "appProtocol": "grpc"},
        ]},
    }


def _autoscaler(name: str = APP, *, min_replicas: int = 2, max_replicas: int = 6,
               cpu_percent: int = 70) -> dict[str, Any]:
    """Scale on CPU: MLServer 1.7.1 has one HTTP process per pod, so more load needs more pods."""
    return {
        "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": name, "labels": _labels(name)},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
            "minReplicas": min_replicas, "maxReplicas": max_replicas,
            "metrics": [{"type": "Resource", "resource": {
                "name": "cpu", "target": {"type": "Utilization", "averageUtilization": cpu_percent}}}],
        },
    }


def kserve_inference_service(storage_uri: str, name: str = APP) -> dict[str, Any]:
    """KServe picks its MLServer runtime for ``modelFormat: mlflow`` with the V2 protocol."""
    return {
        "apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
        "metadata": {"name": name},
        "spec": {"predictor": {"model": {
            "modelFormat": {"name": "mlflow"},
            "protocolVersion": "v2",
            "storageUri": storage_uri,
            "resources": {"requests": {"cpu": "1", "memory": "1Gi"},
                          "limits": {"cpu": "2", "memory": "2Gi"}},
        }}},
    }


def seldon_model(storage_uri: str, name: str = APP, *, replicas: int = 2) -> dict[str, Any]:
    """Seldon Core v2 schedules the model onto a Server whose capabilities include ``mlflow``."""
    return {
        "apiVersion": "mlops.seldon.io/v1alpha1", "kind": "Model",
        "metadata": {"name": name},
        "spec": {"storageUri": storage_uri, "requirements": ["mlflow"], "replicas": replicas,
                 "memory": "1Gi"},
    }


def seldon_server(name: str = "mlserver-wine", *, replicas: int = 2) -> dict[str, Any]:
    """An MLServer-based Server of our own (the default install already has one named ``mlserver``)."""
    return {
        "apiVersion": "mlops.seldon.io/v1alpha1", "kind": "Server",
        "metadata": {"name": name},
        "spec": {"serverConfig": "mlserver", "replicas": replicas},
    }


def kubernetes_manifests(image: str = IMAGE, name: str = APP) -> list[dict[str, Any]]:
    settings = container_settings()
    return [deployment(name, image, settings=settings), service(name, settings=settings), _autoscaler(name)]


def write_yaml(documents: list[dict[str, Any]], path: Path) -> Path:
    """Several manifests in one file, written by the tutorial's one YAML writer (``servers.prometheus``)."""
    from wine_serving.servers import prometheus

    return prometheus.write_yaml(documents, path)


def validate_kubernetes(documents: list[dict[str, Any]], version: str | None = None) -> str:
    """Check against the Kubernetes JSON schemas bundled with ``kubernetes-validate`` (offline).

    Returns the Kubernetes version checked against; raises on the first invalid document.
    """
    kubernetes_validate = need("kubernetes_validate")
    version = version or kubernetes_validate.latest_version()
    for document in documents:
        kubernetes_validate.validate(document, version, strict=True)
    return version


def write_all(model_uri: str, storage_uri: str, *, ws: Workspace | None = None,
              image: str = IMAGE) -> dict[str, Path]:
    """The image context and every manifest under ``<workspace>/deploy``."""
    ws = ws or get_workspace()
    root = ws.root / "deploy"
    return {
        "image": build_context(model_uri, ws=ws),
        "kubernetes": write_yaml(kubernetes_manifests(image), root / "kubernetes.yaml"),
        "kserve": write_yaml([kserve_inference_service(storage_uri)], root / "kserve.yaml"),
        "seldon": write_yaml([seldon_server(), seldon_model(storage_uri)], root / "seldon.yaml"),
        **write_monitoring(root),
    }


def write_monitoring(root: Path) -> dict[str, Path]:
    """The alert rules notebook 18 fires locally, for the cluster's Prometheus (``promtool check
    rules`` validates the file offline). The pods are found by the ``prometheus.io/*`` annotations
    of the Deployment's template; a cluster's own scrape job reads them (Debian's promtool is built
    without Kubernetes service discovery, so a ``kubernetes_sd_configs`` job cannot be checked here)."""
    from wine_serving.servers import prometheus

    rules = prometheus.write_yaml(prometheus.alert_rules(), root / "prometheus-rules.yaml")
    return {"prometheus-rules": rules}
