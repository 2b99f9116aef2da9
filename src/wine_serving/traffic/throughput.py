"""Throughput load: a low-overhead HTTP/1.1 and gRPC load generator.

A general-purpose HTTP client spends client CPU on every request (headers,
parsing, connection pools) on the same cores the server uses, so part of what it
measures is itself; notebook 13 compares one with this module. This one writes
pre-encoded requests on keep-alive connections with asyncio (less client CPU per
request than aiohttp; notebook 13 asserts it), bounded by a request count and a
time limit, to 127.0.0.1 only.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

from wine_serving.process.ports import require_loopback
from wine_serving.traffic.shared import check_bounds, percentile_ms


@dataclass
class LoadResult:
    """Latencies of the successful requests, errors by kind, and the client's own cost."""

    requests: int = 0
    errors: int = 0
    wall_seconds: float = 0.0
    client_cpu_seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    error_kinds: dict[str, int] = field(default_factory=dict)
    bodies: dict[int, bytes] = field(default_factory=dict)  # request index -> response body

    @property
    def rps(self) -> float:
        return self.requests / self.wall_seconds if self.wall_seconds else 0.0

    def percentile_ms(self, q: float) -> float:
        return percentile_ms(self.latencies, q)

    def json(self, index: int) -> Any:
        return json.loads(self.bodies[index])


def _run_to_end(coroutine_factory) -> None:
    """``asyncio.run``, also from a notebook, whose kernel already runs an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(coroutine_factory())
        return
    errors: list[BaseException] = []

    def target() -> None:
        try:
            asyncio.run(coroutine_factory())
        except BaseException as exc:  # handed back to the caller's thread
            errors.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]


def _checked(url: str, payloads: Sequence[Any], total: int, concurrency: int,
             max_seconds: float) -> LoadResult:
    """Refuse before sending: a host other than loopback, a load without bounds, nothing to send."""
    require_loopback(url)
    check_bounds(total, concurrency, max_seconds)
    if not payloads:
        raise ValueError("There is nothing to send: the list of requests is empty.")
    return LoadResult()


def _timed(result: LoadResult, coroutine_factory) -> LoadResult:
    """Run the load to its end and record its wall-clock and client CPU time."""
    cpu, begin = time.process_time(), time.perf_counter()
    _run_to_end(coroutine_factory)
    result.wall_seconds = time.perf_counter() - begin
    result.client_cpu_seconds = time.process_time() - cpu
    return result


def encode_post(url: str, body: bytes | dict[str, Any]) -> bytes:
    """One complete HTTP/1.1 POST request, ready to write on a socket."""
    parsed = urlparse(url)
    payload = body if isinstance(body, bytes) else json.dumps(body).encode()
    head = (f"POST {parsed.path or '/'} HTTP/1.1\r\nHost: {parsed.netloc}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n")
    return head.encode() + payload


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    pairs = (line.partition(":") for line in lines[1:] if line)
    headers = {key.strip().lower(): value.strip() for key, _, value in pairs}
    if headers.get("transfer-encoding", "").lower() == "chunked":
        chunks = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip().split(b";")[0], 16)
            chunk = await reader.readexactly(size + 2)
            if size == 0:
                break
            chunks.append(chunk[:-2])
        body = b"".join(chunks)
    else:
        body = await reader.readexactly(int(headers.get("content-length", "0")))
    return status, body, headers.get("connection", "").lower() == "close"


async def _run(url: str, requests_: Sequence[bytes], total: int, concurrency: int, max_seconds: float,
               timeout: float, keep_bodies: bool, result: LoadResult) -> None:
    parsed = urlparse(url)
    host, port = parsed.hostname, parsed.port or 80
    next_index = 0
    begin = time.perf_counter()
    deadline = begin + max_seconds

    def fail(kind: str) -> None:
        result.errors += 1
        result.error_kinds[kind] = result.error_kinds.get(kind, 0) + 1

    async def connection() -> None:
        nonlocal next_index
        reader = writer = None
        while True:
            index = next_index
            if index >= total or time.perf_counter() > deadline:
                break
            next_index += 1
            started = time.perf_counter()
            result.requests += 1
            try:
                if writer is None:
                    reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
                writer.write(requests_[index % len(requests_)])
                status, body, close = await asyncio.wait_for(_read_response(reader), timeout)
            except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ValueError) as exc:
                fail(type(exc).__name__)
                if writer is not None:
                    writer.close()
                reader = writer = None
                continue
            if status == 200:
                result.latencies.append(time.perf_counter() - started)
                if keep_bodies:
                    result.bodies[index] = body
            else:
                fail(f"HTTP {status}")
            if close:
                writer.close()
                reader = writer = None
        if writer is not None:
            writer.close()

    await asyncio.gather(*(connection() for _ in range(concurrency)))


def http_load(url: str, requests_: Sequence[bytes], *, total: int, concurrency: int = 1,
              max_seconds: float = 30.0, timeout: float = 10.0, keep_bodies: bool = False) -> LoadResult:
    """POST ``requests_`` (cycled, pre-encoded with ``encode_post``) to ``url``.

    Every request has a ``timeout``; a dead server shows up as errors, not a hang.
    ``keep_bodies`` keeps each response body by request index, for checking answers.
    """
    result = _checked(url, requests_, total, concurrency, max_seconds)
    return _timed(result, lambda: _run(url, requests_, total, concurrency, max_seconds, timeout,
                                       keep_bodies, result))


async def _run_grpc(target: str, messages: Sequence[Any], total: int, concurrency: int,
                    max_seconds: float, timeout: float, result: LoadResult) -> None:
    import grpc
    from mlserver.grpc.dataplane_pb2_grpc import GRPCInferenceServiceStub

    next_index = 0
    deadline = time.perf_counter() + max_seconds
    async with grpc.aio.insecure_channel(target) as channel:
        stub = GRPCInferenceServiceStub(channel)

        async def caller() -> None:
            nonlocal next_index
            while next_index < total and time.perf_counter() <= deadline:
                index = next_index
                next_index += 1
                result.requests += 1
                started = time.perf_counter()
                try:
                    await stub.ModelInfer(messages[index % len(messages)], timeout=timeout)
                except grpc.aio.AioRpcError as exc:
                    result.errors += 1
                    kind = f"gRPC {exc.code().name}"
                    result.error_kinds[kind] = result.error_kinds.get(kind, 0) + 1
                    continue
                result.latencies.append(time.perf_counter() - started)

        await asyncio.gather(*(caller() for _ in range(concurrency)))


def grpc_load(target: str, messages: Sequence[Any], *, total: int, concurrency: int = 1,
              max_seconds: float = 30.0, timeout: float = 10.0) -> LoadResult:
    """``ModelInfer`` calls with pre-built protobuf ``messages`` over one channel (HTTP/2)."""
    result = _checked(f"grpc://{target}", messages, total, concurrency, max_seconds)
    return _timed(result, lambda: _run_grpc(target, messages, total, concurrency, max_seconds, timeout,
                                            result))
