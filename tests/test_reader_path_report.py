"""What ``make test-notebooks`` recorded of the reader's path: in order, twice, on one workspace.

The two reports come from ``tools/run_notebooks.py`` (the runner ``make tutorial`` uses);
the executed copies of the first pass are what the docs site shows.
"""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REPORTS = [ROOT / "build" / f"reader-path-{n}.json" for n in (1, 2)]
NOTEBOOKS = sorted(p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def test_every_notebook_passed_in_order_twice_on_one_workspace():
    first, second = (json.loads(p.read_text(encoding="utf-8")) for p in REPORTS)
    assert first["workspace"] == second["workspace"]
    assert Path(first["workspace"]).is_relative_to(ROOT / "build")
    for report in (first, second):
        assert [n["notebook"] for n in report["notebooks"]] == NOTEBOOKS
        failed = {n["notebook"]: n["summary"] for n in report["notebooks"] if n["status"] != "ok"}
        assert failed == {}


def test_each_notebook_reported_its_own_summary_line():
    for path in REPORTS:
        for entry in json.loads(path.read_text(encoding="utf-8"))["notebooks"]:
            assert entry["summary"] and not entry["summary"].startswith("("), entry
            assert "\n" not in entry["summary"]


def test_the_site_shows_the_first_pass():
    executed = sorted(p.name for p in (ROOT / "build" / "notebooks").glob("*.ipynb"))
    assert executed == NOTEBOOKS
