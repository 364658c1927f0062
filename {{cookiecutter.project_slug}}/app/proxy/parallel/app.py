"""The parallel proxy app: POST /predict fanned out to every backend, plus health and metrics.

Run it with:
    PARALLEL_PROXY_BACKENDS=model-a=http://127.0.0.1:8001,model-b=http://127.0.0.1:8002 \
    uvicorn app.proxy.parallel.app:create_app --factory --port 8000
"""

import asyncio
import logging
import time
from typing import Any, Self

from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, model_validator

from app.http.errors import documented_errors
from app.model.errors import ModelLoadError
from app.proxy.backends import Backend
from app.proxy.metrics import ProxyMetrics
from app.proxy.parallel.answer import combine
from app.proxy.parallel.fan_out import fan_out
from app.proxy.parallel.settings import ParallelProxySettings
from app.proxy.service import READY, backend_checks, create_proxy_app
from app.records import RecordSlot, RecordStore

logger = logging.getLogger(__name__)

_RESPONSES: dict[int | str, dict[str, Any]] = documented_errors(
    {
        422: "Every backend refused the input (model_answered), an id is unknown, or the envelope.",
        501: "Ids were sent, data fetching is at_proxy, and no record store is configured.",
        502: "No backend answered (failure: service_failed); each branch says why.",
        504: "Every backend timed out (failure: service_failed).",
    }
)


class FanOutRequest(BaseModel):
    """Rows to predict, or the ids of stored records: exactly one of the two."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"rows": [[5.1, 3.5, 1.4, 0.2]]}, {"ids": ["0", "100"]}]},
    )

    rows: list[list[Any] | dict[str, Any]] | None = None
    ids: list[str] | None = None

    @model_validator(mode="after")
    def _one_of(self) -> Self:
        if (self.rows is None) == (self.ids is None):
            raise ValueError("send either rows or ids, not both and not neither")
        return self


def create_app(settings: ParallelProxySettings | None = None) -> FastAPI:
    """Build the parallel proxy; backends and strategies come from PARALLEL_PROXY_* settings."""
    settings = settings or ParallelProxySettings()  # read from the environment
    metrics = ProxyMetrics("parallel_proxy")
    backends = [Backend(e, settings.pool(), metrics) for e in settings.endpoints()]
    records = RecordSlot(settings.records_uri, "PARALLEL_PROXY_RECORDS_URI")
    branches = metrics.counter("branches", "Branches by status.", ["backend", "status"])
    timeout_s = (
        settings.deadline_s
        if settings.timeout_strategy == "deadline"
        else settings.backend_timeout_s
    )
    router = APIRouter(tags=["predict"])

    @router.post("/predict", response_class=JSONResponse, responses=_RESPONSES)
    async def predict(payload: FanOutRequest) -> JSONResponse:
        """Every backend's answer for the same input, combined per the aggregation setting."""
        started = time.perf_counter()
        path, body, rows = _request(payload, settings, records)
        outcomes = await fan_out(backends, path, body, settings.timeout_strategy, timeout_s)
        answer = combine(outcomes, settings.aggregation, rows)
        for report in answer["branches"]:
            branches.labels(report["name"], report["status"]).inc()
        answer["latency_ms"] = round((time.perf_counter() - started) * 1000, 3)
        return JSONResponse(answer)

    async def checks() -> dict[str, str]:
        states = await backend_checks(backends, settings.readiness_timeout_s)()
        if records.uri is not None:
            states["records"] = READY if records.ready else "not ready: record store not loaded"
        return states

    async def load_records() -> None:
        try:
            records.store = await asyncio.to_thread(
                RecordStore.load, records.uri or "", settings.records_download_timeout_s
            )
        except ModelLoadError as error:
            logger.error("record store load failed, the proxy stays not ready: %s", error)

    return create_proxy_app(
        title="Parallel proxy",
        settings=settings,
        metrics=metrics,
        backends=backends,
        router=router,
        checks=checks,
        background=[load_records] if records.uri is not None else [],
    )


def _request(
    payload: FanOutRequest, settings: ParallelProxySettings, records: RecordSlot
) -> tuple[str, dict[str, Any], int]:
    """What every backend is sent: (path, body, number of rows)."""
    if payload.rows is not None:
        return "/predict", {"rows": payload.rows}, len(payload.rows)
    ids = payload.ids or []
    if settings.data_fetching == "at_backend":
        return "/predict/by-id", {"ids": ids}, len(ids)
    return "/predict", {"rows": records.require().rows(ids)}, len(ids)
