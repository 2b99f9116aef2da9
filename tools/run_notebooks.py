"""Run every notebook in order on one workspace, headless, and say what each one produced.

``make tutorial`` calls this (``python tools/run_notebooks.py notebooks``): the path a
reader takes in JupyterLab, 01, 02, 03 … on one workspace, kernel after kernel. ``make
test`` runs it twice on one fresh workspace (a reader who runs everything again), and
the executed copies of the first pass (``--output``) are what the docs site shows.
It needs the ``dev`` extra (nbclient), so it lives beside the package, not in it.

The notebooks run in memory; the files in ``notebooks/`` stay output-free. Each
notebook's last code cell prints a one-line summary; that line is shown here.
``--report`` writes each notebook's status and seconds as JSON.

Each executed copy carries its execution record in ``metadata.wine_serving.execution``:
status, seconds, when it finished, and the versions the kernel itself reports (asked
before the first cell, so a notebook that fails still says what it ran with). The
docs site's 執行紀錄 page and the line atop each notebook page are built from it.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from wine_serving.workspace import get_workspace


def summary_line(nb) -> str:
    """The last line the last code cell printed: every notebook ends with its summary there."""
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    for output in reversed(code[-1].get("outputs", []) if code else []):
        if output.get("output_type") == "stream" and output.get("name") == "stdout":
            return output["text"].strip().splitlines()[-1]
    return "(the last code cell printed no summary)"


# Asked of the kernel, not of this process or the lock: what the cells really ran with.
RECORDED_PACKAGES = ("mlflow", "mlserver", "mlserver-mlflow", "pandas", "numpy", "scikit-learn")
VERSIONS_PROBE = f"""
import json as _json, os as _os, platform as _platform
from importlib import metadata as _metadata
_found = {{}}
for _name in {RECORDED_PACKAGES!r}:
    try:
        _found[_name] = _metadata.version(_name)
    except _metadata.PackageNotFoundError:
        _found[_name] = None
print(_json.dumps({{"python": _platform.python_version(), "packages": _found,
                   "system": f"{{_platform.system()}} {{_platform.machine()}}", "cpus": _os.cpu_count()}}))
"""


def execute(nb, client_kwargs: dict, log) -> dict:
    """Run every cell in one new kernel, as ``NotebookClient.execute`` does, after asking the kernel
    for its versions (``store_history=False``: the cells keep their ``In [1]``, ``In [2]`` …).
    Returns what the kernel reported; raises ``CellExecutionError`` as nbclient does."""
    import nbformat
    from nbclient import NotebookClient

    client = NotebookClient(nb, **client_kwargs)
    client.reset_execution_trackers()
    with client.setup_kernel(stderr=log):
        info = client.wait_for_reply(client.kc.kernel_info())
        if info and "language_info" in info["content"]:
            nb.metadata["language_info"] = info["content"]["language_info"]
        probe = nbformat.v4.new_code_cell(VERSIONS_PROBE)
        nb.cells.append(probe)  # execute_cell writes the cell back at its index
        try:
            client.execute_cell(probe, len(nb.cells) - 1, store_history=False)
        finally:
            nb.cells.pop()
        client.code_cells_executed = 0  # the probe is not one of the notebook's cells
        reported = json.loads(probe.outputs[-1]["text"])
        nb.metadata.setdefault("wine_serving", {})["execution"] = {"status": "running", **reported}
        for index, cell in enumerate(nb.cells):
            client.execute_cell(cell, index, execution_count=client.code_cells_executed + 1)
    return reported


def run(folder: Path, *, output: Path | None = None, report: Path | None = None,
        timeout: int = 900, only: list[str] | None = None, skip: list[str] | None = None,
        append: bool = False) -> int:
    import nbformat
    from nbclient.exceptions import CellExecutionError

    notebooks = sorted(Path(folder).glob("[0-9][0-9]_*.ipynb"))
    if only:
        unknown = sorted(set(only) - {p.stem for p in notebooks})
        if unknown:
            print(f"No such notebook in {folder}: {', '.join(unknown)}", file=sys.stderr)
            return 1
        notebooks = [p for p in notebooks if p.stem in only]
    notebooks = [p for p in notebooks if not {p.stem, p.stem[:2]} & set(skip or ())]
    if not notebooks:
        print(f"No numbered notebooks in {folder}", file=sys.stderr)
        return 1
    ws = get_workspace()
    print(f"Workspace: {ws.root}", flush=True)
    if output:
        output.mkdir(parents=True, exist_ok=True)
    results = []
    total = time.monotonic()
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        started = time.monotonic()
        # The kernel process's own messages (not the cells' output) go to a log in the workspace,
        # as JupyterLab keeps them in its terminal: ipykernel warns there about TCP transport.
        kernel_log = ws.logs_dir / f"kernel-{path.stem}.log"
        try:
            with kernel_log.open("w", encoding="utf-8") as log:
                # The kernel starts in the notebook's folder, as JupyterLab starts it.
                execute(nb, {"timeout": timeout, "kernel_name": "python3",
                             "resources": {"metadata": {"path": str(path.parent.resolve())}}}, log)
            status, detail = "ok", summary_line(nb)
        except CellExecutionError as exc:
            text = re.sub(r"\x1b\[[0-9;]*m", "", str(exc))  # the traceback's terminal colours
            lines = [line for line in text.strip().splitlines() if line.strip()]
            status, detail = "FAILED", (lines[-1] if lines else repr(exc)) + where_failed(nb, lines)
            detail += f" (kernel log: {kernel_log})"
        seconds = time.monotonic() - started
        record = nb.metadata.setdefault("wine_serving", {}).setdefault("execution", {})
        record.update(status=status, seconds=round(seconds, 1),
                      finished=datetime.now(timezone.utc).isoformat(timespec="seconds"))
        if output:
            nbformat.write(nb, output / path.name)
        results.append({"notebook": path.name, "status": status, "seconds": round(seconds, 1),
                        "summary": detail})
        print(f"{status:>6}  {path.name:<32} {seconds:6.1f} s  {detail}", flush=True)
    failed = sum(r["status"] != "ok" for r in results)
    elapsed = time.monotonic() - total
    print(f"{len(notebooks) - failed}/{len(notebooks)} notebooks ran in {elapsed:.1f} s", flush=True)
    if report:
        write_report(report, ws.root, elapsed, results, append=append)
    return 1 if failed else 0


def write_report(report: Path, workspace: Path, seconds: float, results: list[dict],
                 *, append: bool) -> None:
    """The pass's JSON; with ``append``, one pass run in parts (``make test`` runs 13 on its own)
    adds to what the earlier parts wrote, which must name the same workspace."""
    document = {"workspace": str(workspace), "seconds": 0.0, "notebooks": []}
    if append and report.is_file():
        document = json.loads(report.read_text(encoding="utf-8"))
        if document["workspace"] != str(workspace):
            raise SystemExit(f"{report} records workspace {document['workspace']}, not {workspace}")
    document["seconds"] = round(document["seconds"] + seconds, 1)
    document["notebooks"] += results
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")


def where_failed(nb: Any, lines: list[str]) -> str:
    """`` in cell N: <the line that raised>``: a bare ``AssertionError`` names its assert."""
    failing = [i for i, cell in enumerate(nb.cells)
               if any(out.get("output_type") == "error" for out in cell.get("outputs", []))]
    # IPython's arrow is as wide as the line-number column: ``----> 2``, ``---> 17``, ``--> 117``.
    arrows = [m.group(1).strip() for line in lines if (m := re.match(r"\s*-+>\s*(\d+\s.*)", line))]
    where = f" in cell {failing[-1]}" if failing else ""
    return where + (f": {arrows[-1]}" if arrows else "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", default="notebooks", type=Path)
    parser.add_argument("--output", type=Path, help="write the executed copies here")
    parser.add_argument("--report", type=Path, help="write status and seconds per notebook as JSON")
    parser.add_argument("--timeout", type=int, default=900, help="seconds one cell may take")
    parser.add_argument("--only", action="append", metavar="NAME",
                        help="run only this notebook (its name without .ipynb); repeatable")
    parser.add_argument("--skip", action="append", metavar="NAME", default=[],
                        help="leave this notebook out (its name or its number, e.g. 18); repeatable")
    parser.add_argument("--append", action="store_true",
                        help="add to the --report an earlier part of the same pass wrote")
    args = parser.parse_args(argv)
    return run(args.folder, output=args.output, report=args.report, timeout=args.timeout,
               only=args.only, skip=args.skip, append=args.append)


if __name__ == "__main__":
    sys.exit(main())
