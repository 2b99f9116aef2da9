"""The benchmark's floor: the cheapest Python HTTP round trip on this machine.

A plain ASGI app under uvicorn that reads the whole request body and answers a fixed
V2 response: no framework, no validation, no model. No Python V2 server here can be
faster than this with the same client at the same concurrency, so every server's
throughput is also shown as a fraction of it.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from wine_serving.process.managed import ManagedProcess, http_ok
from wine_serving.process.ports import LOOPBACK, free_port
from wine_serving.workspace import Workspace

FIXED_RESPONSE = json.dumps({
    "model_name": "wine", "id": "floor",
    "outputs": [{"name": "predict", "shape": [1], "datatype": "FP64", "data": [5.0]}],
}).encode()
HEADERS = [(b"content-type", b"application/json"), (b"content-length", str(len(FIXED_RESPONSE)).encode())]


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Read the request to its end (a server must), then send the same bytes every time."""
    if scope["type"] != "http":
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": FIXED_RESPONSE})


class FloorServer(ManagedProcess):
    """``uvicorn wine_serving.servers.floor:app`` on 127.0.0.1, access log off."""

    kind = "uvicorn floor"

    def __init__(self, port: int | None = None, *, ws: Workspace | None = None) -> None:
        self.port = port or free_port()
        super().__init__(ws=ws, log_name=f"floor-{self.port}")

    @property
    def command(self) -> list[str]:
        return [sys.executable, "-m", "uvicorn", "wine_serving.servers.floor:app", "--host", LOOPBACK,
                "--port", str(self.port), "--no-access-log", "--log-level", "warning"]

    def is_ready(self, log: str) -> bool:
        return http_ok(f"{self.url}/v2/health/ready")
