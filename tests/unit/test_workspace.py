"""Workspace paths, tracking-URI precedence and a race-free fresh store."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from wine_serving.tracking import EXPERIMENT_NAME
from wine_serving.workspace import Workspace, default_root, get_workspace


def test_home_env_moves_everything(workspace, tmp_path):
    ws = get_workspace()
    assert ws.root == tmp_path / "ws"
    for path in (ws.mlflow_db, ws.artifacts_dir, ws.serving_dir, ws.logs_dir, ws.data_dir):
        assert path.is_relative_to(ws.root)
    assert ws.tracking_uri == f"sqlite:///{tmp_path / 'ws' / 'mlflow.db'}"
    assert ws.uses_embedded_store


def test_default_root_is_the_ignored_repo_folder(monkeypatch):
    monkeypatch.delenv("WINE_SERVING_HOME", raising=False)
    root = default_root()
    assert root.name == "workspace"
    gitignore = (root.parent / ".gitignore").read_text()
    assert "/workspace/" in gitignore


def test_external_tracking_server_wins(workspace, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:5005")
    assert workspace.tracking_uri == "http://127.0.0.1:5005"
    assert not workspace.uses_embedded_store
    assert workspace.server_env()["MLFLOW_TRACKING_URI"] == "http://127.0.0.1:5005"


def test_server_env_carries_the_embedded_store(workspace):
    env = workspace.server_env()
    assert env["MLFLOW_TRACKING_URI"] == workspace.embedded_tracking_uri
    assert env["WINE_SERVING_HOME"] == str(workspace.root)


def _init_in_child(root: str, barrier) -> str:
    from tests.helpers import set_tracking_to_workspace
    from wine_serving.workspace import Workspace

    barrier.wait(timeout=30)
    return set_tracking_to_workspace(Workspace(Path(root)).ensure_dirs())


def test_two_processes_create_a_fresh_store_at_once(tmp_path):
    """Without the lock this crashed alembic ("duplicate column name: step")."""
    ctx = multiprocessing.get_context("spawn")
    root = tmp_path / "race"
    with ctx.Manager() as manager:
        barrier = manager.Barrier(3)
        with ctx.Pool(3) as pool:
            results = [pool.apply_async(_init_in_child, (str(root), barrier)) for _ in range(3)]
            uris = [r.get(timeout=120) for r in results]
    assert len(set(uris)) == 1
    from mlflow.tracking import MlflowClient

    client = MlflowClient(uris[0])
    experiments = [e for e in client.search_experiments() if e.name == EXPERIMENT_NAME]
    assert len(experiments) == 1
    assert experiments[0].artifact_location == (root / "mlartifacts").as_uri()


def test_lock_is_exclusive(tmp_path):
    ws = Workspace(tmp_path).ensure_dirs()
    import fcntl

    with ws.lock("x"):
        with open(ws.locks_dir / "x.lock", "w") as other:
            try:
                fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
                taken = False
            except BlockingIOError:
                taken = True
    assert taken


def test_the_checkout_is_found_and_nothing_outside_one(tmp_path):
    from wine_serving.workspace import checkout_root

    root = Path(__file__).resolve().parents[2]
    assert checkout_root() == root
    installed = tmp_path / "lib" / "python3.11" / "site-packages" / "wine_serving" / "workspace.py"
    installed.parent.mkdir(parents=True)
    installed.write_text("")
    assert checkout_root(installed) is None  # a plain `pip install .`: no checkout above it


def test_outside_a_checkout_the_workspace_is_in_the_home_folder(monkeypatch):
    from wine_serving import workspace

    monkeypatch.delenv("WINE_SERVING_HOME", raising=False)
    monkeypatch.setattr(workspace, "checkout_root", lambda: None)
    assert workspace.default_root() == workspace.INSTALLED_HOME == Path.home() / "wine-serving-workspace"
    assert "site-packages" not in str(workspace.default_root())


def test_shortened_urls_still_name_the_workspace_from_the_folder_above(tmp_path, monkeypatch):
    """A printed ``sqlite:///workspace/mlflow.db`` is SQLAlchemy's relative form: run from the
    folder that holds ``workspace/`` (the checkout), it opens the workspace's own database."""
    from sqlalchemy.engine import make_url

    ws = Workspace(tmp_path / "workspace")
    short = ws.shorten(ws.embedded_tracking_uri)
    assert short == "sqlite:///workspace/mlflow.db"
    monkeypatch.chdir(tmp_path)
    assert Path(make_url(short).database).resolve() == ws.mlflow_db
    uri = ws.shorten(f"file://{ws.artifacts_dir}/models/m-1")
    assert uri == "file:///…/workspace/mlartifacts/models/m-1"  # elided, never file://workspace
    assert ws.shorten(ws.serving_dir / "wine") == "workspace/serving/wine"
