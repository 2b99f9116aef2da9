"""KServe's V2 model server with the tutorial's MLflow models.

The V2 protocol is the asset, not MLServer: KServe's ``ModelServer`` (the ``kserve``
Python SDK, 0.21.0) speaks it too and runs on a laptop without Kubernetes. It cannot
share this environment (kserve 0.21.0 requires ``psutil<6``, this package ``psutil>=6``),
so ``make setup`` builds ``.venv-kserve`` from ``peers/requirements-kserve.lock`` with the
same model stack, and the model code is ``peers/kserve_model.py``, run by that venv's
Python. This module only
owns the process, exactly like MLServer's: loopback ports, readiness, process group,
watchdog, a workspace log.

Both venvs are pinned by a requirements lock file: the main one (``requirements.lock``) and
KServe's (``peers/requirements-kserve.lock``), which must load the same logged model, so ``make
lock`` copies the model stack's pins from the first into the second. The list of those packages
lives once, in the Makefile's ``SHARED_PINS`` line; ``shared_model_stack`` reads it rather than
repeat it, and ``pinned_versions`` reads a requirements lock file back.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from wine_serving.errors import ServerStartError
from wine_serving.process.logs import tail
from wine_serving.process.managed import DEFAULT_START_TIMEOUT, ManagedProcess, v2_ready
from wine_serving.process.ports import free_ports
from wine_serving.workspace import Workspace, checkout_root

ROOT = checkout_root() or Path.cwd()  # the KServe venv exists only in a checkout (make setup)
KSERVE_VENV = ROOT / ".venv-kserve"
KSERVE_MODEL = ROOT / "peers" / "kserve_model.py"
MAIN_REQUIREMENTS = ROOT / "requirements.lock"
KSERVE_REQUIREMENTS = ROOT / "peers" / "requirements-kserve.lock"
# KServe 0.21's multiprocess REST server (--workers > 1) pings each child and, when one does not
# answer within 5 s, kills it and starts another (kserve/protocol/rest/multiprocess/server.py,
# keep_subprocess_alive). A child still importing MLflow on a busy machine never answers in time,
# so this loops for ever; this many restarts before the server is ready ends the wait.
CHILD_RESTART = "Started new child process"
RESTARTS_BEFORE_GIVING_UP = 4


def kserve_python() -> Path:
    """The KServe venv's interpreter, or a message that says how to build it."""
    python = KSERVE_VENV / "bin" / "python"
    if not python.exists() or not KSERVE_MODEL.exists():
        raise ServerStartError(
            f"KServe's environment is missing ({python}): run `make setup`, which builds it from "
            "peers/requirements-kserve.lock in a checkout of this repository.")
    return python


class KServeServer(ManagedProcess):
    """``peers/kserve_model.py`` on 127.0.0.1: one KServe ``ModelServer`` for ``models`` (name -> URI)."""

    kind = "kserve"

    def __init__(self, models: dict[str, str], *, http_port: int | None = None,
                 grpc_port: int | None = None, workers: int = 1, latency_logging: bool = True,
                 ws: Workspace | None = None, start_timeout: float = DEFAULT_START_TIMEOUT) -> None:
        if not models:
            raise ValueError("KServeServer needs at least one model (name -> MLflow URI).")
        # One call for both: two separate free_port() calls may hand back the same port.
        http_free, grpc_free = free_ports(2)
        self.port = http_port or http_free
        self.grpc_port = grpc_port or grpc_free
        super().__init__(ws=ws, start_timeout=start_timeout, log_name=f"kserve-{self.port}")
        self.models = dict(models)
        self.workers = workers
        self.latency_logging = latency_logging

    @property
    def command(self) -> list[str]:
        """What is run: the KServe venv's Python with the model module and KServe's own flags."""
        command = [str(kserve_python()), str(KSERVE_MODEL),
                   "--http_port", str(self.port), "--grpc_port", str(self.grpc_port),
                   "--workers", str(self.workers),
                   "--enable_latency_logging", str(self.latency_logging).lower()]
        for name, uri in self.models.items():
            command += ["--model", f"{name}={uri}"]
        return command

    def environment(self) -> dict[str, str]:
        env = super().environment()
        env["PATH"] = f"{KSERVE_VENV / 'bin'}{os.pathsep}{env.get('PATH', '')}"
        return env

    def is_ready(self, log: str) -> bool:
        restarts = log.count(CHILD_RESTART)
        if restarts >= RESTARTS_BEFORE_GIVING_UP:
            raise ServerStartError(
                f"KServe restarted its child processes {restarts} times before answering: with "
                f"--workers {self.workers} it kills a child that does not answer its 5 s health ping, and "
                "a child still importing MLflow and KServe on a busy machine cannot "
                "(kserve/protocol/rest/multiprocess/server.py, keep_subprocess_alive). Start fewer "
                f"servers at once, make sure `make setup` compiled both venvs, or use workers=1. "
                f"Log: {self.log_path}", tail(self.log_path))
        return v2_ready(self.url, list(self.models))

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"KServeServer({self.url}, grpc {self.grpc_target}, pid={self.pid}, {state})"


def pinned_versions(path: Path = MAIN_REQUIREMENTS) -> dict[str, str]:
    """A requirements lock file read back: ``{name: version}`` for every ``name==version`` line;
    names normalised (lower case, ``-`` for ``_``, extras dropped) so they compare with what pip
    and uv print."""
    pins = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-\[\]]+)==([^\s;]+)", line)
        if match:
            pins[re.sub(r"\[.*\]", "", match.group(1)).lower().replace("_", "-")] = match.group(2)
    return pins


def shared_model_stack(makefile: Path = ROOT / "Makefile") -> list[str]:
    """The packages both venvs pin alike (the Makefile's ``SHARED_PINS``), in its order."""
    found = re.search(r"^SHARED_PINS := (.+)$", makefile.read_text(encoding="utf-8"), re.M)
    if not found:
        raise ValueError(f"No `SHARED_PINS := ...` line in {makefile}")
    return found.group(1).strip().split("|")
