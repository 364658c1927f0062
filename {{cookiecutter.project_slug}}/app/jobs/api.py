"""The job API: accepts jobs for the worker and answers their status; a thin FastAPI adapter.

Run it with:
    uvicorn app.jobs.api:create_app --factory --host 0.0.0.0 --port 8000

With JOB_API_SYNC_PREDICT=true (the time-lag pattern) it also answers POST /predict with
its own, fast model, and queues the same rows for the worker's slow one.
"""

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import redis.asyncio as aioredis
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from app import __version__
from app.background import in_background
from app.http.errors import error_response, install_error_handlers
from app.http.metrics import build_metrics_router
from app.http.middleware import BodySizeLimitMiddleware, RequestContextMiddleware
from app.http.v2_routes import build_health_router
from app.jobs.errors import QueueError, QueueFullError
from app.jobs.metrics import JobApiMetrics
from app.jobs.model import load_model
from app.jobs.queue import JobQueue
from app.jobs.records import QueueKeys
from app.jobs.routes import build_jobs_router, build_time_lag_router
from app.jobs.settings import JobApiSettings
from app.logs import configure_logging
from app.model.runner import ModelRunner

logger = logging.getLogger(__name__)

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]
MONITOR_INTERVAL_S = 1.0
"""How often the API pings Redis and measures the queue (readiness and metrics)."""


class _RedisHealth:
    """Whether Redis answered the API's last call (a monitor measures it every second)."""

    ok = False


def create_app(settings: JobApiSettings | None = None) -> FastAPI:
    """Build the app; it loads its model and starts watching Redis when it starts up."""
    settings = settings or JobApiSettings()
    configure_logging(settings.log_level)
    for variable in JobApiSettings.unknown_variables():
        logger.warning("ignoring %s: no setting has that name (a typo?)", variable)
    metrics = JobApiMetrics()
    runner = ModelRunner(
        max_batch_size=settings.max_batch_size, inference_threads=settings.inference_threads
    )
    # The client connects on first use, inside the server's event loop.
    client = aioredis.Redis.from_url(
        settings.redis_url,
        socket_timeout=settings.redis_timeout_s,
        socket_connect_timeout=settings.redis_timeout_s,
    )
    queue = JobQueue(
        client,
        QueueKeys(settings.queue_name),
        ttl_s=settings.result_ttl_s,
        max_length=settings.max_queue_length,
    )
    health = _RedisHealth()
    app = FastAPI(
        title="Job API",
        version=__version__,
        lifespan=_lifespan(runner, client, queue, health, settings, metrics),
    )
    app.add_middleware(BodySizeLimitMiddleware, max_body_bytes=settings.max_body_bytes)
    app.add_middleware(RequestContextMiddleware, metrics=metrics)
    install_error_handlers(app)
    app.add_exception_handler(QueueError, _queue_error)  # type: ignore[arg-type]
    app.include_router(build_jobs_router(runner, queue))
    if settings.sync_predict:
        app.include_router(build_time_lag_router(runner, queue))
    app.include_router(build_health_router(lambda: runner.ready and health.ok))
    app.include_router(build_metrics_router(metrics))
    return app


def _lifespan(
    runner: ModelRunner,
    client: "aioredis.Redis",
    queue: JobQueue,
    health: _RedisHealth,
    settings: JobApiSettings,
    metrics: JobApiMetrics,
) -> Lifespan:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        loading = asyncio.to_thread(load_model, runner, settings, metrics.model.model_loaded)
        try:
            async with in_background(loading, _monitor(queue, health, metrics)):
                yield
        finally:
            await client.aclose()

    return lifespan


async def _monitor(queue: JobQueue, health: _RedisHealth, metrics: JobApiMetrics) -> None:
    """Measure the queue every second: readiness follows Redis, the gauges follow the queue."""
    while True:
        try:
            stats = await queue.stats()
        except QueueError as error:
            if health.ok:
                logger.error("redis does not answer; not ready: %s", error)
            health.ok = False
            metrics.observe_queue(None)
        else:
            if not health.ok:
                logger.info("redis answers; queue depth %d", stats.depth)
            health.ok = True
            metrics.observe_queue(stats)
        await asyncio.sleep(MONITOR_INTERVAL_S)


async def _queue_error(_request: Request, error: QueueError) -> JSONResponse:
    logger.warning("job refused: %s", error)
    response = error_response(503, str(error))
    # A full queue drains at the workers' pace; an outage may take longer.
    response.headers["Retry-After"] = "1" if isinstance(error, QueueFullError) else "5"
    return response
