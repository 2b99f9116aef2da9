"""Every server the tutorial starts, one module each, all owned through ``process.managed``.

``mlserver`` (``mlserver start <folder>``, with ``preflight`` checking the model first) is the
core path; ``mlflow`` (``mlflow server`` and ``mlflow models serve``), ``kserve`` (KServe's V2
server in its own venv) and ``floor`` (the benchmark's bare uvicorn app) come in later lessons.
Nothing is imported here, so the core path never pulls in the later servers.
"""
