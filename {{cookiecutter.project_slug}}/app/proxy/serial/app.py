"""The serial proxy app: POST /predict through the chain of steps, plus health and metrics.

Run it with:
    SERIAL_PROXY_STEPS=step-1=http://127.0.0.1:8001,step-2=http://127.0.0.1:8002 \
    uvicorn app.proxy.serial.app:create_app --factory --port 8000
"""

import time
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse

from app.http.errors import documented_errors
from app.http.schemas import PredictRequest
from app.proxy.backends import Backend
from app.proxy.metrics import ProxyMetrics
from app.proxy.serial.chain import Chain, Step
from app.proxy.serial.settings import SerialProxySettings
from app.proxy.service import create_proxy_app

_RESPONSES: dict[int | str, dict[str, Any]] = documented_errors(
    {
        422: "A step refused its input (failure: model_answered), or the envelope is wrong.",
        502: "A step with policy fail failed, or no step predicted a row (service_failed).",
        504: "A step with policy fail timed out (failure: service_failed).",
    }
)


def create_app(settings: SerialProxySettings | None = None) -> FastAPI:
    """Build the serial proxy; steps and policies come from SERIAL_PROXY_* settings."""
    settings = settings or SerialProxySettings()  # read from the environment
    metrics = ProxyMetrics("serial_proxy")
    conditional = settings.conditional()
    steps = [
        Step(
            Backend(endpoint, settings.pool(), metrics),
            settings.policy(endpoint.name),
            endpoint.name in conditional,
        )
        for endpoint in settings.endpoints()
    ]
    counter = metrics.counter(
        "steps", "Steps by status: ok, skipped, not_needed, refused, failed.", ["step", "status"]
    )
    chain = Chain(steps, settings.step_timeout_s, settings.confidence_threshold, counter)
    router = APIRouter(tags=["predict"])

    @router.post("/predict", response_class=JSONResponse, responses=_RESPONSES)
    async def predict(payload: PredictRequest) -> JSONResponse:
        """Run the rows through every step; the answer reports each step and its latency."""
        started = time.perf_counter()
        answer = await chain.run(payload.rows)
        answer["latency_ms"] = round((time.perf_counter() - started) * 1000, 3)
        return JSONResponse(answer)

    backends = [step.backend for step in steps]
    return create_proxy_app(
        title="Serial proxy", settings=settings, metrics=metrics, backends=backends, router=router
    )
