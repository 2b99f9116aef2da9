"""A server log's one sentence that explains a failure, and its last lines (every owned server).

Every owned server writes to a workspace log; a start-up failure is reported with
the last Python exception line found there and the log's tail.
"""

from __future__ import annotations

import re
from pathlib import Path

# What uvicorn, MLServer and gRPC log when a port is taken (errno 98 on Linux).
BIND_ERRORS = re.compile(r"address already in use|Failed to bind|\[Errno 98\]", re.IGNORECASE)
EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(?:Error|Exception|NotFound|Invalid\w*): .+", re.MULTILINE)


def last_exception(text: str) -> str | None:
    """The last line of ``text`` that reads like a Python exception, if any."""
    found = EXCEPTION_LINE.findall(text)
    return found[-1].strip() if found else None


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return ""


def cause(path: Path) -> str:
    """`` Cause: <last exception line>`` for an error message, or nothing."""
    found = last_exception(read_text(path))
    return f" Cause: {found}" if found else ""


def tail(path: Path, lines: int = 40) -> str:
    return "\n".join(read_text(path).splitlines()[-lines:])
