"""Loopback only: the address rules every server and every load here follows."""

from __future__ import annotations

import pytest

from wine_serving.process.inspection import is_loopback
from wine_serving.process.ports import free_ports, require_loopback


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
