"""A tiny sidecar that stops a server's process group when its owner dies (every owned server).

Measured on this machine: ``start_new_session=True`` alone leaks the server when a
notebook kernel or pytest is killed with SIGKILL, because nothing runs to clean up.
The owner keeps the write end of this process's stdin; the kernel closes it when
the owner dies for any reason, and this process then takes the group down.

Started by ``ManagedProcess.start`` for every owned server:
``python -m wine_serving.process.watchdog OWNER_PID PGID``
"""

from __future__ import annotations

import os
import select
import signal
import sys

from wine_serving.process.group import group_members, terminate_group

POLL_SECONDS = 0.5


def _watch(owner_pid: int, pgid: int) -> int:
    # A Ctrl-C or hang-up meant for the owner's terminal must not kill the guard.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, lambda *_: (terminate_group(pgid), os._exit(0)))
    stdin = sys.stdin.fileno()
    while True:
        readable, _, _ = select.select([stdin], [], [], POLL_SECONDS)
        if readable and not os.read(stdin, 4096):
            break  # owner closed the pipe or died
        if os.getppid() != owner_pid:
            break  # reparented: the owner is gone
        if not group_members(pgid):
            return 0  # the server ended on its own
    terminate_group(pgid)
    return 0


if __name__ == "__main__":
    sys.exit(_watch(int(sys.argv[1]), int(sys.argv[2])))
