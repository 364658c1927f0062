"""Proxy answers for failures, with one body shape that says which kind of failure it was.

`failure` is "service_failed" when a backend did not answer (timeout, unreachable, 5xx)
and "model_answered" when a backend's model judged the input and refused it (4xx).
"""

from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.responses import JSONResponse

from app.proxy.outcomes import Failed, Refused


class ProxyError(Exception):
    """Raised by a strategy to answer with `status_code` and `body`."""

    def __init__(self, status_code: int, body: dict[str, Any]) -> None:
        super().__init__(body.get("error", ""))
        self.status_code = status_code
        self.body = body


def service_failed(failure: Failed, **extra: Any) -> ProxyError:  # noqa: ANN401
    """504 when the backend timed out, 502 for every other service failure."""
    code = status.HTTP_504_GATEWAY_TIMEOUT if failure.reason == "timeout" else 502
    body = {
        "error": failure.describe(),
        "backend": failure.backend,
        "failure": "service_failed",
        "reason": failure.reason,
        **extra,
    }
    return ProxyError(code, body)


def model_answered(refusal: Refused, **extra: Any) -> ProxyError:  # noqa: ANN401
    """The backend's own 4xx status, with its message and the backend's name."""
    body = {
        "error": refusal.describe(),
        "backend": refusal.backend,
        "failure": "model_answered",
        **extra,
    }
    return ProxyError(refusal.status, body)


def install_proxy_error_handler(app: FastAPI) -> None:
    """Turn ProxyError into its JSON answer."""

    async def handle(_request: Request, error: ProxyError) -> JSONResponse:
        return JSONResponse(error.body, status_code=error.status_code)

    app.add_exception_handler(ProxyError, handle)  # type: ignore[arg-type]
