"""Loopback and free ports: where every server here listens and every request goes.

Owns ``LOOPBACK``, free-port lookup, the check that no other process listens on a server's
ports (every start asks it) and the loopback guard every load passes.
"""

from __future__ import annotations

import random
import socket
from collections.abc import Collection
from urllib.parse import urlparse

import psutil

LOOPBACK = "127.0.0.1"
LOOPBACK_HOSTS = frozenset({LOOPBACK, "localhost", "::1"})
# Below Linux's ephemeral range (32768-60999 by default), from which every client socket takes its local
# port and port 0 is chosen: there a client connection can take the port before the server binds it (CI
# saw it: 17's replica on a busy machine). Here only another listener can; ``start_on_free_ports`` retries.
LISTEN_PORTS = range(20000, 32768)


def free_port(host: str = LOOPBACK) -> int:
    """A port free right now from ``LISTEN_PORTS`` (the OS's choice if a hundred tries find none)."""
    for port in [*random.SystemRandom().sample(LISTEN_PORTS, 100), 0]:  # its own generator: no global state
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind((host, port))
            except OSError:
                continue
            return sock.getsockname()[1]
    raise OSError(f"no free port on {host}")


def free_ports(count: int, host: str = LOOPBACK) -> list[int]:
    ports: set[int] = set()
    while len(ports) < count:
        ports.add(free_port(host))
    return sorted(ports)


def require_loopback(url: str) -> None:
    """Load is only ever sent to this machine; refuse anything else before sending."""
    host = urlparse(url).hostname
    if host not in LOOPBACK_HOSTS:
        raise ValueError(f"Refusing to send load to {host!r}: only {LOOPBACK} is allowed.")


def other_listeners(ports: Collection[int], pid: int) -> dict[int, set[int | None]]:
    """For each of ``ports`` that a process outside ``pid``'s tree also listens on, those PIDs
    (None: another user's); one scan of the machine's sockets for all the ports.

    gRPC servers (grpcio's default ``SO_REUSEPORT``) bind a port another gRPC server already
    listens on without any error; the kernel then hands each new connection to one of them,
    so a client can talk to the wrong server. A non-empty answer after start-up means that.
    """
    root = psutil.Process(pid)
    ours = {pid, *(child.pid for child in root.children(recursive=True))}
    found: dict[int, set[int | None]] = {}
    for c in psutil.net_connections(kind="tcp"):
        if c.status == psutil.CONN_LISTEN and c.laddr and c.laddr.port in ports and c.pid not in ours:
            found.setdefault(c.laddr.port, set()).add(c.pid)
    return found
