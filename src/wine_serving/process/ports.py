"""Loopback and free ports: where every server here listens and every request goes.

Owns ``LOOPBACK``, free-port lookup and the loopback guard every load passes.
"""

from __future__ import annotations

import socket
from urllib.parse import urlparse

LOOPBACK = "127.0.0.1"
LOOPBACK_HOSTS = frozenset({LOOPBACK, "localhost", "::1"})


def free_port(host: str = LOOPBACK) -> int:
    """A port the OS considers free right now (another process may still take it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


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
