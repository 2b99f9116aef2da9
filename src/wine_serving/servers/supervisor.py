"""A supervisor (監督程式): restart a server when a real inference keeps failing.

MLServer 1.7.1's health endpoints answer 200 from a flag set when the model loaded, so they
stay 200 while inference fails or hangs (notebook 15 shows it). A probe that sends a real
inference request, with a timeout, is what notices; this supervisor calls such a probe every
``interval`` seconds and, after ``failures`` failures in a row, stops the server's whole process
group and starts it again on the same repository and ports. It is what a Kubernetes liveness
probe plus the kubelet do for a pod (notebook 17), small enough to run beside a notebook.

The probe is any callable that raises (or returns ``False``) when inference does not work;
the notebook writes its request out in full.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol


class Restartable(Protocol):
    """What the supervisor needs of a server: ``MLServer`` and every ``ManagedProcess`` have it."""

    def start(self) -> Any: ...

    def stop(self, grace: float = ...) -> None: ...


def probe_ok(probe: Callable[[], Any]) -> tuple[bool, str]:
    """Run ``probe`` once: ``(True, "")``, or ``(False, why)`` if it raised or returned False."""
    try:
        result = probe()
    except Exception as exc:  # any failure of the request is a failed probe
        return False, f"{type(exc).__name__}: {exc}"[:200]
    return (result is not False), ("" if result is not False else "probe returned False")


@dataclass
class Restart:
    """One restart: seconds since the supervisor started (monotonic clock)."""

    first_failure_s: float  # the first of the failed probes in a row
    began_s: float  # when the supervisor gave up and stopped the server
    ready_s: float  # when the restarted server was ready again (start() returned)
    reason: str

    @property
    def outage_s(self) -> float:
        """From the first failed probe to the server answering again."""
        return self.ready_s - self.first_failure_s


@dataclass
class Supervisor:
    """Probe ``server`` every ``interval`` s on a thread; restart it after ``failures`` failures in a row.

    At most ``max_restarts`` restarts, so a server that cannot come back does not restart forever;
    ``grace`` is the stop's SIGTERM-to-SIGKILL wait (a wedged server does not drain anything).
    """

    server: Restartable
    probe: Callable[[], Any]
    interval: float = 1.0
    failures: int = 3
    max_restarts: int = 3
    grace: float = 3.0
    restarts: list[Restart] = field(default_factory=list)
    probes: int = 0
    failed_probes: int = 0
    error: BaseException | None = None

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="supervisor", daemon=True)
        self._began = time.monotonic()

    def now(self) -> float:
        """Seconds since ``start()``, the clock of ``restarts``."""
        return time.monotonic() - self._began

    def start(self) -> Supervisor:
        self._began = time.monotonic()
        self._thread.start()
        return self

    def stop(self, timeout: float = 120.0) -> Supervisor:
        """Stop probing (a restart under way finishes first); the server itself keeps running."""
        self._stop.set()
        self._thread.join(timeout)
        return self

    def wait_for_restarts(self, count: int, timeout: float) -> bool:
        """Block until ``count`` restarts are done or ``timeout`` seconds pass; True if they are."""
        deadline = time.monotonic() + timeout
        while len(self.restarts) < count and time.monotonic() < deadline and self._thread.is_alive():
            time.sleep(0.1)
        return len(self.restarts) >= count

    def _run(self) -> None:
        in_a_row, first_failure, reason = 0, 0.0, ""
        try:
            while not self._stop.is_set() and len(self.restarts) < self.max_restarts:
                at = self.now()
                ok, why = probe_ok(self.probe)
                self.probes += 1
                if ok:
                    in_a_row = 0
                else:
                    self.failed_probes += 1
                    if in_a_row == 0:  # the outage is counted from the first failure of a run
                        first_failure, reason = at, why
                    in_a_row += 1
                if in_a_row >= self.failures:
                    began = self.now()
                    self.server.stop(grace=self.grace)
                    self.server.start()
                    self.restarts.append(Restart(first_failure, began, self.now(), reason))
                    in_a_row = 0
                self._stop.wait(self.interval)
        except BaseException as exc:  # noqa: BLE001 - kept for the caller, the thread must not die silently
            self.error = exc

    def __enter__(self) -> Supervisor:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
