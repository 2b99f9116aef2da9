"""The asyncio HTTP load generator against tiny local servers: answers, errors, timeouts."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from wine_serving.process.ports import LOOPBACK, free_port
from wine_serving.traffic.throughput import encode_post, http_load


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:  # http.server calls do_<METHOD>
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.path == "/slow":
            time.sleep(2)
        status = 500 if self.path == "/fail" else 200
        if self.path == "/chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for part in (body[:3], body[3:]):
                self.wfile.write(f"{len(part):x}\r\n".encode() + part + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
            return
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture()
def echo() -> Iterator[str]:
    server = ThreadingHTTPServer((LOOPBACK, 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://{LOOPBACK}:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_answers_are_kept_by_request_index(echo):
    bodies = [encode_post(f"{echo}/echo", {"i": i}) for i in range(5)]
    result = http_load(f"{echo}/echo", bodies, total=20, concurrency=4, keep_bodies=True)
    assert result.requests == 20 and result.errors == 0 and len(result.latencies) == 20
    assert all(result.json(i) == {"i": i % 5} for i in range(20))
    assert result.client_cpu_seconds > 0 and result.rps > 0


def test_chunked_responses_are_read(echo):
    result = http_load(f"{echo}/chunked", [encode_post(f"{echo}/chunked", {"x": 1})], total=3,
                       keep_bodies=True)
    assert result.errors == 0 and result.json(2) == {"x": 1}


def test_error_statuses_are_counted(echo):
    result = http_load(f"{echo}/fail", [encode_post(f"{echo}/fail", {})], total=6, concurrency=2)
    assert result.errors == 6 and result.error_kinds == {"HTTP 500": 6} and result.latencies == []


def test_a_slow_server_times_out_instead_of_hanging(echo):
    started = time.monotonic()
    result = http_load(f"{echo}/slow", [encode_post(f"{echo}/slow", {})], total=2, timeout=0.3)
    assert time.monotonic() - started < 3
    assert result.errors == 2 and result.error_kinds == {"TimeoutError": 2}


def test_a_closed_port_is_an_error_not_a_hang():

    url = f"http://{LOOPBACK}:{free_port()}/v2"
    result = http_load(url, [encode_post(url, {})], total=3, timeout=1)
    assert result.errors == 3 and set(result.error_kinds) == {"ConnectionRefusedError"}


def test_only_loopback():
    with pytest.raises(ValueError, match="only 127.0.0.1"):
        http_load("http://192.0.2.1/", [b""], total=1)


def test_works_inside_a_running_event_loop(echo):
    """A notebook kernel already runs an event loop; the load must still run."""
    import asyncio

    async def inside() -> int:
        return http_load(f"{echo}/echo", [encode_post(f"{echo}/echo", {"a": 1})], total=5).requests

    assert asyncio.run(inside()) == 5
