"""Security basics that can be checked: loopback only, no pickle, nothing private committed."""

from __future__ import annotations

import ipaddress
import re
import subprocess
from pathlib import Path

import psutil
import pytest

from wine_serving.settings import LOOPBACK, server_settings

ROOT = Path(__file__).resolve().parents[1]
THIS = Path(__file__).resolve()
# The author's machine: the checkout's parent folders and home folders must not leak.
AUTHOR_PATHS = re.compile(r"/work/(main|shared)|/home/[a-z]|/Users/[A-Za-z]|/root/")
SECRETS = re.compile(
    r"AKIA[0-9A-Z]{16}|-----BEGIN [A-Z ]*PRIVATE KEY-----|gh[pousr]_[A-Za-z0-9]{36}"
    r"|(?i:(password|secret|token)\s*[:=]\s*['\"][^'\"\s]{6,})")


def _loopback(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    mapped = getattr(ip, "ipv4_mapped", None)
    return ip.is_loopback or bool(mapped and mapped.is_loopback)


def test_ipv4_mapped_loopback_counts_and_others_do_not():
    assert _loopback("127.0.0.1") and _loopback("::1") and _loopback("::ffff:127.0.0.1")
    assert not _loopback("0.0.0.0") and not _loopback("::") and not _loopback("192.168.1.5")


def committed_text_files() -> list[Path]:
    names = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                           check=True).stdout.split()
    files = []
    for name in names:
        path = ROOT / name
        if path.resolve() == THIS or not path.is_file():
            continue
        if path.suffix in {".png", ".jpg", ".ico", ".gz"}:
            continue
        files.append(path)
    return files


def test_settings_bind_loopback_by_default():
    assert server_settings(1, 2, 3)["host"] == LOOPBACK == "127.0.0.1"


@pytest.mark.integration
def test_a_running_server_listens_on_loopback_only(served):
    server, _ = served
    procs = [psutil.Process(server.pid), *psutil.Process(server.pid).children(recursive=True)]
    addresses = {(c.laddr.ip, c.laddr.port) for p in procs for c in p.net_connections("inet")
                 if c.status == psutil.CONN_LISTEN}
    ports = {port for _, port in addresses}
    assert {server.http_port, server.grpc_port, server.metrics_port} <= ports
    # gRPC listens on an IPv6 socket bound to ::ffff:127.0.0.1, the IPv4-mapped form of loopback.
    assert all(_loopback(ip) for ip, _ in addresses), addresses


def test_no_author_paths_or_secrets_are_committed():
    files = committed_text_files()
    assert len(files) > 20
    leaks = []
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        for pattern in (AUTHOR_PATHS, SECRETS):
            match = pattern.search(text)
            if match:
                leaks.append(f"{path.relative_to(ROOT)}: {match.group(0)!r}")
    assert leaks == []


def test_the_model_is_stored_with_skops_not_pickle(trained):
    from wine_serving.artifacts import logged_model_dir

    ws, models = trained
    folder = logged_model_dir(models["dataframe"].model_id, ws)
    mlmodel = (folder / "MLmodel").read_text()
    assert "serialization_format: skops" in mlmodel
    assert (folder / "model.skops").is_file()
    assert not list(folder.glob("*.pkl")) and not list(folder.glob("*.pickle"))
