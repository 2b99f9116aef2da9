"""What the published pages show from each notebook run: what a reader sees on their own machine.

The site shows the notebooks as executed by ``make test-notebooks`` (``build/notebooks``):
the first in-order run, on one fresh workspace under ``build/``, as a reader runs them.
Neither that machine's paths nor library noise may reach a page: a path is shown
relative to the workspace (``workspace/…``), MLflow's INFO lines and progress bars are
off, and a stderr box appears only in a cell tagged ``show-stderr``, where the lesson is
what MLflow prints (registration).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from wine_serving.tracking import EXPERIMENT_NAME

ROOT = Path(__file__).resolve().parents[1]
EXECUTED = ROOT / "build" / "notebooks"
SITE = ROOT / "site"
# Paths and noise a reader never sees on their own machine.
FORBIDDEN = re.compile(
    r"pytest-of-|/tmp/pytest|popen-gw\d|site-packages|\.venv/lib|TqdmWarning|IProgress not found"
    r"|INFO mlflow|Downloading artifacts|" + re.escape(str(ROOT)))

NOTEBOOKS = sorted(EXECUTED.glob("*.ipynb"))


def _outputs_text(cell: dict) -> str:
    parts = []
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream":
            parts.append("".join(output["text"]))
        for key in ("text/plain", "text/html", "text/markdown"):
            value = output.get("data", {}).get(key)
            if value:
                parts.append("".join(value))
    return "\n".join(parts)


def test_notebooks_were_executed():
    assert NOTEBOOKS, "no executed notebooks: run `make test-notebooks` first"
    assert len(NOTEBOOKS) == len(list((ROOT / "notebooks").glob("*.ipynb")))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_outputs_hold_no_build_paths_or_noise(path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    found = [(i, m.group(0)) for i, c in enumerate(cells) if c["cell_type"] == "code"
             for m in [FORBIDDEN.search(_outputs_text(c))] if m]
    assert found == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_stderr_only_where_the_lesson_wants_it(path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    untagged = [i for i, c in enumerate(cells) if c["cell_type"] == "code"
                and "show-stderr" not in c.get("metadata", {}).get("tags", [])
                and any(o.get("name") == "stderr" for o in c.get("outputs", []))]
    assert untagged == []


def test_built_pages_hold_no_build_paths_or_noise():
    pages = sorted(SITE.rglob("index.html"))
    assert pages, "no built site: run `make docs` first"
    dirty = {str(p.relative_to(SITE)): m.group(0) for p in pages
             for m in [FORBIDDEN.search(p.read_text(encoding="utf-8"))] if m}
    assert dirty == {}


def _printed_lines(name: str) -> list[str]:
    cells = json.loads((EXECUTED / name).read_text(encoding="utf-8"))["cells"]
    return [line for cell in cells if cell["cell_type"] == "code"
            for line in _outputs_text(cell).splitlines()]


def test_no_output_names_a_host_called_workspace():
    """``file://workspace/…`` would be a URI whose host is "workspace"."""
    assert [p.name for p in NOTEBOOKS if "file://workspace" in json.dumps(json.load(p.open()))] == []


def test_printed_commands_run_as_printed_from_the_checkout(tmp_path):
    """The commands 01 and 04 print for the reader to type, run in a folder whose ``workspace/``
    is the in-order run's workspace (what a reader's checkout is): the tracking URI opens that
    store, and the folders named exist."""
    (tmp_path / "workspace").symlink_to(ROOT / "build" / "reader-workspace")
    first, fourth = _printed_lines("01_train_model.ipynb"), _printed_lines("04_start_server.ipynb")
    ui = next(line for line in first if line.startswith("mlflow ui "))
    exported = next(line for line in fourth if line.startswith("export "))
    start = next(line for line in fourth if line.startswith("mlserver start "))
    uri = exported.removeprefix("export MLFLOW_TRACKING_URI=")
    assert ui.split("--backend-store-uri ")[1].split()[0] == uri
    env = {**os.environ, "MLFLOW_TRACKING_URI": uri}
    env.pop("WINE_SERVING_HOME", None)
    listed = subprocess.run([str(ROOT / ".venv" / "bin" / "mlflow"), "experiments", "search"], cwd=tmp_path,
                            env=env, capture_output=True, text=True, timeout=300)
    assert listed.returncode == 0, listed.stderr[-2000:]
    assert EXPERIMENT_NAME in listed.stdout
    repository = tmp_path / start.split()[-1]
    assert (repository / "settings.json").is_file()
