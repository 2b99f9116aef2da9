"""Process inspection shared by the lifecycle tests."""

from __future__ import annotations

import time
from pathlib import Path

import psutil


def mlserver_processes(repository: Path) -> list[psutil.Process]:
    """Live processes that run ``mlserver start <repository>`` or are their children."""
    target = str(Path(repository).resolve())
    found = []
    for proc in psutil.process_iter(["cmdline", "status"]):
        try:
            if proc.info["status"] == psutil.STATUS_ZOMBIE:
                continue
            cmd = proc.info["cmdline"] or []
            if "start" in cmd and target in cmd and any(c.endswith("mlserver") for c in cmd):
                found.append(proc)
                found.extend(c for c in proc.children(recursive=True)
                             if c.status() != psutil.STATUS_ZOMBIE)
        except psutil.Error:
            continue
    return found


def wait_until_gone(repository: Path, timeout: float = 20.0) -> list[psutil.Process]:
    """Poll until no server process for ``repository`` is left; returns what remains."""
    deadline = time.monotonic() + timeout
    left = mlserver_processes(repository)
    while left and time.monotonic() < deadline:
        time.sleep(0.2)
        left = mlserver_processes(repository)
    return left
