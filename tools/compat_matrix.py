"""Which MLflow works with which MLServer: notebooks 01-08, in order, in a fresh venv per combination.

mlserver-mlflow 1.7.1 declares ``mlflow>=2.19.0`` with no upper bound, so a bare install takes the
newest MLflow; users ask in every tracker which one works. Each cell of the matrix is one
combination of MLServer, MLflow (newest patch of a minor), pandas and Python, resolved from
``pyproject.toml`` with that combination forced by uv overrides, installed like ``make setup``
installs the lock, then notebooks 01-08 on an empty workspace. A cell passes or records the first
error in one line. A second dimension is the web stack: ``patched`` keeps this repository's
fastapi/starlette overrides (the lock), ``declared`` leaves MLServer's own ``fastapi<0.116``.

    python tools/compat_matrix.py cells                      # the whole matrix as JSON (the workflow's)
    python tools/compat_matrix.py all                        # every cell here, then the page
    python tools/compat_matrix.py run --mlserver 1.7.1 --mlflow 3.18 --pandas 2.2 --python 3.11
    python tools/compat_matrix.py run ... --keep             # and keep its venv, for any other notebook
    python tools/compat_matrix.py page                       # docs/compatibility.md from build/compat

Outside ``.ci/run`` (``make compat-matrix``, ``.github/workflows/compat.yml``): each cell takes
minutes and needs the package registry.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import shutil
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import tomllib
from ci_stages import make_variable  # tools/ is this script's folder: one reader of the Makefile

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "build" / "compat"
PAGE = ROOT / "docs" / "compatibility.md"
NOTEBOOKS = ("01_train_model", "02_locate_model", "03_write_settings", "04_start_server",
             "05_column_requests", "06_tensor_requests", "07_invocations_and_errors", "08_model_registry")
MLSERVER = ("1.7.1", "1.7.2rc1")
MLFLOW = ("3.14", "3.15", "3.16", "3.17", "3.18")
PANDAS = ("2.2", "3")
PYTHON = ("3.11", "3.12")
# MLServer 1.7.2rc1 requires uvloop>=0.22.1,<0.24 (its metadata); 1.7.1 dies on 0.22 (pyproject.toml).
UVLOOP = {"1.7.1": "uvloop>=0.19,<0.22", "1.7.2rc1": "uvloop==0.23.0"}
# The lock's MLServer, MLflow and Python on the pandas-2 column (the lock has 2.3.3 since 2026-12-06,
# the column 2.2): its cells (both web stacks) also measure which clients get answers.
CLIENT_CELL = {"mlserver": "1.7.1", "mlflow": "3.17", "pandas": "2.2", "python": "3.11"}


def key_of(cell: dict[str, str]) -> str:
    return (f"mlserver-{cell['mlserver']}_mlflow-{cell['mlflow']}_pandas-{cell['pandas']}"
            f"_py{cell['python']}_{cell['web']}")


def cells() -> list[dict[str, str]]:
    """Every combination with the patched web stack, and the declared one for the locked versions."""
    out = [dict(mlserver=s, mlflow=f, pandas=p, python=y, web="patched")
           for s, f, p, y in itertools.product(MLSERVER, MLFLOW, PANDAS, PYTHON)]
    out.append({**CLIENT_CELL, "web": "declared"})
    return out


def overrides(cell: dict[str, str]) -> list[str]:
    """The uv overrides that force the cell's versions over every declared range."""
    minor = cell["mlflow"]
    major, number = minor.split(".")
    upper = f"{major}.{int(number) + 1}"
    pandas_upper = "2.3" if cell["pandas"] == "2.2" else str(int(cell["pandas"]) + 1)
    lines = [f"mlserver=={cell['mlserver']}", f"mlserver-mlflow=={cell['mlserver']}",
             UVLOOP[cell["mlserver"]], f"pandas>={cell['pandas']},<{pandas_upper}"]
    lines += [f"{name}>={minor},<{upper}" for name in ("mlflow", "mlflow-skinny", "mlflow-tracing")]
    if cell["web"] == "patched":
        lines += tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["uv"][
            "override-dependencies"]
    return lines


def _step(log, *command: str | Path, env: dict[str, str] | None = None) -> str | None:
    """Run one step, its output appended to the cell's log; None, or its last meaningful line."""
    log.write(f"$ {' '.join(map(str, command))}\n")
    log.flush()
    done = subprocess.run([str(c) for c in command], cwd=ROOT, env=env, stdout=log, stderr=subprocess.PIPE,
                          text=True, timeout=3600)
    log.write(done.stderr)
    if done.returncode == 0:
        return None
    lines = [line.strip() for line in done.stderr.splitlines() if line.strip()]
    causes = [line.removeprefix("cause:").strip() for line in lines if line.startswith("cause:")]
    return (causes or lines or [f"exit status {done.returncode}"])[-1]  # uv's resolver: its first reason


def python_for(version: str) -> str:
    """An interpreter of that version that runs: on PATH, else pyenv's (a pyenv shim for a version that is
    installed but not selected is on PATH and fails)."""
    candidates = [shutil.which(f"python{version}"),
                  *sorted(map(str, Path.home().glob(f".pyenv/versions/{version}.*/bin/python{version}")))]
    for candidate in filter(None, candidates):
        if subprocess.run([candidate, "-c", "pass"], capture_output=True).returncode == 0:
            return candidate
    raise SystemExit(f"no working python{version}: install it (for example with pyenv) for this cell")


def _install(cell: dict[str, str], folder: Path, log) -> tuple[str | None, str | None]:
    """A fresh venv with the cell's versions resolved from pyproject.toml: (failed step, error) or Nones."""
    venv = folder / "venv"
    py, uv = venv / "bin" / "python", venv / "bin" / "uv"
    steps = [
        ("venv", [python_for(cell["python"]), "-m", "venv", venv]),
        ("venv", [py, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                  f"uv=={make_variable('UV_VERSION')}"]),
        ("resolve", [uv, "pip", "compile", "--quiet", "--no-config", "pyproject.toml", "--extra", "dev",
                     "--python-version", cell["python"], "--override", folder / "overrides.txt",
                     "-o", folder / "requirements.txt"]),
        # --no-config everywhere: pyproject.toml's [tool.uv] overrides would otherwise apply to the
        # install too and put the patched fastapi into the declared web stack's venv.
        ("install", [uv, "pip", "install", "--quiet", "--no-config", "--compile-bytecode", "--python", py,
                     "--no-deps", "-r", folder / "requirements.txt"]),
        ("install", [uv, "pip", "install", "--quiet", "--no-config", "--python", py, "--no-deps", "-e", "."]),
        ("install", [py, "tools/known_warnings.py"]),
    ]
    for name, command in steps:
        if (error := _step(log, *command)) is not None:
            return name, error
    return None, None


def _run_notebooks(cell: dict[str, str], folder: Path, log) -> tuple[str | None, str | None]:
    """Notebooks 01-08 on an empty workspace in the cell's venv (and, for the locked versions, which
    clients get answers): (first failing notebook or step, its error) or Nones."""
    py = folder / "venv" / "bin" / "python"
    env = {**os.environ, "WINE_SERVING_HOME": str(folder / "workspace")}
    (folder / "versions.txt").write_text(
        subprocess.run([py, "tools/versions.py"], cwd=ROOT, capture_output=True, text=True).stdout,
        encoding="utf-8")
    only = [arg for name in NOTEBOOKS for arg in ("--only", name)]
    crashed = _step(log, py, "tools/run_notebooks.py", "notebooks", *only, "--report", folder / "report.json",
                    "--output", folder / "executed", env=env)
    ran = _ran(folder)
    failed = [n for n in ran if n["status"] != "ok"]
    if not ran:
        return "run", crashed or "no notebook ran"
    if failed:
        return failed[0]["notebook"][:2], re.sub(r" \(kernel log: .*\)$", "", failed[0]["summary"])
    if len(ran) != len(NOTEBOOKS):
        return "run", f"{len(ran)} of {len(NOTEBOOKS)} notebooks ran"
    if CLIENT_CELL == {k: cell[k] for k in CLIENT_CELL}:
        label = "MLServer 宣告的網頁堆疊" if cell["web"] == "declared" else "本教學鎖定的網頁堆疊"
        _step(log, py, "tools/compat_matrix.py", "clients", "--folder", folder, "--label", label, env=env)
    return None, None


def _ran(folder: Path) -> list[dict]:
    """The notebooks run_notebooks.py reported for this cell (none if it never wrote its report)."""
    report = folder / "report.json"
    return json.loads(report.read_text(encoding="utf-8"))["notebooks"] if report.is_file() else []


def run(cell: dict[str, str], keep: bool = False) -> dict:
    """Resolve, install and run notebooks 01-08 for one cell; the result is also written as JSON.

    The venv, workspace and executed notebooks are removed afterwards (a venv is about 1.5 GB) unless
    ``keep``: then the venv can run any other notebook on the cell's versions."""
    folder = RESULTS / key_of(cell)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    (folder / "overrides.txt").write_text("\n".join(overrides(cell)) + "\n", encoding="utf-8")
    with (folder / "log.txt").open("w", encoding="utf-8") as log:
        failed_at, error = _install(cell, folder, log)
        if error is None:
            failed_at, error = _run_notebooks(cell, folder, log)
    versions = {}
    if (folder / "versions.txt").is_file():
        for line in (folder / "versions.txt").read_text(encoding="utf-8").splitlines():
            name, _, value = line.partition(" ")
            versions[name] = value.strip().split(" ")[0]
    result = {**cell, "key": key_of(cell), "passed": error is None, "failed_at": failed_at,
              "error": error, "notebooks_passed": sum(n["status"] == "ok" for n in _ran(folder)),
              "versions": versions, "date": datetime.now(timezone.utc).date().isoformat()}
    (folder / "result.json").write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    for bulky in () if keep else ("venv", "workspace", "executed"):  # the log and versions stay
        shutil.rmtree(folder / bulky, ignore_errors=True)
    return result


# Run in a process of its own: send the body's named inputs with tritonclient.grpc, print the status.
TRITON_GRPC = """
import json, sys
import numpy as np
import tritonclient.grpc as grpcclient
from tritonclient.utils import InferenceServerException

body = json.load(open(sys.argv[2], encoding="utf-8"))
tensors = []
for spec in body["inputs"]:
    tensor = grpcclient.InferInput(spec["name"], spec["shape"], spec["datatype"])
    tensor.set_data_from_numpy(np.asarray(spec["data"], dtype="float64").reshape(spec["shape"]))
    tensors.append(tensor)
client = grpcclient.InferenceServerClient(sys.argv[1])
try:
    client.infer("wine-classifier", tensors)
    print("OK")
except InferenceServerException as exc:
    print(exc.status())
finally:
    client.close()
"""

def clients(folder: Path, label: str) -> dict:
    """One V2 request (05's named columns, two rows) from each client people use, to a server of this
    venv on the workspace 01-08 left: the HTTP status each gets (gRPC: ``OK`` or the code)."""
    import mlflow
    import requests
    import tritonclient.http as httpclient
    from tritonclient.utils import InferenceServerException

    from wine_serving import get_workspace
    from wine_serving.client import named_columns
    from wine_serving.data import load_wine_quality, split_wine_quality
    from wine_serving.registry import ensure_model
    from wine_serving.servers.mlserver import serve
    from wine_serving.settings import model_settings
    from wine_serving.tracking import ensure_store

    ws = get_workspace()
    mlflow.set_tracking_uri(ensure_store(ws))
    rows = split_wine_quality(load_wine_quality(ws))[1].head(2)
    body = named_columns(rows)
    (folder / "body.json").write_text(json.dumps(body), encoding="utf-8")
    model = ensure_model("dataframe")
    server = serve([model_settings("wine-classifier", model.registered_uri)], name="clients")
    url = f"{server.url}/v2/models/wine-classifier/infer"

    def triton_http(headers):
        client = httpclient.InferenceServerClient(server.url.removeprefix("http://"), network_timeout=30)
        tensors = []
        for column in rows.columns:
            tensor = httpclient.InferInput(column, [len(rows), 1], "FP64")
            tensor.set_data_from_numpy(rows[[column]].to_numpy("float64"), binary_data=False)
            tensors.append(tensor)
        try:
            client.infer("wine-classifier", tensors, headers=headers,
                         outputs=[httpclient.InferRequestedOutput("output-1", binary_data=False)])
            return 200
        except InferenceServerException as exc:
            return int(exc.status())
        finally:
            client.close()

    def triton_grpc():
        # tritonclient.grpc and mlserver carry the same protobuf package: never in one process (10).
        command = [sys.executable, "-c", TRITON_GRPC, server.grpc_target, str(folder / "body.json")]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        return done.stdout.strip() or done.stderr.strip().splitlines()[-1]

    def curl(*headers):
        command = ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "30", *headers,
                   "-d", f"@{folder / 'body.json'}", url]
        done = subprocess.run(command, capture_output=True, text=True)
        return int(done.stdout or 0)

    try:
        statuses = {
            "requests.post(json=...)（原始範例）": requests.post(url, json=body, timeout=30).status_code,
            "tritonclient.http，JSON 模式、沒有標頭": triton_http(None),
            "tritonclient.http，JSON 模式、Content-Type: application/json": triton_http(
                {"Content-Type": "application/json"}),
            "tritonclient.grpc": triton_grpc(),
            "curl -d（沒有 -H）": curl(),
            "curl -d -H 'Content-Type: application/json'": curl("-H", "Content-Type: application/json"),
        }
    finally:
        server.stop()
    from importlib.metadata import version

    result = {"label": f"{label}（fastapi {version('fastapi')}）", "statuses": statuses}
    (folder / "clients.json").write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n",
                                         encoding="utf-8")
    return result


def _answer(cell_result: dict) -> str:
    if cell_result["passed"]:
        return f"✔ 01–08（{cell_result['versions'].get('mlflow', '?')}）"
    error = re.sub(r"\s{2,}#.*$", "", cell_result["error"]).replace("|", "\\|")  # without the line's comment
    ran = cell_result.get("notebooks_passed")
    counted = f"（{len(NOTEBOOKS)} 本中 {ran} 本通過）" if ran else ""
    return f"✘ {cell_result['failed_at']}：{error[:160]}{counted}"


MARKER = "<!-- matrix: tools/compat_matrix.py page writes everything below -->"


def page(results: Path = RESULTS) -> str:
    """The site's page: its prose above ``MARKER`` as written, then one table per Python and pandas
    (MLflow down, MLServer across), the declared web stack, and the clients."""
    found = {r["key"]: r for r in (json.loads(p.read_text(encoding="utf-8"))
                                   for p in sorted(results.glob("*/result.json")))}
    dates = sorted({r["date"] for r in found.values()})
    lines = [PAGE.read_text(encoding="utf-8").split(MARKER)[0] + MARKER, "",
             f"量測日期：{', '.join(dates) if dates else '尚無'}。", ""]
    for python, pandas in itertools.product(PYTHON, PANDAS):
        lines += [f"### Python {python}、pandas {pandas}", "",
                  "| MLflow | " + " | ".join(f"MLServer {s}" for s in MLSERVER) + " |",
                  "|---|" + "---|" * len(MLSERVER)]
        for mlflow in MLFLOW:
            keys = [key_of(dict(mlserver=s, mlflow=mlflow, pandas=pandas, python=python, web="patched"))
                    for s in MLSERVER]
            lines.append(f"| {mlflow} | " + " | ".join(_answer(found[k]) if k in found else "未量測"
                                                       for k in keys) + " |")
        lines.append("")
    declared = [r for r in found.values() if r["web"] == "declared"]
    lines += ["### MLServer 宣告的網頁堆疊", "", "| 組合 | fastapi | 結果 |", "|---|---|---|"]
    lines += [f"| MLServer {r['mlserver']}、MLflow {r['mlflow']}、pandas {r['pandas']}、"
              f"Python {r['python']} | {r['versions'].get('fastapi', '?')} | {_answer(r)} |"
              for r in declared] or ["| — | — | 未量測 |"]
    measured = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(results.glob("*/clients.json"))]
    lines += ["", "### 哪些用戶端拿得到答案", ""]
    if measured:
        lines += ["| 用戶端 | " + " | ".join(m["label"] for m in measured) + " |",
                  "|---|" + "---|" * len(measured)]
        lines += [f"| {client} | " + " | ".join(str(m["statuses"].get(client, "—")) for m in measured) + " |"
                  for client in measured[0]["statuses"]]
    else:
        lines.append("未量測。")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("cells", help="print every cell of the matrix as JSON")
    sub.add_parser("all", help="run every cell here, one after another, then write the page")
    one = sub.add_parser("run", help="run one cell")
    one.add_argument("--mlserver", choices=MLSERVER, required=True)
    one.add_argument("--mlflow", choices=MLFLOW, required=True)
    one.add_argument("--pandas", choices=PANDAS, required=True)
    one.add_argument("--python", choices=PYTHON, required=True)
    one.add_argument("--web", choices=("patched", "declared"), default="patched")
    one.add_argument("--keep", action="store_true", help="keep the cell's venv (build/compat/<cell>/venv)")
    sub.add_parser("page", help=f"write {PAGE.relative_to(ROOT)} from {RESULTS.relative_to(ROOT)}")
    measure = sub.add_parser("clients", help="in a cell's venv: which clients get answers (run calls it)")
    measure.add_argument("--folder", type=Path, required=True)
    measure.add_argument("--label", required=True)
    args = parser.parse_args(argv)
    if args.command == "cells":
        print(json.dumps(cells()))
    elif args.command == "run":
        cell = {k: getattr(args, k) for k in ("mlserver", "mlflow", "pandas", "python", "web")}
        result = run(cell, keep=args.keep)
        print(f"{result['key']}: {_answer(result)}")
        return 0 if result["passed"] else 1
    elif args.command == "all":
        failed = [r["key"] for r in map(run, cells()) if not r["passed"]]
        PAGE.write_text(page(), encoding="utf-8")
        print(f"{len(cells()) - len(failed)} of {len(cells())} cells passed; wrote {PAGE.relative_to(ROOT)}")
    elif args.command == "clients":
        print(json.dumps(clients(args.folder, args.label), ensure_ascii=False))
    else:
        PAGE.write_text(page(), encoding="utf-8")
        print(f"wrote {PAGE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
