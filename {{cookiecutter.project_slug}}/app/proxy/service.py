"""The FastAPI app every proxy role builds on: lifespan, middleware, health and metrics.

A role supplies its settings, backends, routes and, when it needs more than "every backend
is ready", its own readiness checks; everything else is the same for every proxy.
"""

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI, Response, status
from pydantic import BaseModel

from app import __version__
from app.background import in_background
from app.http.errors import install_error_handlers
from app.http.metrics import build_metrics_router
from app.http.middleware import BodySizeLimitMiddleware, RequestContextMiddleware
from app.logs import configure_logging
from app.proxy.backends import Backend
from app.proxy.errors import install_proxy_error_handler
from app.proxy.metrics import ProxyMetrics
from app.proxy.outcomes import Answered
from app.proxy.settings import ProxySettings

READY = "ready"

logger = logging.getLogger(__name__)

Checks = Callable[[], Awaitable[dict[str, str]]]
Job = Callable[[], Coroutine[Any, Any, None]]
Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]
"""Readiness checks: name -> "ready" or why not. The service is ready when all are."""


class LiveResponse(BaseModel):
    """Body of GET /v2/health/live."""

    live: bool


class ProxyReadyResponse(BaseModel):
    """Body of GET /v2/health/ready: overall readiness and each check's state."""

    ready: bool
    checks: dict[str, str]


def create_proxy_app(
    *,
    title: str,
    settings: ProxySettings,
    metrics: ProxyMetrics,
    backends: Sequence[Backend],
    router: APIRouter,
    checks: Checks | None = None,
    background: Sequence[Job] = (),
) -> FastAPI:
    """An app serving `router`, with `backends` opened for its lifetime.

    `background` jobs (loading a transformer or a record store) start with the app and
    run beside it, so liveness answers at once while readiness tells the truth.
    """
    configure_logging(settings.log_level)
    for variable in type(settings).unknown_variables():
        logger.warning("ignoring %s: no setting has that name (a typo?)", variable)
    ready_checks = checks or backend_checks(backends, settings.readiness_timeout_s)
    app = FastAPI(title=title, version=__version__, lifespan=_lifespan(backends, background))
    app.add_middleware(BodySizeLimitMiddleware, max_body_bytes=settings.max_body_bytes)
    app.add_middleware(RequestContextMiddleware, metrics=metrics)
    install_error_handlers(app)
    install_proxy_error_handler(app)
    app.include_router(router)
    app.include_router(_health_router(ready_checks))
    app.include_router(build_metrics_router(metrics))
    return app


def backend_checks(backends: Sequence[Backend], timeout_s: float) -> Checks:
    """Ready when every backend answers 200 on its own /v2/health/ready."""

    async def check() -> dict[str, str]:
        states = await asyncio.gather(*(backend_state(backend, timeout_s) for backend in backends))
        return dict(zip((backend.name for backend in backends), states, strict=True))

    return check


async def backend_state(backend: Backend, timeout_s: float) -> str:
    """ "ready", or why the backend is not."""
    outcome = await backend.get("/v2/health/ready", timeout_s)
    if isinstance(outcome, Answered):
        return READY
    return f"not ready: {outcome.describe()}"


def _health_router(checks: Checks) -> APIRouter:
    router = APIRouter(prefix="/v2/health", tags=["operations"])

    @router.get("/live")
    async def live() -> LiveResponse:
        """The process is up and answering (liveness probe)."""
        return LiveResponse(live=True)

    @router.get("/ready")
    async def ready(response: Response) -> ProxyReadyResponse:
        """Every check passes (readiness probe): 503, naming what is not ready, until then."""
        states = await checks()
        is_ready = all(state == READY for state in states.values())
        if not is_ready:
            response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
        return ProxyReadyResponse(ready=is_ready, checks=states)

    return router


def _lifespan(backends: Sequence[Backend], background: Sequence[Job]) -> Lifespan:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        for backend in backends:
            await backend.open()
        try:
            async with in_background(*(job() for job in background)):
                yield
        finally:
            for backend in backends:
                await backend.close()

    return lifespan
