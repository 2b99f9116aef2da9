"""docs/terminal.md, run as a reader would run it: every bash block, in order, in a fresh folder.

The page teaches the seed's journey without ``wine_serving``; this test keeps it true.
Two blocks are marked for the test to skip (``pip install`` and the download): the
test stands in the project's installed environment and the offline copy of the data.
Ports 8080-8082 become free loopback ports; the script runs in its own process group,
which is killed whatever happens, and no process may outlive it.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from wine_serving.process.ports import free_ports

pytestmark = pytest.mark.integration

PAGE = Path(__file__).resolve().parents[2] / "docs" / "terminal.md"
LOCK = Path(__file__).resolve().parents[2] / "requirements.lock"
BLOCK = re.compile(r"(<!-- terminal-test: skip[^>]*-->\n)?```bash\n(.*?)```", re.DOTALL)


def _blocks() -> list[tuple[bool, str]]:
    return [(bool(skip), body) for skip, body in BLOCK.findall(PAGE.read_text(encoding="utf-8"))]


def test_page_pins_what_the_lock_file_pins():
    install = next(body for skip, body in _blocks() if "pip install" in body)
    pins = dict(re.findall(r'"([a-z-]+)==([^"]+)"', install))
    locked = dict(re.findall(r"^([a-z-]+)==(\S+)$", LOCK.read_text(), re.MULTILINE))
    assert pins and {name: locked.get(name) for name in pins} == pins
    assert '"uvloop<0.22"' in install


def test_every_block_runs_in_order(tmp_path):
    csv = os.environ.get("WINE_QUALITY_CSV")
    assert csv and Path(csv).is_file(), "set WINE_QUALITY_CSV (conftest takes ../shared/data)"
    shutil.copy(csv, tmp_path / "winequality-red.csv")
    ports = dict(zip(("8080", "8081", "8082"), map(str, free_ports(3))))
    runnable = [body for skip, body in _blocks() if not skip]
    assert len(runnable) >= 8
    script = "\n".join(runnable)
    for old, new in ports.items():
        script = script.replace(old, new)
    (tmp_path / "page.sh").write_text("set -euo pipefail\n" + script, encoding="utf-8")

    env = {k: v for k, v in os.environ.items() if k not in ("MLFLOW_TRACKING_URI", "WINE_SERVING_HOME")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"  # the venv, "activated"
    proc = subprocess.Popen(["bash", "page.sh"], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        output, _ = proc.communicate(timeout=420)
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    assert proc.returncode == 0, output[-3000:]

    assert "RMSE 0.7932" in output
    assert "models:/ElasticnetWineModel/1" in output
    assert "Registered Model with name=ElasticnetWineModel not found" in output
    assert "ready\n" in output and "live 200" in output and "ready 200" in output
    prediction = re.search(r'"data":\[([0-9.]+)\]', output)
    assert prediction and abs(float(prediction.group(1)) - 5.5769) < 1e-4, output[-2000:]
    assert output.rstrip().endswith("stopped")
    assert not (tmp_path / "serving" / "mlflow.db").exists()  # the page cleans up after the failed start

    left = [p.info for p in psutil.process_iter(["pid", "cmdline", "cwd"])
            if p.info["cwd"] and str(tmp_path) in p.info["cwd"]]
    assert left == [], left
