"""The image's build context, served by a real MLServer on loopback ports.

There is no Docker here, so the image's install steps are replayed for real in a new
virtual environment with pip (as MLServer's image does): the context's
``requirements.txt``, then the lines ``deploy`` appends (our wheel for the strict
runtime, the web-stack overrides). That venv's own ``mlserver start`` then serves it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest
import requests

from wine_serving.client import named_columns
from wine_serving.data import load_wine_quality, split_wine_quality
from wine_serving.deploy import image
from wine_serving.process.ports import LOOPBACK, free_ports
from wine_serving.servers.mlserver import MLServer
from wine_serving.settings import STRICT_RUNTIME, read_json

pytestmark = pytest.mark.integration
INSTALL_TIMEOUT = 900


def _on_loopback(folder: Path, copy: Path) -> Path:
    """A copy of the context whose settings.json binds 127.0.0.1 and free ports, not 0.0.0.0."""
    local = shutil.copytree(folder, copy)
    settings = read_json(local / "settings.json")
    settings.update(dict(zip(("http_port", "grpc_port", "metrics_port"), free_ports(3)), host=LOOPBACK))
    (local / "settings.json").write_text(json.dumps(settings))
    return local


def _appended_run_lines(dockerfile: str) -> list[str]:
    ours = dockerfile.split(image.IMAGE_STEPS_HEADER, 1)[1]
    return [line.removeprefix("RUN ") for line in ours.splitlines() if line.startswith("RUN ")]


# The image context served on loopback (equal to pyfunc) and its Dockerfile's one appended
# line are notebook 17's (cells 7-8): not repeated here.


@pytest.fixture(scope="module")
def strict_image_venv(trained, tmp_path_factory):
    """The strict runtime's context, and a venv built by the image's install steps."""
    ws, models = trained
    root = tmp_path_factory.mktemp("image-venv")
    context = image.build_context(models["dataframe"].model_uri, ws=ws, folder=root / "context",
                                   implementation=STRICT_RUNTIME, parameters_extra={"max_rows": 1000})
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    env = {**os.environ, "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}",
           "PIP_DISABLE_PIP_VERSION_CHECK": "1", "VIRTUAL_ENV": str(venv)}
    # MLServer's hack/build-env.sh runs `pip install -r requirements.txt` in the context folder.
    steps = ["pip install --no-cache-dir -r requirements.txt",
             *_appended_run_lines((context / "Dockerfile").read_text())]
    assert steps[-1] == f"pip install --no-cache-dir -r {image.OVERRIDES_FILE}"  # overrides come last
    web_stack_before_overrides = None
    for step in steps:
        if step == steps[-1]:  # what MLServer's own pins resolved to, before the overrides
            web_stack_before_overrides = _installed(venv, ("fastapi", "starlette"))
        done = subprocess.run(["bash", "-c", step], cwd=context, env=env, capture_output=True,
                              text=True, timeout=INSTALL_TIMEOUT)
        assert done.returncode == 0, f"{step}\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
    return ws, context, venv, web_stack_before_overrides


def _installed(venv: Path, packages: tuple[str, ...]) -> dict[str, str]:
    code = ("import json, importlib.metadata as m; "
            f"print(json.dumps({{p: m.version(p) for p in {packages!r}}}))")
    return json.loads(subprocess.run([str(venv / "bin" / "python"), "-c", code], check=True,
                                     capture_output=True, text=True, timeout=120).stdout)


def test_mlservers_own_pins_resolve_to_the_web_stack_with_advisories(strict_image_venv):
    """Notebook 17 and docs/security.md: pip, following MLServer 1.7.1's fastapi<0.116, installs these."""
    *_, before = strict_image_venv
    assert before == {"fastapi": "0.115.14", "starlette": "0.46.2"}


def test_the_image_gets_the_locked_web_stack_and_our_package(strict_image_venv):
    _, _, venv, _ = strict_image_venv
    packages = ("fastapi", "starlette", "mlserver", "mlflow", "wine-serving")
    assert _installed(venv, packages) == {p: version(p) for p in packages}


def test_the_image_serves_the_strict_runtime(strict_image_venv, tmp_path):
    ws, context, venv, _ = strict_image_venv
    local = _on_loopback(context, tmp_path / "local")
    _, test_x, _, _ = split_wine_quality(load_wine_quality(ws))
    rows = named_columns(test_x.iloc[:3])
    with MLServer(local, ws=ws, mlserver=str(venv / "bin" / "mlserver"), log_name="image") as server:
        url = f"{server.url}/v2/models/{image.APP}/infer"
        good = requests.post(url, json=rows, timeout=30)
        missing = requests.post(url, json={"inputs": rows["inputs"][:-1]}, timeout=30)
    assert good.status_code == 200, good.text
    assert len(good.json()["outputs"][0]["data"]) == 3
    assert missing.status_code == 400, missing.text  # the strict runtime, not the stock 500
    assert rows["inputs"][-1]["name"] in missing.json()["error"]
