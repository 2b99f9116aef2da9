"""Where a model environment (``parameters.environment_tarball``, notebook 20) breaks on MLServer 1.7.1.

Notebook 20 serves a model from a full environment built from its ``requirements.txt``. The three
traps the troubleshooting page names are checked here with small environments, so that each
costs seconds: a folder a killed server left half unpacked is reused unchecked; a uvloop of 0.22
or later inside the environment kills the worker on 1.7.1 (MLServer #2286); an environment
without ``mlserver`` is not refused: its worker imports MLServer from the server's venv, because
a spawned worker starts with the main process's ``sys.path`` behind the environment's own folders
(``mlserver/env.py``, ``Environment``). The same copied ``sys.path`` is why the environment's
Python must be the server's minor version (MLServer's docs, "Loading a custom Python
environment"): a Python 3.12 environment (pyenv keeps one on these machines) on the 3.11 server
fails to load its model.
"""

from __future__ import annotations

import hashlib
import io
import re
import shutil
import subprocess
import sys
import tarfile
from importlib.metadata import version
from pathlib import Path

import mlflow
import numpy as np
import pytest
import requests
from packaging.version import Version

from tests.helpers import pyenv_pythons
from wine_serving.client import named_columns
from wine_serving.data import load_wine_quality, split_wine_quality
from wine_serving.errors import ServerStartError
from wine_serving.process.inspection import inference_workers
from wine_serving.servers.mlserver import serve
from wine_serving.settings import model_settings
from wine_serving.tracking import using_workspace_store
from wine_serving.training import DATAFRAME_KIND

pytestmark = pytest.mark.integration
UV = Path(sys.executable).with_name("uv")
# In MLServer 1.7.2rc1's range (uvloop>=0.22.1) and locked for the KServe venv, so uv has it cached.
NEW_UVLOOP = "uvloop==0.23.0"


def _tarball(folder: Path, *requirements: str, python: str = sys.executable) -> Path:
    """A venv on ``python`` (the server's) holding only ``requirements``, packed as notebook 20 packs one."""
    env = folder / "env"
    subprocess.run([UV, "venv", "--quiet", "--python", python, env], check=True, timeout=120)
    if requirements:
        subprocess.run([UV, "pip", "install", "--quiet", "--python", env / "bin" / "python", *requirements],
                       check=True, timeout=600)
    tarball = folder / "env.tar"
    with tarfile.open(tarball, "w") as tar:
        tar.add(env, arcname=".")
    return tarball


def _with_environment(name: str, uri: str, tarball: Path) -> dict:
    settings = model_settings(name, uri)
    settings["parameters"]["environment_tarball"] = str(tarball)
    return settings


def test_uvloop_0_22_or_later_in_the_environment_kills_its_worker_on_1_7_1(trained, tmp_path):
    """MLServer #2286: 1.7.1's worker asks for the current event loop, which uvloop 0.22 no longer
    creates. The server fails to load the model, and says why in one sentence."""
    ws, models = trained
    model = models[DATAFRAME_KIND]
    # The server's own uvloop is older, so only the environment's worker meets the new one.
    assert version("mlserver") == "1.7.1" and Version(version("uvloop")) < Version("0.22")
    tarball = _tarball(tmp_path, NEW_UVLOOP)
    with pytest.raises(ServerStartError) as failed:
        serve([_with_environment("wine-uvloop", model.registered_uri, tarball)], name="env-uvloop",
              ws=ws, parallel_workers=1, environments_dir=str(tmp_path / "envs"))
    assert "RuntimeError: There is no current event loop in thread 'MainThread'" in str(failed.value)


def test_an_environment_without_mlserver_borrows_the_servers(trained, tmp_path):
    """Not refused, and it answers: the worker runs the environment's Python, and everything the
    environment lacks (here: every package, MLServer and scikit-learn included) comes from the
    server's venv, silently."""
    ws, models = trained
    model = models[DATAFRAME_KIND]
    tarball = _tarball(tmp_path)  # an environment with no packages at all
    envs = tmp_path / "envs"
    _, test_x, _, _ = split_wine_quality(load_wine_quality(ws))
    with serve([_with_environment("wine-borrowing", model.registered_uri, tarball)], name="env-borrowing",
               ws=ws, parallel_workers=1, environments_dir=str(envs)) as server:
        reply = requests.post(f"{server.url}/v2/models/wine-borrowing/infer", json=named_columns(test_x),
                              timeout=60)
        (unpacked,) = envs.iterdir()
        in_env = [w for w in inference_workers(server.pid) if w.cmdline()[0].startswith(str(unpacked))]
        libraries = {m.path for w in in_env for m in w.memory_maps()}
    assert reply.status_code == 200, reply.text
    with using_workspace_store(ws):
        expected = np.asarray(mlflow.pyfunc.load_model(model.registered_uri).predict(test_x)).ravel()
    np.testing.assert_allclose(reply.json()["outputs"][0]["data"], expected, rtol=1e-9)
    assert len(in_env) == 1  # the model's worker runs <unpacked>/bin/python
    for package in ("sklearn", "uvloop"):  # compiled modules: their files show where they came from
        loaded = [path for path in libraries if f"/{package}/" in path]
        assert loaded and all(path.startswith(sys.prefix) for path in loaded), (package, loaded)


def test_a_half_unpacked_environment_is_reused_unchecked_and_its_model_never_loads(trained, tmp_path):
    """MLServer unpacks a tarball into ``environments_dir/<its sha256>`` unless that folder exists; an
    existing one is used as it is (``_extract_tarball`` in ``mlserver/parallel/registry.py``), so what a
    server killed while unpacking leaves is never checked. Its worker cannot start, MLServer restarts it
    in a loop and drops the model, and the server still answers ready. A changed tarball has another
    sha256 and is unpacked afresh beside it; the broken folder stays until someone deletes it."""
    ws, models = trained
    uri = models[DATAFRAME_KIND].registered_uri
    tarball, envs = _tarball(tmp_path), tmp_path / "envs"
    left = envs / hashlib.sha256(tarball.read_bytes()).hexdigest()
    with tarfile.open(tarball) as tar:
        tar.extractall(left, filter="tar")  # as MLServer unpacks it ...
    shutil.rmtree(left / "bin")  # ... killed before it wrote bin/python
    with pytest.raises(ServerStartError) as failed:
        serve([_with_environment("wine-half", uri, tarball)], name="env-half", ws=ws, parallel_workers=1,
              environments_dir=str(envs), start_timeout=20)
    # MLServer either exits or is still in its loop when the wait ends: both messages name the log.
    log = Path(re.search(r"[Ll]og: (\S+\.log)", str(failed.value)).group(1)).read_text(encoding="utf-8")
    assert "Extracting environment tarball" not in log  # the folder was taken as it was
    assert log.count("stopped unexpectedly") >= 3  # a worker restarted again and again
    dropped = log.index("Couldn't load model 'wine-half'")
    assert log.rfind('"GET /v2/health/ready HTTP/1.1" 200') > dropped  # ready, with the model gone
    assert '"GET /v2/models/wine-half/ready HTTP/1.1" 404' in log
    assert left.is_dir() and not (left / "bin").exists()  # still broken after the stop

    changed = tmp_path / "rebuilt.tar"
    shutil.copy(tarball, changed)
    with tarfile.open(changed, "a") as tar:  # one more file: another sha256
        tar.addfile(tarfile.TarInfo("REBUILT"), io.BytesIO(b""))
    fresh = envs / hashlib.sha256(changed.read_bytes()).hexdigest()
    _, test_x, _, _ = split_wine_quality(load_wine_quality(ws))
    with serve([_with_environment("wine-rebuilt", uri, changed)], name="env-rebuilt", ws=ws,
               parallel_workers=1, environments_dir=str(envs)) as server:
        reply = requests.post(f"{server.url}/v2/models/wine-rebuilt/infer",
                              json=named_columns(test_x.iloc[:3]), timeout=60)
        during = sorted(envs.iterdir())
    assert reply.status_code == 200, reply.text
    assert during == sorted([left, fresh])
    assert list(envs.iterdir()) == [left]  # the fresh one removed on a clean stop, the broken one left


def test_an_environment_on_another_python_minor_cannot_load_its_model(trained, tmp_path):
    """The copied ``sys.path`` puts the server's 3.11 standard library behind a 3.12 interpreter, whose
    own C modules do not match it: the worker dies importing, and the server says so in one line."""
    ws, models = trained
    assert sys.version_info[:2] == (3, 11)  # the server's Python; the environment takes 3.12
    python = pyenv_pythons().get("3.12")
    assert python, "this test needs pyenv's Python 3.12 (pyenv keeps 3.10-3.13 on these machines)"
    tarball = _tarball(tmp_path, python=str(python))  # no packages: everything else is borrowed
    with pytest.raises(ServerStartError) as failed:
        serve([_with_environment("wine-py312", models[DATAFRAME_KIND].registered_uri, tarball)],
              name="env-py312", ws=ws, parallel_workers=1, environments_dir=str(tmp_path / "envs"))
    assert "could not load a model: ModuleNotFoundError: No module named '_contextvars'" in str(failed.value)
