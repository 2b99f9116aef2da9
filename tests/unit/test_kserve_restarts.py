"""A KServe start that can never succeed ends with the diagnosis, not the start-up timeout.

KServe 0.21's multiprocess REST server restarts a child that misses its 5 s health ping; a
child still importing MLflow on a loaded machine misses it every time, for ever. The stand-in
below prints the line KServe logs for each restart (``Started new child process [pid]``).
"""

from __future__ import annotations

import sys

import pytest

from wine_serving.errors import ServerStartError
from wine_serving.servers.kserve import CHILD_RESTART, RESTARTS_BEFORE_GIVING_UP, KServeServer

LOOP = (f"import time\nfor i in range(200):\n    print('INFO {CHILD_RESTART} [%d]' % i, flush=True)\n"
        "    time.sleep(0.25)")


class RestartingForEver(KServeServer):
    @property
    def command(self) -> list[str]:
        return [sys.executable, "-c", LOOP]


def test_a_restart_loop_fails_with_its_cause_and_leaves_nothing_running(workspace):
    server = RestartingForEver({"wine": "models:/x/1"}, workers=2, ws=workspace, start_timeout=300)
    with pytest.raises(ServerStartError, match="restarted its child processes") as caught:
        server.start()
    assert "within 300 s" not in str(caught.value)  # the diagnosis, not the timeout
    assert "keep_subprocess_alive" in str(caught.value) and not server.running


def test_a_few_restarts_are_not_yet_a_loop(workspace):
    server = KServeServer({"wine": "models:/x/1"}, ws=workspace)
    few = "\n".join(f"{CHILD_RESTART} [{i}]" for i in range(RESTARTS_BEFORE_GIVING_UP - 1))
    assert server.is_ready(few) is False  # nothing listens on its port yet: not ready, no error
