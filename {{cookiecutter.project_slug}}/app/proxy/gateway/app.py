"""The gateway app: POST /predict forwarded to the predictor, plus health and metrics.

Run it with:
    GATEWAY_PREDICTOR_URL=http://127.0.0.1:8001 \
    uvicorn app.proxy.gateway.app:create_app --factory --port 8000
"""

from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse

from app.http.errors import documented_errors
from app.http.schemas import PredictRequest, PredictResponse
from app.proxy.backends import Backend
from app.proxy.endpoints import Endpoint
from app.proxy.gateway.forward import Forward
from app.proxy.gateway.settings import GatewaySettings
from app.proxy.metrics import ProxyMetrics
from app.proxy.service import create_proxy_app


class GatewayAnswer(PredictResponse):
    """The predictor's answer, or the fallback (then the model fields are null)."""

    model_name: str | None  # type: ignore[assignment]
    model_version: str | None  # type: ignore[assignment]
    predictions: list[dict[str, Any]]  # type: ignore[assignment]
    fallback: bool
    fallback_reason: str | None = None


_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"model": GatewayAnswer},
    **documented_errors(
        {
            413: "More rows than the predictor takes, or a body over GATEWAY_MAX_BODY_BYTES.",
            422: "The predictor refused the input (failure: model_answered), or the envelope.",
            502: "The predictor failed and the policy is error (failure: service_failed).",
            504: "The predictor timed out and the policy is error (failure: service_failed).",
        }
    ),
}


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    """Build the gateway; the predictor's URL and the policy come from GATEWAY_* settings."""
    settings = settings or GatewaySettings()  # read from the environment
    metrics = ProxyMetrics("gateway")
    predictor = Backend(Endpoint("predictor", settings.predictor_url), settings.pool(), metrics)
    fallbacks = metrics.counter(
        "fallback_answers", "Answers given with the fallback prediction, by failure.", ["reason"]
    )
    forward = Forward(predictor, settings, fallbacks)
    router = APIRouter(tags=["predict"])

    @router.post("/predict", response_class=JSONResponse, responses=_RESPONSES)
    async def predict(payload: PredictRequest, request: Request) -> JSONResponse:
        """The predictor's answer for these rows; the body goes on unchanged."""
        return await forward.predict(await request.body(), len(payload.rows))

    return create_proxy_app(
        title="Gateway", settings=settings, metrics=metrics, backends=[predictor], router=router
    )
