"""The record predictor: the standard predictor whose /predict/by-id reads records from a
database (SQLite or PostgreSQL) through a read-through Redis cache.

Run it with:
    uvicorn app.cache.records.app:create_app --factory --host 0.0.0.0 --port 8000
"""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from fastapi import FastAPI, Request, Response, status

from app.cache.client import CacheClient, CacheUnavailableError
from app.cache.records.cache import CachedRecords, RecordCacheMetrics, RecordNotFoundError
from app.cache.records.routes import build_records_router
from app.cache.records.settings import RecordPredictorSettings
from app.cache.records.store import RecordTable
from app.http.composition import PredictorExtension
from app.http.errors import error_response
from app.http.metrics import PredictorMetrics
from app.http.predictor import create_app as create_predictor
from app.store.database import open_engine

STORE_CHECK_INTERVAL_S = 2.0
"""How often readiness checks that the data store answers."""


def create_app(settings: RecordPredictorSettings | None = None) -> FastAPI:
    """The predictor app with ids looked up in the data store through the cache."""
    settings = settings or RecordPredictorSettings()
    metrics = PredictorMetrics()
    engine = open_engine(settings.database_url, settings.password(), "PREDICTOR_DATABASE_URL")
    client = CacheClient(settings.cache_url, settings.cache_timeout_s, metrics.registry)
    records = CachedRecords(
        RecordTable(engine),
        client,
        settings.cache_ttl_s,
        RecordCacheMetrics(metrics.registry),
        settings.max_batch_size,
    )

    @asynccontextmanager
    async def running(_app: FastAPI) -> AsyncIterator[None]:
        watch = asyncio.create_task(records.watch_store(STORE_CHECK_INTERVAL_S))
        try:
            yield
        finally:
            watch.cancel()
            with suppress(asyncio.CancelledError):
                await watch
            await client.close()
            engine.dispose()

    extension = PredictorExtension(
        record_source=records,
        routers=[build_records_router(records)],
        error_handlers={
            RecordNotFoundError: _not_found,
            CacheUnavailableError: _cache_unavailable,
        },
        lifespan=running,
    )
    return create_predictor(settings, metrics=metrics, extension=extension)


async def _not_found(_request: Request, error: RecordNotFoundError) -> Response:
    return error_response(status.HTTP_404_NOT_FOUND, str(error))


async def _cache_unavailable(_request: Request, error: CacheUnavailableError) -> Response:
    return error_response(status.HTTP_503_SERVICE_UNAVAILABLE, f"the cache is unavailable: {error}")
