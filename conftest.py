"""Give every notebook run by nbmake a fresh workspace of its own.

nbmake starts the notebook's kernel inside the test, after setup, so a variable set
here is inherited by the kernel and by every server the notebook starts. A run of
``pytest --nbmake notebooks/`` therefore never writes into the repository's
``workspace/`` and proves each notebook works on an empty workspace.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

HOME_ENV = "WINE_SERVING_HOME"
CSV_ENV = "WINE_QUALITY_CSV"
SHARED_CSV = Path(__file__).resolve().parent.parent / "shared" / "data" / "winequality-red.csv"


def pytest_configure(config: pytest.Config) -> None:
    """Tests never download: take the shared offline copy unless one is named already."""
    if not os.environ.get(CSV_ENV) and SHARED_CSV.is_file():
        os.environ[CSV_ENV] = str(SHARED_CSV)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.path.suffix != ".ipynb":
        return
    factory = item.config._tmp_path_factory  # type: ignore[attr-defined]
    home = factory.mktemp(f"ws-{item.path.stem}")
    item._previous_home = os.environ.get(HOME_ENV)  # type: ignore[attr-defined]
    os.environ[HOME_ENV] = str(home)


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item) -> None:
    if item.path.suffix != ".ipynb":
        return
    previous = getattr(item, "_previous_home", None)
    if previous is None:
        os.environ.pop(HOME_ENV, None)
    else:
        os.environ[HOME_ENV] = previous
