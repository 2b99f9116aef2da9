"""The 執行紀錄 page and the line atop each notebook page say what the in-order run recorded.

The records live in the executed copies the site shows (``build/notebooks``, written by
``tools/run_notebooks.py``); the pages are built from them (``docs/hooks/execution.py``).
"""

from __future__ import annotations

import html
import json
import re
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXECUTED = ROOT / "build" / "notebooks"
SITE = ROOT / "site"
NOTEBOOKS = sorted(EXECUTED.glob("[0-9][0-9]_*.ipynb"))

sys.path.insert(0, str(ROOT / "docs" / "hooks"))
import execution  # noqa: E402


def _record(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))["metadata"]["wine_serving"]["execution"]


def _text(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def _lock() -> dict[str, str]:
    pins = re.findall(r"^([a-z0-9_.-]+)==([^\s;]+)", (ROOT / "requirements.lock").read_text(), re.M)
    return {name: version for name, version in pins}


def test_every_shown_notebook_carries_a_record_of_a_passing_run():
    assert NOTEBOOKS, "no executed notebooks: run `make test-notebooks` first"
    for path in NOTEBOOKS:
        record = _record(path)
        assert record["status"] == "ok", path.name
        assert record["seconds"] > 0
        assert datetime.fromisoformat(record["finished"]).utcoffset() == timedelta(0)


def test_the_recorded_versions_are_the_locked_ones():
    """The kernels ran in the environment `make setup` installed from the lock, on its Python."""
    lock = _lock()
    python = (ROOT / ".venv" / "pyvenv.cfg").read_text()
    for path in NOTEBOOKS:
        record = _record(path)
        assert record["packages"] == {name: lock[name] for name in record["packages"]}, path.name
        assert re.search(rf"^version(_info)?\s*=\s*{re.escape(record['python'])}\b", python, re.M)


def test_the_execution_page_lists_each_notebook_as_recorded():
    page = (SITE / "execution" / "index.html").read_text(encoding="utf-8")
    # Whitespace aside: a <code> right after "：" is set off by a space in the page's text.
    rows = {re.sub(r"\s", "", _text(row)) for row in re.findall(r"<tr>(.*?)</tr>", page, re.S)}
    for path in NOTEBOOKS:
        record = _record(path)
        shown = execution.title(path).replace("`", "")  # Markdown code in a title is shown without them
        expected = f"{shown} 通過 {record['seconds']:.1f} {execution.finished(record)}"
        assert re.sub(r"\s", "", expected) in rows, path.name
    versions = {_text(row) for row in re.findall(r"<tr>(.*?)</tr>", page.split('id="執行時的版本"')[1], re.S)}
    first = _record(NOTEBOOKS[0])
    assert f"Python {first['python']} 全部" in versions
    for name, label in execution.PACKAGES.items():
        assert f"{label} {first['packages'][name]} 全部" in versions
    total = sum(_record(p)["seconds"] for p in NOTEBOOKS)
    assert f"{len(NOTEBOOKS)} 本有紀錄，合計 {total:.1f} 秒。" in _text(page)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_each_notebook_page_says_under_its_title_when_and_with_what_it_ran(path):
    page = (SITE / "tutorial" / path.stem / "index.html").read_text(encoding="utf-8")
    line = re.search(r'</h1>\s*<p class="execution-line"[^>]*>(.*?)</p>', page, re.S)
    assert line, "no execution line right under the title"
    record = _record(path)
    text = _text(line.group(1))
    assert f"通過，{record['seconds']:.1f} 秒" in text
    assert execution.finished(record) in text
    assert execution.versions_line(record) in text
    assert 'href="../../execution/"' in line.group(1)


ESTIMATE = re.compile(r"\*\*預估時間\*\*[^\n]*?執行約 ?(\d+(?:\.\d+)?) ?(秒|分鐘)")
# The in-order pass shares the machine with the notebooks-alone pass in `make test` (tools/ci.py),
# so its figures run slower than a reader's quiet machine: the estimate may be off by this factor.
ESTIMATE_FACTOR = 3


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_the_run_time_a_notebook_promises_agrees_with_its_record(path):
    """The 預估時間 line's "執行約 N 秒／分鐘" against the seconds the first in-order pass recorded."""
    first = json.loads(path.read_text(encoding="utf-8"))["cells"][0]
    found = ESTIMATE.search("".join(first["source"]))
    assert found, f"{path.name}: no 執行約 N 秒／分鐘 in the 預估時間 line"
    estimate = float(found.group(1)) * (60 if found.group(2) == "分鐘" else 1)
    recorded = _record(path)["seconds"]
    low, high = estimate / ESTIMATE_FACTOR, estimate * ESTIMATE_FACTOR
    assert low <= recorded <= high, (path.name, estimate, recorded)
