"""Run every notebook in order, headless, and say what each one produced.

``make tutorial`` calls this (``python tools/run_notebooks.py notebooks``); it needs the
``dev`` extra (nbclient). It lives beside the package, not in it: a reader who
installs ``wine-serving`` for its helpers does not need a notebook runner.

Notebooks run in memory (the files on disk stay output-free) against the current
workspace, so the run leaves a trained model, settings files and logs for the
reader to explore afterwards.

Each notebook's last code cell prints a one-line summary; that line is shown here.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from wine_serving.workspace import get_workspace


def _last_text(nb) -> str:
    for cell in reversed(nb.cells):
        if cell.cell_type != "code":
            continue
        for output in reversed(cell.get("outputs", [])):
            text = output.get("text") or output.get("data", {}).get("text/plain", "")
            if text:
                return text.strip().splitlines()[-1]
    return "(no output)"


def run(folder: Path, timeout: int = 600) -> int:
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    notebooks = sorted(Path(folder).glob("[0-9][0-9]_*.ipynb"))
    if not notebooks:
        print(f"No numbered notebooks in {folder}", file=sys.stderr)
        return 1
    ws = get_workspace()
    print(f"Workspace: {ws.root}")
    failed = 0
    total = time.monotonic()
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        started = time.monotonic()
        try:
            NotebookClient(nb, timeout=timeout, kernel_name="python3",
                           resources={"metadata": {"path": str(path.parent)}}).execute()
            status, detail = "ok", _last_text(nb)
        except CellExecutionError as exc:
            failed += 1
            status, detail = "FAILED", str(exc).strip().splitlines()[-1]
        print(f"{status:>6}  {path.name:<32} {time.monotonic() - started:6.1f} s  {detail}")
    print(f"{len(notebooks) - failed}/{len(notebooks)} notebooks ran in "
          f"{time.monotonic() - total:.1f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(run(Path(sys.argv[1] if len(sys.argv) > 1 else "notebooks")))
