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
import re
from pathlib import Path

import pytest

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
