"""The supervisor restarts after N failed probes in a row, never on fewer, and records the outage."""

from __future__ import annotations

import threading

import pytest

from wine_serving.servers.supervisor import Restart, Supervisor, probe_ok


class FakeServer:
    """Answers while ``healthy``; a restart makes it healthy again."""

    def __init__(self) -> None:
        self.healthy = True
        self.stops: list[float] = []
        self.starts = 0
        self.lock = threading.Lock()

    def stop(self, grace: float = 10.0) -> None:
        self.stops.append(grace)

    def start(self) -> FakeServer:
        with self.lock:
            self.starts += 1
            self.healthy = True
        return self

    def probe(self) -> None:
        if not self.healthy:
            raise TimeoutError("no answer")


def test_probe_ok_turns_exceptions_and_false_into_failures():
    assert probe_ok(lambda: None) == (True, "")
    assert probe_ok(lambda: False) == (False, "probe returned False")

    def boom():
        raise ConnectionError("refused")

    assert probe_ok(boom) == (False, "ConnectionError: refused")


def test_a_broken_server_is_restarted_once_after_three_failures():
    server = FakeServer()
    server.healthy = False
    with Supervisor(server, server.probe, interval=0.01, failures=3, grace=0.5) as supervisor:
        assert supervisor.wait_for_restarts(1, timeout=10)
    assert server.starts == 1 and server.stops == [0.5]
    assert supervisor.failed_probes == 3 and supervisor.error is None
    restart = supervisor.restarts[0]
    assert restart.first_failure_s <= restart.began_s <= restart.ready_s
    assert restart.outage_s == pytest.approx(restart.ready_s - restart.first_failure_s)
    assert restart.reason == "TimeoutError: no answer"


def test_failures_that_are_not_in_a_row_never_restart():
    answers = iter([False, False, True] * 20)
    server = FakeServer()
    supervisor = Supervisor(server, lambda: next(answers, True), interval=0.001, failures=3).start()
    assert not supervisor.wait_for_restarts(1, timeout=0.5)
    supervisor.stop()
    assert server.starts == 0 and supervisor.failed_probes >= 2
    assert supervisor.probes > supervisor.failed_probes


def test_restarts_are_bounded_and_a_failing_start_is_kept():
    server = FakeServer()
    server.start = lambda: (_ for _ in ()).throw(RuntimeError("port taken"))  # type: ignore[method-assign]
    supervisor = Supervisor(server, lambda: False, interval=0.001, failures=1, max_restarts=2).start()
    supervisor.stop(timeout=5)
    assert isinstance(supervisor.error, RuntimeError) and supervisor.restarts == []

    never_ok = FakeServer()
    capped = Supervisor(never_ok, lambda: False, interval=0.001, failures=1, max_restarts=2).start()
    assert capped.wait_for_restarts(2, timeout=5)
    capped.stop(timeout=5)
    assert len(capped.restarts) == 2 and never_ok.starts == 2


def test_restart_outage_is_from_the_first_failure():
    assert Restart(1.0, 4.0, 9.5, "x").outage_s == 8.5
