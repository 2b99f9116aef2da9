"""Exceptions with messages a tutorial reader can act on."""

from __future__ import annotations


class WineServingError(RuntimeError):
    """Base class, so a notebook can catch everything this package raises."""


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


def summarize_server_error(message: str, limit: int = 400) -> str:
    """MLServer puts the useful sentence at the end of a long message; keep that end."""
    message = message.strip()
    marker = "Error: "
    if marker in message:
        tail = message[message.rindex(marker) + len(marker):].strip().rstrip('"}')
        if tail:
            return tail[:limit]
    return message if len(message) <= limit else "..." + message[-limit:]
