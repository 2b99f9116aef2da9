"""Looking inside a running server: its process tree, inference workers, CPU and sockets.

Nothing here starts or stops anything; the notebooks that measure or break a server
and the tests use it to see what ``mlserver start`` made. (Whether another process shares
a server's port, which every start asks, is ``ports.other_listeners``.)
"""

from __future__ import annotations

import ipaddress

import psutil


def process_tree(pid: int) -> list[psutil.Process]:
    """``pid`` and all its descendants (MLServer's inference workers among them)."""
    root = psutil.Process(pid)
    return [root, *root.children(recursive=True)]


def inference_workers(pid: int) -> list[psutil.Process]:
    """MLServer's inference workers: the children multiprocessing started with ``spawn_main``."""
    return [proc for proc in process_tree(pid)[1:] if "spawn_main" in " ".join(proc.cmdline())]


def cpu_by_process(pid: int) -> dict[int, float]:
    """User + system CPU of ``pid`` and each descendant, by PID.

    The sum says how much a server costs; the largest share says whether one process
    (MLServer's single HTTP process, say) is what limits it: a process near one core is saturated.
    A descendant that ends while it is read is left out.
    """
    spent: dict[int, float] = {}
    for proc in process_tree(pid):
        try:
            times = proc.cpu_times()
        except psutil.Error:
            continue
        spent[proc.pid] = times.user + times.system
    return spent


def is_loopback(address: str) -> bool:
    """True for 127.0.0.0/8, ::1 and the IPv4-mapped ``::ffff:127.0.0.1`` gRPC reports."""
    ip = ipaddress.ip_address(address)
    mapped = getattr(ip, "ipv4_mapped", None)
    return ip.is_loopback or bool(mapped and mapped.is_loopback)


def listening_addresses(pid: int) -> set[tuple[str, int]]:
    """``(ip, port)`` of every listening TCP socket of ``pid`` and its children."""
    return {(c.laddr.ip, c.laddr.port) for proc in process_tree(pid)
            for c in proc.net_connections(kind="inet") if c.status == psutil.CONN_LISTEN}
