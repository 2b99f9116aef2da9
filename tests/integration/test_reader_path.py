"""A notebook run as JupyterLab runs it (kernel in ``notebooks/``) writes nothing outside the workspace."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from wine_serving.workspace import HOME_ENV, environ

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.integration


def _git_status() -> str:
    return subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=ROOT,
                          capture_output=True, text=True, check=True, timeout=60).stdout


def test_training_notebook_leaves_the_checkout_as_it_was(tmp_path):
    """01 talks to MLflow the most (store, experiment, runs, registry): before the fix its
    runs beside a notebook left ``notebooks/mlflow.db`` (now not git-ignored, so it shows)."""
    import nbformat
    from nbclient import NotebookClient

    path = ROOT / "notebooks" / "01_train_model.ipynb"
    committed = path.read_bytes()
    before = _git_status()
    with environ(HOME_ENV, str(tmp_path / "ws")):
        nb = nbformat.read(path, as_version=4)
        NotebookClient(nb, timeout=600, kernel_name="python3",
                       resources={"metadata": {"path": str(path.parent)}}).execute()
    assert _git_status() == before
    assert path.read_bytes() == committed
    assert (tmp_path / "ws" / "mlflow.db").is_file()
    assert not (ROOT / "notebooks" / "mlflow.db").exists() and not (ROOT / "notebooks" / "mlruns").exists()
