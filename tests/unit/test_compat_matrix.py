"""The compatibility matrix's cells, overrides and page (tools/compat_matrix.py); the cells themselves
run outside CI (make compat-matrix, .github/workflows/compat.yml)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

import compat_matrix  # noqa: E402


def test_every_combination_the_page_names_is_a_cell():
    cells = compat_matrix.cells()
    keys = {compat_matrix.key_of(c) for c in cells}
    assert len(keys) == len(cells) == 2 * 5 * 2 * 2 + 1
    assert sum(c["web"] == "declared" for c in cells) == 1


def test_overrides_force_the_cells_versions_and_keep_the_patched_web_stack():
    cell = dict(mlserver="1.7.2rc1", mlflow="3.18", pandas="3", python="3.12", web="patched")
    lines = compat_matrix.overrides(cell)
    assert {"mlserver==1.7.2rc1", "mlserver-mlflow==1.7.2rc1", "uvloop==0.23.0", "pandas>=3,<4",
            "mlflow>=3.18,<3.19", "mlflow-skinny>=3.18,<3.19", "fastapi==0.165.0"} <= set(lines)
    declared = compat_matrix.overrides({**cell, "mlserver": "1.7.1", "pandas": "2.2", "web": "declared"})
    assert "pandas>=2.2,<2.3" in declared and "uvloop>=0.19,<0.22" in declared
    assert not any(line.startswith(("fastapi", "starlette")) for line in declared)


def test_the_page_shows_a_pass_a_first_error_and_what_was_not_measured(tmp_path):
    passed = dict(mlserver="1.7.1", mlflow="3.17", pandas="2.2", python="3.11", web="patched")
    failed = {**passed, "mlflow": "3.18"}
    for cell, ok in ((passed, True), (failed, False)):
        folder = tmp_path / compat_matrix.key_of(cell)
        folder.mkdir()
        (folder / "result.json").write_text(json.dumps({
            **cell, "key": compat_matrix.key_of(cell), "passed": ok, "failed_at": None if ok else "05",
            "error": None if ok else "AssertionError | in cell 3", "versions": {"mlflow": "3.17.2"},
            "date": "2026-12-06"}), encoding="utf-8")
    text = compat_matrix.page(tmp_path)
    assert text.startswith(compat_matrix.PAGE.read_text(encoding="utf-8").split(compat_matrix.MARKER)[0])
    assert "| 3.17 | ✔ 01–08（3.17.2） | 未量測 |" in text
    assert "| 3.18 | ✘ 05：AssertionError \\| in cell 3 | 未量測 |" in text  # a | inside a cell is escaped
    assert "量測日期：2026-12-06。" in text
