"""Process groups: stop a whole group for certain (every owned server).

``mlserver start`` forks an inference worker and a multiprocessing resource
tracker into its process group; signalling only the leader orphans them. The
watchdog imports this module too, so it stays free of heavy imports.
"""

from __future__ import annotations

import os
import signal
import time

import psutil


def group_members(pgid: int) -> list[psutil.Process]:
    """Live (non-zombie) processes in process group ``pgid``."""
    members = []
    for proc in psutil.process_iter(["status"]):
        try:
            if proc.info["status"] == psutil.STATUS_ZOMBIE:
                continue
            if os.getpgid(proc.pid) == pgid:
                members.append(proc)
        except (ProcessLookupError, psutil.Error):
            continue
    return members


def _signal_group(pgid: int, sig: int) -> bool:
    try:
        os.killpg(pgid, sig)
        return True
    except (ProcessLookupError, PermissionError):
        return False


def terminate_group(pgid: int, grace: float = 10.0, poll: float = 0.1) -> bool:
    """SIGTERM the group, SIGKILL what is left after ``grace`` seconds.

    Returns True when the group had to be killed. MLServer 1.7.1 can ignore SIGTERM
    for about 20 s when stuck after a failed bind, hence the hard second step.
    """
    if not group_members(pgid):
        return False
    _signal_group(pgid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if not group_members(pgid):
            return False
        time.sleep(poll)
    _signal_group(pgid, signal.SIGKILL)
    deadline = time.monotonic() + 5.0
    while group_members(pgid) and time.monotonic() < deadline:
        time.sleep(poll)
    return True
