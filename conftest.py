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

from wine_serving.workspace import HOME_ENV, environ

CSV_ENV = "WINE_QUALITY_CSV"
SHARED_CSV = Path(__file__).resolve().parent.parent / "shared" / "data" / "winequality-red.csv"


def pytest_configure(config: pytest.Config) -> None:
    """Tests never download: take the shared offline copy unless one is named already."""
    if not os.environ.get(CSV_ENV) and SHARED_CSV.is_file():
        os.environ[CSV_ENV] = str(SHARED_CSV)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item):
    """The notebook's kernel starts during the call; it inherits a fresh workspace of its own."""
    if item.path.suffix != ".ipynb":
        yield
        return
    home = item.config._tmp_path_factory.mktemp(f"ws-{item.path.stem}")
    with environ(HOME_ENV, str(home)):
        yield
