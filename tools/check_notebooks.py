"""Refuse notebooks committed with outputs (pre-commit hook; CI runs it through `make precommit`).

The repository keeps notebooks output-free: outputs belong to the reader's run and to
the docs site, which shows the notebooks as executed by the test run.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def dirty_cells(path: Path) -> list[int]:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return [index for index, cell in enumerate(cells) if cell["cell_type"] == "code"
            and (cell.get("outputs") or cell.get("execution_count") is not None)]


def main(paths: list[str]) -> int:
    failed = 0
    for name in paths:
        dirty = dirty_cells(Path(name))
        if dirty:
            failed += 1
            print(f"{name}: cells {dirty} have outputs or execution counts; "
                  "clear them (JupyterLab: Edit > Clear Outputs of All Cells) before committing.")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
