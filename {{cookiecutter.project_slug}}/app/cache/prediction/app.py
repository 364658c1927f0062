"""The cached predictor: the standard predictor with a Redis answer cache in front of the model.

Run it with:
    uvicorn app.cache.prediction.app:create_app --factory --host 0.0.0.0 --port 8000
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from app.cache.client import CacheClient
from app.cache.prediction.cache import PredictionCache, PredictionCacheMetrics
from app.cache.settings import CachedPredictorSettings
from app.http.composition import PredictorExtension
from app.http.metrics import PredictorMetrics
from app.http.predictor import create_app as create_predictor


def create_app(settings: CachedPredictorSettings | None = None) -> FastAPI:
    """The predictor app, its /predict and /predict/by-id answered through the cache."""
    settings = settings or CachedPredictorSettings()
    metrics = PredictorMetrics()
    client = CacheClient(settings.cache_url, settings.cache_timeout_s, metrics.registry)
    cache = PredictionCache(client, settings.cache_ttl_s, PredictionCacheMetrics(metrics.registry))

    @asynccontextmanager
    async def closing_client(_app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await client.close()

    extension = PredictorExtension(answer_cache=cache, lifespan=closing_client)
    return create_predictor(settings, metrics=metrics, extension=extension)
