"""The edge server: the standard predictor with the device bundle's routes composed in.

Run it with:
    uvicorn app.edge.app:create_app --factory --host 0.0.0.0 --port 8000

`/predict` and the v2 routes answer server-side (the reference a device's output is
checked against); `/edge/*` distributes the bundle and serves the browser page. Readiness
waits for the model and for a bundle exported from that same model.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from app.background import in_background
from app.edge.distribution import BundleSlot, default_bundle_uri
from app.edge.routes import build_edge_router
from app.edge.settings import EdgeServerSettings
from app.http.composition import PredictorExtension
from app.http.metrics import PredictorMetrics
from app.http.predictor import create_app as create_predictor


def create_app(settings: EdgeServerSettings | None = None) -> FastAPI:
    """The predictor app with /edge/manifest, /edge/model and the /edge/ page."""
    settings = settings or EdgeServerSettings()
    slot = BundleSlot(settings.edge_bundle_uri or default_bundle_uri(settings.model_uri))

    @asynccontextmanager
    async def loading_bundle(_app: FastAPI) -> AsyncIterator[None]:
        async with in_background(slot.load(settings.model_download_timeout_s)):
            yield

    metrics = PredictorMetrics()
    web_dir, runtime_dir = Path(settings.edge_web_dir), Path(settings.edge_runtime_dir)
    router = build_edge_router(slot, web_dir, runtime_dir, metrics.registry)
    extension = PredictorExtension(
        routers=[router], lifespan=loading_bundle, ready_for=slot.ready_for
    )
    return create_predictor(settings, metrics=metrics, extension=extension)
