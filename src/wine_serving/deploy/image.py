"""The image's build context: what ``mlserver dockerfile`` expects, built without Docker.

Settings, the model folder and ``requirements.txt``, plus the Dockerfile MLServer writes and
the steps this tutorial appends (its wheel for a custom runtime, the patched web stack). The
container's ``settings.json`` is the one source of its ports (``container_settings``).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any

from wine_serving.process.managed import executable
from wine_serving.settings import (
    MLFLOW_RUNTIME,
    RECOMMENDED_MODEL,
    RECOMMENDED_SERVER,
    model_settings,
    prepare_repository,
    server_settings,
    validate_server_settings,
)
from wine_serving.tracking import using_workspace_store
from wine_serving.workspace import Workspace, checkout_root, get_workspace

APP = "wine-classifier"
IMAGE = "registry.example.com/wine-serving/wine-classifier:1.0.0"
# MLServer's image copies the build context into its working folder, /opt/mlserver.
IMAGE_MODELS_DIR = "/opt/mlserver"
# Requirements the model itself does not list but the server needs in the image.
SERVER_REQUIREMENTS = ("mlserver==1.7.1", "mlserver-mlflow==1.7.1",
                       "uvloop<0.22  # MLServer 1.7.1 workers fail with 0.22 (MLServer issue 2286)")
# The patched web stack (docs/security.md): the lock overrides MLServer 1.7.1's fastapi<0.116.
# pip has no override, so the image installs these pins in a step of their own after MLServer's
# (pip then only warns that mlserver declares an older fastapi).
WEB_STACK = ("fastapi", "starlette")
OVERRIDES_FILE = "overrides.txt"
WHEELS_DIR = "wheels"
IMAGE_STEPS_HEADER = """
# wine_serving: the patched web stack (docs/security.md). MLServer 1.7.1 declares
# fastapi<0.116 and pip has no override, so the pins go in after MLServer's install step.
USER root
"""
# Never in an image: the tracking database, logs, local secrets, editor and VCS leftovers.
DOCKERIGNORE_EXTRA = ("*.db", "*.sqlite", "*.log", ".env", ".env.*", "*.pem", "*.key", ".git",
                      "__pycache__", ".metrics", ".envs", "mlruns", "mlartifacts")


def container_settings() -> dict[str, Any]:
    """``settings.json`` inside the container.

    The one place this tutorial binds 0.0.0.0: inside a pod, 127.0.0.1 is unreachable
    from the kubelet's probes and the Service. The ports are MLServer's defaults and
    every manifest below reads them from here.
    """
    content = server_settings(8080, 8081, 8082, host="0.0.0.0", **RECOMMENDED_SERVER)
    validate_server_settings(content)
    return content


def _requirements(model_dir: Path) -> list[str]:
    lines = [line.strip() for line in (model_dir / "requirements.txt").read_text().splitlines()]
    wanted = [line for line in lines if line and not line.startswith("#")]
    names = {line.split("==")[0].split("<")[0].split(">")[0].strip().lower() for line in wanted}
    extra = [req for req in SERVER_REQUIREMENTS if req.split("=")[0].split("<")[0].lower() not in names]
    return wanted + extra


def web_stack_overrides() -> list[str]:
    """The overridden web packages at the versions installed here, which are the lock's."""
    return [f"{package}=={version(package)}" for package in WEB_STACK]


def image_steps(wheel: str | None = None) -> str:
    """The Dockerfile lines appended after MLServer's: our package (if any), then the overrides.

    The wheel goes in with its dependencies first (all already satisfied but a few small
    ones), the overrides last, so nothing installs an older starlette after them.
    """
    lines = [IMAGE_STEPS_HEADER]
    if wheel:
        lines.append(f"RUN pip install --no-cache-dir ./{WHEELS_DIR}/{wheel}\n")
    lines.append(f"RUN pip install --no-cache-dir -r {OVERRIDES_FILE}\nUSER 1000\n")
    return "".join(lines)


def _build_wheel(folder: Path) -> str:
    """Build this package's wheel into ``folder`` (an image that runs our runtime needs it).

    Only from a source checkout: the wheel is built from the ``pyproject.toml`` beside ``src/``.
    """
    source = checkout_root()
    if source is None:
        raise FileNotFoundError("wine_serving is not running from a checkout (no pyproject.toml beside "
                                "src/): build the image from a checkout of this repository, where "
                                "`make setup` installs it.")
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "--quiet", "-w", str(folder), str(source)],
                   check=True, capture_output=True, text=True, timeout=300)
    wheels = sorted(p.name for p in folder.glob("wine_serving-*.whl"))
    if len(wheels) != 1:
        raise RuntimeError(f"Expected one wine_serving wheel in {folder}, found {wheels}")
    return wheels[0]


def build_context(model_uri: str, *, ws: Workspace | None = None, name: str = APP,
                  folder: Path | None = None, implementation: str = MLFLOW_RUNTIME,
                  parameters_extra: dict[str, Any] | None = None) -> Path:
    """A folder ``docker build`` (or ``mlserver build``) can turn into a serving image.

    The model is copied in (downloaded through MLflow, so any URI works), because a
    pod should not need the tracking server to start. MLServer installs only the
    ``requirements.txt`` at the top of the folder, never the one inside the model,
    so the model's pinned requirements are lifted to the top here. A runtime from this
    package (``implementation="wine_serving..."``) brings the package's wheel along.
    """
    import mlflow

    ws = ws or get_workspace()
    folder = Path(folder or ws.root / "deploy" / "image")
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    # download_artifacts resolves models:/ URIs against MLflow's current store.
    with using_workspace_store(ws):
        model_dir = Path(mlflow.artifacts.download_artifacts(artifact_uri=model_uri,
                                                             dst_path=str(folder / name / "model")))
    prepare_repository(folder, container_settings(),
                       [model_settings(name, "./model", implementation=implementation,
                                       parameters_extra=parameters_extra, **RECOMMENDED_MODEL)])
    (folder / "requirements.txt").write_text("\n".join(_requirements(model_dir)) + "\n", encoding="utf-8")
    subprocess.run([executable("mlserver"), "dockerfile", "--include-dockerignore", str(folder)], check=True,
                   capture_output=True, text=True, timeout=120)
    wheel = _build_wheel(folder / WHEELS_DIR) if implementation.startswith("wine_serving.") else None
    (folder / OVERRIDES_FILE).write_text("\n".join(web_stack_overrides()) + "\n", encoding="utf-8")
    with (folder / "Dockerfile").open("a", encoding="utf-8") as dockerfile:
        dockerfile.write(image_steps(wheel))
    # BuildKit reads Dockerfile.dockerignore (written by MLServer) and ignores .dockerignore
    # when it exists; the classic builder reads only .dockerignore. Both get the same list.
    generated = folder / "Dockerfile.dockerignore"
    existing = generated.read_text(encoding="utf-8") if generated.exists() else ""
    ours = "\n# wine_serving: never ship these\n" + "\n".join(DOCKERIGNORE_EXTRA) + "\n"
    content = existing.rstrip() + ours
    for ignore in (generated, folder / ".dockerignore"):
        ignore.write_text(content, encoding="utf-8")
    for leftover in (".metrics", ".envs"):  # created by MLServer's settings loader
        shutil.rmtree(folder / leftover, ignore_errors=True)
    return folder
