"""Loopback only: the address rules every server and every load here follows."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from wine_serving.errors import PortInUseError
from wine_serving.process.inspection import is_loopback
from wine_serving.process.managed import ManagedProcess
from wine_serving.process.ports import LISTEN_PORTS, free_ports, other_listeners, require_loopback


def test_ipv4_mapped_loopback_counts_and_others_do_not():
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("::ffff:127.0.0.1")
    assert not is_loopback("0.0.0.0") and not is_loopback("::") and not is_loopback("192.168.1.5")


@pytest.mark.parametrize("url", ["http://10.0.0.1:8080/v2", "http://example.com/invocations"])
def test_only_loopback_is_allowed(url):
    with pytest.raises(ValueError, match="only 127.0.0.1"):
        require_loopback(url)


def test_loopback_is_allowed():
    require_loopback("http://127.0.0.1:8080/v2/models/m/infer")


def test_free_ports_are_distinct():
    ports = free_ports(3)
    assert len(set(ports)) == 3 and all(1024 < port < 65536 for port in ports)


def test_free_ports_stay_below_the_range_client_connections_take():
    """A client socket takes its local port from the OS's ephemeral range; a listening port chosen
    there can be taken before the server binds it. This machine's range starts above ours."""
    ephemeral_start = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    assert LISTEN_PORTS.stop <= ephemeral_start
    assert all(port in LISTEN_PORTS for port in free_ports(20))


LISTENER = """
import socket, sys, time
sock = socket.socket()
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
sock.bind(("127.0.0.1", int(sys.argv[1])))
sock.listen()
print("listening", flush=True)
time.sleep(60)
"""


def _reuseport_listener() -> socket.socket:
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    return sock


class _SharedPortServer(ManagedProcess):
    """A stand-in for a gRPC server: listens with SO_REUSEPORT, as grpcio does."""

    kind = "reuseport listener"

    def __init__(self, grpc_port: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.grpc_port = grpc_port

    @property
    def command(self) -> list[str]:
        return [sys.executable, "-c", LISTENER, str(self.grpc_port)]

    def is_ready(self, log: str) -> bool:
        return "listening" in log


def test_a_port_shared_through_reuseport_is_seen_from_either_side():
    held = _reuseport_listener()
    port = held.getsockname()[1]
    child = subprocess.Popen([sys.executable, "-c", LISTENER, str(port)], stdout=subprocess.PIPE)
    try:
        assert child.stdout.readline().strip() == b"listening"  # the bind succeeded: no error
        assert other_listeners({port}, child.pid) == {port: {os.getpid()}}
        assert other_listeners({port}, os.getpid()) == {}  # the child is in this process's tree
    finally:
        child.kill()
        child.wait()
        held.close()


def test_a_server_whose_grpc_port_is_shared_does_not_start(workspace):
    held = _reuseport_listener()
    server = _SharedPortServer(held.getsockname()[1], ws=workspace, log_name="shared")
    try:
        with pytest.raises(PortInUseError, match="is also served by"):
            server.start()
        assert not server.running  # stopped, nothing left listening
    finally:
        server.stop()
        held.close()
