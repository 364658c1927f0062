"""JSON log lines on stdout, each carrying the id of the request being served.

Configured by the app factory (`configure_logging`), never at import, so importing
the package in a test or a notebook leaves logging alone.
"""

import json
import logging
import sys
import time
from contextvars import ContextVar
from typing import Any

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
"""The id of the request this task or thread is serving; None outside requests."""

# Attributes every LogRecord has; anything else was passed through `extra=`
# (except uvicorn's `color_message`, an ANSI-coloured copy of the message).
_STANDARD_ATTRIBUTES = frozenset(
    vars(logging.LogRecord("", logging.INFO, "", 0, "", None, None))
) | {"message", "asctime", "taskName", "color_message"}

# uvicorn's own loggers: sent through our handler so every line is JSON.
_SERVER_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, extras."""

    def format(self, record: logging.LogRecord) -> str:
        """Render `record` as a single line of JSON."""
        entry: dict[str, Any] = {
            "time": _utc_timestamp(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = request_id_var.get()
        if request_id is not None:
            entry["request_id"] = request_id
        entry.update(
            (key, value) for key, value in vars(record).items() if key not in _STANDARD_ATTRIBUTES
        )
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class _JsonStdoutHandler(logging.Handler):
    """Writes to whatever `sys.stdout` is at the time (test runners swap it)."""

    def emit(self, record: logging.LogRecord) -> None:
        """Write one formatted line and flush, so log collectors see it at once."""
        try:
            line = self.format(record)
            sys.stdout.write(line + "\n")
            sys.stdout.flush()
        except Exception:  # logging must never take the service down
            self.handleError(record)


def configure_logging(level: str) -> None:
    """Send the root logger's records to stdout as JSON at `level`; idempotent."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, _JsonStdoutHandler)]:
        root.removeHandler(handler)
    handler = _JsonStdoutHandler()
    handler.setFormatter(JsonFormatter())
    root.addHandler(handler)
    root.setLevel(level)
    for name in _SERVER_LOGGERS:
        server_logger = logging.getLogger(name)
        server_logger.handlers.clear()
        server_logger.propagate = True
    # The access middleware logs each request with its id; uvicorn's line would repeat it,
    # and a proxy's backend calls are in its metrics: httpx's line per call is noise.
    for name in ("uvicorn.access", "httpx"):
        logging.getLogger(name).setLevel(logging.WARNING)


def _utc_timestamp(created: float) -> str:
    seconds = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(created))
    return f"{seconds}.{int(created % 1 * 1000):03d}Z"
