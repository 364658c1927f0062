"""The preprocess service: POST /predict applies the fitted transformer, then asks the
predictor, refusing to pair with a model of another training run.

Run it with:
    PREPROCESS_PREDICTOR_URL=http://127.0.0.1:8001 \
    uvicorn app.preprocess.app:create_app --factory --port 8000
"""

import asyncio
import logging
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse

from app.http.errors import documented_errors
from app.http.schemas import PredictRequest
from app.model.errors import ModelLoadError, ModelNotReadyError
from app.model.source import display_location
from app.preprocess.settings import PreprocessSettings
from app.preprocess.transformer import Transformer, load_transformer
from app.preprocess.version_lock import VersionLock
from app.proxy.backends import Backend
from app.proxy.endpoints import Endpoint
from app.proxy.errors import model_answered, service_failed
from app.proxy.metrics import ProxyMetrics
from app.proxy.outcomes import Answered, Refused
from app.proxy.service import READY, backend_state, create_proxy_app

logger = logging.getLogger(__name__)

_RESPONSES: dict[int | str, dict[str, Any]] = documented_errors(
    {
        409: "The predictor's model is not the one this preprocessing was released with.",
        413: "More rows than PREPROCESS_MAX_BATCH_SIZE, or a body over PREPROCESS_MAX_BODY_BYTES.",
        422: "A row does not fit the raw features, or the predictor refused (model_answered).",
        502: "The predictor failed (failure: service_failed).",
        503: "The transformer is not loaded yet.",
        504: "The predictor timed out (failure: service_failed).",
    }
)


class _Pair:
    """The transformer and the lock on its predictor, once the background load has finished."""

    loaded: tuple[Transformer, VersionLock] | None = None

    def require(self) -> tuple[Transformer, VersionLock]:
        if self.loaded is None:
            raise ModelNotReadyError("the transformer is not loaded yet")
        return self.loaded


def create_app(settings: PreprocessSettings | None = None) -> FastAPI:
    """Build the preprocess service; transformer and predictor from PREPROCESS_* settings."""
    settings = settings or PreprocessSettings()  # read from the environment
    metrics = ProxyMetrics("preprocess")
    predictor = Backend(Endpoint("predictor", settings.predictor_url), settings.pool(), metrics)
    pair = _Pair()
    router = APIRouter(tags=["predict"])

    @router.post("/predict", response_class=JSONResponse, responses=_RESPONSES)
    async def predict(payload: PredictRequest) -> JSONResponse:
        """Preprocess the rows, then the matching predictor's answer for them."""
        transformer, lock = pair.require()
        features = transformer.transform(payload.rows)
        await lock.check()
        outcome = await predictor.post("/predict", settings.timeout_s, json={"rows": features})
        if isinstance(outcome, Refused):
            raise model_answered(outcome)
        if not isinstance(outcome, Answered):
            raise service_failed(outcome)
        lock.confirm(outcome.body.get("model_version"))
        meta = transformer.metadata
        return JSONResponse(
            {**outcome.body, "preprocess": {"name": meta.name, "version": meta.version}}
        )

    async def load() -> None:
        location = display_location(settings.model_uri)
        try:
            transformer = await asyncio.to_thread(
                load_transformer,
                settings.model_uri,
                settings.model_sha256,
                settings.model_download_timeout_s,
                settings.max_batch_size,
            )
        except ModelLoadError as error:
            logger.error("transformer load failed, the service stays not ready: %s", error)
            return
        meta = transformer.metadata
        lock = VersionLock(
            predictor,
            meta.predictor_model,
            meta.version,
            settings.version_check_interval_s,
            settings.readiness_timeout_s,
        )
        pair.loaded = (transformer, lock)
        logger.info("transformer %s version %s loaded from %s", meta.name, meta.version, location)

    async def checks() -> dict[str, str]:
        states = {"predictor": await backend_state(predictor, settings.readiness_timeout_s)}
        if pair.loaded is None:
            states["transformer"] = "not ready: the transformer is not loaded yet"
            return states
        states["transformer"] = READY
        if states["predictor"] == READY:
            states["versions"] = await pair.loaded[1].state()
        return states

    return create_proxy_app(
        title="Preprocess",
        settings=settings,
        metrics=metrics,
        backends=[predictor],
        router=router,
        checks=checks,
        background=[load],
    )
