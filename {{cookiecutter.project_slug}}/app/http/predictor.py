"""The HTTP predictor: a thin FastAPI adapter over the model runner.

Run it with:
    uvicorn app.http.predictor:create_app --factory --host 0.0.0.0 --port 8000
"""

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from fastapi import FastAPI

from app import __version__
from app.background import in_background
from app.http.composition import Lifespan, PredictorExtension, RecordSource
from app.http.errors import install_error_handlers
from app.http.metrics import PredictorMetrics, build_metrics_router
from app.http.middleware import BodySizeLimitMiddleware, RequestContextMiddleware
from app.http.predict_routes import build_predict_router
from app.http.v2_routes import build_v2_router
from app.logs import configure_logging
from app.model.errors import ModelLoadError
from app.model.runner import ModelRunner
from app.model.source import display_location
from app.records import RecordSlot, RecordStore
from app.settings import PredictorSettings

logger = logging.getLogger(__name__)


def create_app(
    settings: PredictorSettings | None = None,
    *,
    metrics: PredictorMetrics | None = None,
    extension: PredictorExtension | None = None,
) -> FastAPI:
    """Build the app; its model starts loading in the background when it starts up.

    Roles built on the predictor pass their settings subclass, the metrics their own
    counters share a registry with, and the parts they add (`extension`).
    """
    settings = settings or PredictorSettings()
    extension = extension or PredictorExtension()
    configure_logging(settings.log_level)
    for variable in type(settings).unknown_variables():
        logger.warning("ignoring %s: no setting has that name (a typo?)", variable)
    metrics = metrics or PredictorMetrics()
    runner = ModelRunner(
        max_batch_size=settings.max_batch_size,
        inference_threads=settings.inference_threads,
        observer=metrics,
    )
    slot = RecordSlot(settings.records_uri, "PREDICTOR_RECORDS_URI")
    records: RecordSource = extension.record_source or slot
    app = FastAPI(
        title="Predictor",
        version=__version__,
        lifespan=_lifespan(runner, slot, settings, metrics, extension.lifespan),
    )
    # The last added runs first: request context wraps everything, the size limit included.
    app.add_middleware(BodySizeLimitMiddleware, max_body_bytes=settings.max_body_bytes)
    app.add_middleware(RequestContextMiddleware, metrics=metrics)
    install_error_handlers(app)
    for error_class, handler in extension.error_handlers.items():
        app.add_exception_handler(error_class, handler)
    predict_router = build_predict_router(
        runner, records, settings.test_delay_s, extension.answer_cache
    )
    app.include_router(predict_router)
    app.include_router(build_v2_router(runner, is_ready=lambda: _ready(runner, records, extension)))
    app.include_router(build_metrics_router(metrics))
    for router in extension.routers:
        app.include_router(router)
    return app


def _ready(runner: ModelRunner, records: RecordSource, extension: PredictorExtension) -> bool:
    if not (runner.ready and records.ready):
        return False
    return extension.ready_for is None or extension.ready_for(runner.metadata)


def _lifespan(
    runner: ModelRunner,
    records: RecordSlot,
    settings: PredictorSettings,
    metrics: PredictorMetrics,
    extra: Lifespan | None,
) -> Lifespan:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        loading = [load_model(runner, settings, metrics)]
        if records.uri is not None:
            loading.append(load_records(records, settings))
        async with in_background(*loading), AsyncExitStack() as stack:
            if extra is not None:
                await stack.enter_async_context(extra(app))
            yield

    return lifespan


async def load_records(records: RecordSlot, settings: PredictorSettings) -> None:
    """Load the configured record store off the event loop; log, never raise, on failure."""
    location = display_location(records.uri or "")
    try:
        records.store = await asyncio.to_thread(
            RecordStore.load, records.uri or "", settings.model_download_timeout_s
        )
    except ModelLoadError as error:
        logger.error("record store load failed, the server stays not ready: %s", error)
        return
    logger.info("record store %s loaded: %d records", location, len(records.store.records))


async def load_model(
    runner: ModelRunner, settings: PredictorSettings, metrics: PredictorMetrics
) -> None:
    """Load the configured model off the event loop; log, never raise, on failure."""
    location = display_location(settings.model_uri)
    logger.info("loading model from %s", location, extra={"model_uri": location})
    try:
        metadata = await asyncio.to_thread(
            runner.load,
            settings.model_uri,
            expected_sha256=settings.model_sha256,
            timeout_s=settings.model_download_timeout_s,
        )
    except ModelLoadError as error:
        # The message says everything; a traceback would only bury it.
        logger.error(
            "model load failed, the server stays not ready: %s",
            error,
            extra={"model_uri": location},
        )
        return
    except Exception:
        logger.exception("model load failed unexpectedly, the server stays not ready")
        return
    metrics.model_loaded(metadata.name, metadata.version)
    logger.info(
        "model %s version %s loaded; ready",
        metadata.name,
        metadata.version,
        extra={"model_name": metadata.name, "model_version": metadata.version},
    )
