"""The workspace: every path a tutorial run creates, and the lock that guards it.

A reader, a test and CI must never write into the repository by accident, so all
run output (MLflow store, artifacts, settings files, logs, downloaded data) sits
under one root that ``WINE_SERVING_HOME`` can move.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

HOME_ENV = "WINE_SERVING_HOME"
TRACKING_ENV = "MLFLOW_TRACKING_URI"


def checkout_root(module_file: str | Path = __file__) -> Path | None:
    """The source checkout this package runs from (``make setup`` installs it editable), else None.

    The one place that knows the layout ``<checkout>/src/wine_serving/``. After a plain
    ``pip install .`` the package lives in the environment's own package folder, with no checkout:
    callers then need another answer (the workspace) or a clear message (lock files, the
    KServe venv and the package's wheel only exist in a checkout).
    """
    candidate = Path(module_file).resolve().parents[2]
    pyproject = candidate / "pyproject.toml"
    if pyproject.is_file() and 'name = "wine-serving"' in pyproject.read_text(encoding="utf-8"):
        return candidate
    return None


# Outside a checkout (a plain ``pip install``) the workspace goes here unless moved.
INSTALLED_HOME = Path.home() / "wine-serving-workspace"


def default_root() -> Path:
    """``<checkout>/workspace`` (git-ignored) unless ``WINE_SERVING_HOME`` moves it; outside a
    checkout ``~/wine-serving-workspace``, never a folder inside the installed package."""
    override = os.environ.get(HOME_ENV)
    if override:
        return Path(override).expanduser().resolve()
    checkout = checkout_root()
    return checkout / "workspace" if checkout else INSTALLED_HOME


@dataclass(frozen=True)
class Workspace:
    """Paths below one root; creating the object creates nothing on disk."""

    root: Path

    @property
    def mlflow_db(self) -> Path:
        return self.root / "mlflow.db"

    @property
    def artifacts_dir(self) -> Path:
        return self.root / "mlartifacts"

    @property
    def serving_dir(self) -> Path:
        """The MLServer model repository (``mlserver start`` points here)."""
        return self.root / "serving"

    @property
    def logs_dir(self) -> Path:
        return self.root / "logs"

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def locks_dir(self) -> Path:
        return self.root / ".locks"

    @property
    def embedded_tracking_uri(self) -> str:
        return f"sqlite:///{self.mlflow_db}"

    @property
    def tracking_uri(self) -> str:
        """A team's tracking server named in the environment wins over the local sqlite file."""
        return os.environ.get(TRACKING_ENV) or self.embedded_tracking_uri

    @property
    def uses_embedded_store(self) -> bool:
        return self.tracking_uri == self.embedded_tracking_uri

    def shorten(self, text: object) -> str:
        """``text`` with this machine's workspace path written as ``workspace``.

        What a notebook prints should read the same on every machine: the reader's
        own ``workspace/…``, not the build machine's temporary folder. A printed command
        then runs as printed from the checkout: paths become relative, and so does a
        SQLite URL (``sqlite:///workspace/mlflow.db``: three slashes and a relative path,
        SQLAlchemy's form for a file below the current folder). A ``file://`` URI has no
        relative form (``file://workspace`` would name a host), so its folder is elided:
        ``file:///…/workspace/…``.
        """
        root = str(self.root)
        return str(text).replace(f"file://{root}", "file:///…/workspace").replace(root, "workspace")

    def ensure_dirs(self) -> Workspace:
        for path in (self.root, self.artifacts_dir, self.serving_dir, self.logs_dir,
                     self.data_dir, self.locks_dir):
            path.mkdir(parents=True, exist_ok=True)
        return self

    @contextmanager
    def lock(self, name: str) -> Iterator[None]:
        """An inter-process lock, so parallel notebooks or test workers take turns."""
        self.locks_dir.mkdir(parents=True, exist_ok=True)
        with open(self.locks_dir / f"{name}.lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def server_env(self) -> dict[str, str]:
        """Environment for child processes: they must see the same tracking store."""
        env = dict(os.environ)
        env[TRACKING_ENV] = self.tracking_uri
        env[HOME_ENV] = str(self.root)
        return env


_UNSET = object()


@contextmanager
def environ(name: str, value: str | None | object = _UNSET) -> Iterator[None]:
    """Within the block ``name`` is ``value`` (``None`` unsets it); afterwards exactly what was there.

    Without ``value`` the block may change the variable freely (MLflow's
    ``set_tracking_uri`` exports it) and it is put back on exit.
    """
    previous = os.environ.get(name)
    if value is None:
        os.environ.pop(name, None)
    elif value is not _UNSET:
        os.environ[name] = str(value)
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = previous


def get_workspace() -> Workspace:
    """The current workspace, with its folders created."""
    return Workspace(default_root()).ensure_dirs()
