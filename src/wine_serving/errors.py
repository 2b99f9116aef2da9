"""Exceptions with messages a tutorial reader can act on (every module raises them)."""

from __future__ import annotations

import importlib
import json
from types import ModuleType


class WineServingError(RuntimeError):
    """Base of the errors about the outside world (a server, a model, the data): one type to catch.

    A wrong argument is a ``ValueError`` and a missing file a ``FileNotFoundError``, as in
    any Python library; this class does not promise to cover those.
    """


class MissingExtraError(WineServingError, ImportError):
    """A module needs a package that only an optional extra installs."""


def need(module: str, extra: str = "dev") -> ModuleType:
    """Import ``module``, or say which extra of this project installs it.

    ``pip install .`` gives what the core path (01-06) needs; plotting, manifest
    validation and the notebook runner need the ``dev`` extra.
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtraError(
            f"{module} is not installed; it comes with this project's {extra!r} extra: "
            f"pip install -e '.[{extra}]' (or `make setup`).") from exc


class DataUnavailableError(WineServingError):
    """The data set could not be obtained or failed its integrity check."""


class ServerStartError(WineServingError):
    """MLServer did not become ready; the message carries the log tail."""

    def __init__(self, message: str, log_tail: str = "") -> None:
        self.log_tail = log_tail
        full = message if not log_tail else f"{message}\n--- last lines of the server log ---\n{log_tail}"
        super().__init__(full)


class PortInUseError(ServerStartError):
    """Another process holds one of the ports this server was told to bind."""


class RequestValidationError(WineServingError, ValueError):
    """A request does not match the model's metadata; raised before anything is sent."""


class InferenceError(WineServingError):
    """The server answered with an error status; keeps status and the server's message."""

    def __init__(self, status: int, message: str, url: str) -> None:
        self.status = status
        self.server_message = message
        self.url = url
        super().__init__(f"HTTP {status} from {url}: {summarize_server_error(message)}")


def _fastapi_detail(message: str) -> str | None:
    """FastAPI's 422 body (``{"detail": [{"msg", "loc"}, ...]}``) as one line."""
    try:
        parsed = json.loads(message)
    except ValueError:
        return None
    if not isinstance(parsed, dict):
        return None
    detail = parsed.get("detail")
    if isinstance(detail, str):
        return detail
    if isinstance(detail, list) and detail and isinstance(detail[0], dict):
        first = detail[0]
        where = ".".join(str(part) for part in first.get("loc", []))
        extra = f" ({first['ctx']['error']})" if isinstance(first.get("ctx"), dict) and \
            "error" in first["ctx"] else ""
        more = f" (+{len(detail) - 1} more)" if len(detail) > 1 else ""
        # Where first: the allowed-values list in the message can be long.
        return f"{where}: {first.get('msg', 'invalid request')}{extra}{more}"
    return None


def summarize_server_error(message: str, limit: int = 400) -> str:
    """One readable line from a server's error body.

    MLServer puts the useful sentence at the end of a long message (after the last
    ``Error: ``); FastAPI's validation errors are a JSON list. Keep what matters.
    """
    message = message.strip()
    detail = _fastapi_detail(message)
    if detail:
        return detail[:limit]
    marker = "Error: "
    if marker in message:
        tail = message[message.rindex(marker) + len(marker):].strip().rstrip('"}')
        if tail:
            return tail[:limit]
    try:
        parsed = json.loads(message)
        if isinstance(parsed, dict) and isinstance(parsed.get("error"), str):
            message = parsed["error"]
    except ValueError:
        pass
    return message if len(message) <= limit else message[:limit] + "..."
