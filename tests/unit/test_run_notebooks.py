"""The runner behind ``make tutorial``: in order, one summary line each, failures named, exit code."""

from __future__ import annotations

import json
import platform
import sys
from datetime import datetime, timedelta
from importlib import metadata
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))

import run_notebooks


def _notebook(folder: Path, name: str, *sources: str) -> None:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    nbformat.write(nb, folder / name)


def test_runs_in_order_reports_each_summary_and_fails_by_name(workspace, tmp_path):
    folder = tmp_path / "nbs"
    folder.mkdir()
    _notebook(folder, "01_first.ipynb", "x = 1",
              "print('a table\\nof two lines')\nprint('first: done')")
    _notebook(folder, "02_second.ipynb",
              "print('second')\n" + "x = 1\n" * 9 + "assert 1 + 1 == 3, 'arithmetic'")
    _notebook(folder, "03_third.ipynb", "print('third: ran after a failure')")
    report = tmp_path / "report.json"
    code = run_notebooks.main([str(folder), "--output", str(tmp_path / "out"), "--report", str(report)])
    assert code == 1
    entries = json.loads(report.read_text())["notebooks"]
    assert [(e["notebook"], e["status"]) for e in entries] == [
        ("01_first.ipynb", "ok"), ("02_second.ipynb", "FAILED"), ("03_third.ipynb", "ok")]
    assert entries[0]["summary"] == "first: done"
    failure = entries[1]["summary"]
    # line 11: IPython draws a shorter arrow (``---> 11``) than for a one-digit line (``----> 2``)
    assert failure.startswith("AssertionError: arithmetic in cell 0: 11 assert 1 + 1 == 3"), failure
    assert "kernel log:" in failure
    assert "\x1b" not in failure
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [e["notebook"] for e in entries]
    assert (workspace.logs_dir / "kernel-02_second.log").is_file()


def test_each_copy_records_status_time_and_the_kernels_versions(workspace, tmp_path):
    folder = tmp_path / "nbs"
    folder.mkdir()
    _notebook(folder, "01_fails.ipynb", "print('one')", "raise ValueError('stop here')", "print('never')")
    run_notebooks.main([str(folder), "--output", str(tmp_path / "out")])
    nb = json.loads((tmp_path / "out" / "01_fails.ipynb").read_text())
    record = nb["metadata"]["wine_serving"]["execution"]
    assert record["status"] == "FAILED"  # asked before the first cell: a failure still has versions
    assert record["python"] == nb["metadata"]["language_info"]["version"] == platform.python_version()
    assert set(record["packages"]) == set(run_notebooks.RECORDED_PACKAGES)
    for name, version in record["packages"].items():
        assert version == metadata.version(name)
    assert datetime.fromisoformat(record["finished"]).utcoffset() == timedelta(0)
    assert record["seconds"] > 0
    # The probe is not a cell and takes no execution count: the cells keep In [1], In [2].
    assert [c["execution_count"] for c in nb["cells"]] == [1, 2, None]
    assert [len(c["outputs"]) for c in nb["cells"]][:2] == [1, 1]


def test_a_pass_run_in_parts_adds_up_to_one_report_and_skip_leaves_one_out(workspace, tmp_path):
    folder = tmp_path / "nbs"
    folder.mkdir()
    for name in ("01_a", "02_b", "03_c"):
        _notebook(folder, f"{name}.ipynb", f"print('{name} done')")
    report = tmp_path / "report.json"
    assert run_notebooks.main([str(folder), "--only", "01_a", "--report", str(report), "--append"]) == 0
    # A number or a name leaves a notebook out; the second part adds to the first part's report.
    assert run_notebooks.main([str(folder), "--skip", "01", "--skip", "03_c", "--report", str(report),
                               "--append"]) == 0
    entries = json.loads(report.read_text())["notebooks"]
    assert [e["summary"] for e in entries] == ["01_a done", "02_b done"]
    assert run_notebooks.main([str(folder), "--only", "04_missing"]) == 1
