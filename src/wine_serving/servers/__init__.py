"""Every server the tutorial starts, one module each, all owned through ``process.managed``.

``mlserver`` (``mlserver start <folder>``, with ``preflight`` checking the model first) is the
core path; later lessons add ``mlflow`` (``mlflow server`` and ``mlflow models serve``),
``kserve`` (KServe's V2 server in its own venv, and the two venvs' requirements lock files read
back), ``floor`` (the benchmark's bare uvicorn app), ``supervisor`` (restarts a server whose real
inference probe fails), ``prometheus`` (a real Prometheus scraping MLServer) and
``strict_runtime`` (the MLflow runtime MLServer loads in lesson 16, checking each request).
Nothing is imported here, so the core path never pulls in the later servers, and MLServer
loading the strict runtime imports only what that module needs.
"""
