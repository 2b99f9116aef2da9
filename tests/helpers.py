"""Shared by the tests: process inspection for the lifecycle tests, MLflow pointed at a workspace, and the
interpreters pyenv keeps (the setup checks and the model-environment test)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import psutil

from wine_serving.tracking import EXPERIMENT_NAME, ensure_store
from wine_serving.workspace import TRACKING_ENV, Workspace, environ


def mlserver_processes(repository: Path) -> list[psutil.Process]:
    """Live processes that run ``mlserver start <repository>`` or are their children."""
    target = str(Path(repository).resolve())
    found = []
    for proc in psutil.process_iter(["cmdline", "status"]):
        try:
            if proc.info["status"] == psutil.STATUS_ZOMBIE:
                continue
            cmd = proc.info["cmdline"] or []
            if "start" in cmd and target in cmd and any(c.endswith("mlserver") for c in cmd):
                found.append(proc)
                found.extend(c for c in proc.children(recursive=True)
                             if c.status() != psutil.STATUS_ZOMBIE)
        except psutil.Error:
            continue
    return found


def wait_until_gone(repository: Path, timeout: float = 20.0) -> list[psutil.Process]:
    """Poll until no server process for ``repository`` is left; returns what remains."""
    deadline = time.monotonic() + timeout
    left = mlserver_processes(repository)
    while left and time.monotonic() < deadline:
        time.sleep(0.2)
        left = mlserver_processes(repository)
    return left


def set_tracking_to_workspace(ws: Workspace | None = None) -> str:
    """Point this process's MLflow at the workspace store and experiment, and leave it there.

    It changes MLflow's process-wide state (tracking URI and active experiment), as its
    name says: for tests that work on one workspace (it lives here, not in the package: nothing else
    uses it). A notebook writes the two MLflow calls out; package code uses ``using_workspace_store``.
    """
    import mlflow

    uri = ensure_store(ws)
    # MLflow 3 also exports the URI to the environment; undo that, or a later
    # workspace (and every child process) would mistake it for the user's choice.
    with environ(TRACKING_ENV):
        mlflow.set_tracking_uri(uri)
    mlflow.set_experiment(EXPERIMENT_NAME)
    return uri


def pyenv_pythons() -> dict[str, Path]:
    """The interpreters this machine keeps under pyenv, by minor version (3.10 … 3.13)."""
    root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    found = {}
    for folder in sorted(root.glob("3.1[0-9].*")):
        python = folder / "bin" / "python"
        if python.is_file():
            found[".".join(folder.name.split(".")[:2])] = python
    return found
