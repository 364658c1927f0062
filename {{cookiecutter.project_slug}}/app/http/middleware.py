"""Per-request middleware: request id, access log and metrics; request body size limit.

Plain ASGI middleware (not BaseHTTPMiddleware), so they add no task or stream copy per
request.
"""

import logging
import re
import time
import uuid
from typing import Protocol

from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.logs import request_id_var

REQUEST_ID_HEADER = "X-Request-ID"

# Ids are echoed into headers and logs: accept only short, printable, separator-free ones.
_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._:/+=-]{1,128}")
_QUIET_PATHS = ("/metrics", "/v2/health/live", "/v2/health/ready")

logger = logging.getLogger("app.http.access")


class RequestObserver(Protocol):
    """Told about every answered request: each role's metrics implement it."""

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one answered request and its duration."""


class RequestContextMiddleware:
    """Tags each HTTP request with an id, logs it, and records its metrics."""

    def __init__(self, app: ASGIApp, metrics: RequestObserver) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one ASGI connection; only HTTP requests are instrumented."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _incoming_request_id(scope) or uuid.uuid4().hex
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500  # what the client sees if the app fails before responding

        async def send_with_request_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message).append(REQUEST_ID_HEADER, request_id)
            await send(message)

        try:
            await self.app(scope, receive, send_with_request_id)
        finally:
            self._record(scope, status, time.perf_counter() - started)
            request_id_var.reset(token)

    def _record(self, scope: Scope, status: int, seconds: float) -> None:
        route = _route_template(scope)
        self.metrics.observe_request(scope["method"], route, status, seconds)
        path = scope["path"]
        level = logging.DEBUG if path in _QUIET_PATHS and status < 400 else logging.INFO
        logger.log(
            level,
            "%s %s %d",
            scope["method"],
            path,
            status,
            extra={
                "method": scope["method"],
                "path": path,
                "route": route,
                "status": status,
                "duration_ms": round(seconds * 1000, 3),
            },
        )


class BodySizeLimitMiddleware:
    """Refuses request bodies over `max_body_bytes` with a JSON 413, before parsing.

    FastAPI's own `max_body_size` answers in plain text from outside every user
    middleware, so its 413 would carry no request id and escape the metrics.
    """

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the declared length at once and the received length as it arrives."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _declared_length(scope)
        if declared is not None and declared > self.max_body_bytes:
            response = JSONResponse({"error": self._message(str(declared))}, status_code=413)
            await response(scope, receive, send)
            return
        received = 0

        async def receive_within_limit() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_body_bytes:
                # FastAPI re-raises an HTTPException met while reading the body, so this
                # reaches the app's exception handler and becomes a JSON 413.
                raise HTTPException(413, self._message(f"at least {received}"))
            return message

        await self.app(scope, receive_within_limit, send)

    def _message(self, size: str) -> str:
        return f"the body has {size} bytes, more than the maximum of {self.max_body_bytes}"


def _incoming_request_id(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            candidate = value.decode("latin-1")
            return candidate if _VALID_REQUEST_ID.fullmatch(candidate) else None
    return None


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


def _route_template(scope: Scope) -> str:
    # The template ("/v2/models/{name}/infer"), never the raw path, bounds label cardinality.
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "unmatched"
