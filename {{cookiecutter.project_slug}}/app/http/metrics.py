"""Prometheus metrics of one app, kept in its own registry.

A registry per app (not the global default) lets tests and several apps in one process
count independently.
"""

from fastapi import APIRouter, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

_REQUEST_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
_INFERENCE_BUCKETS = (0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25)
_BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096)


class HttpMetrics:
    """HTTP traffic of one service, its metric names prefixed with the service's role."""

    def __init__(self, prefix: str) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            f"{prefix}_http_requests",
            "HTTP requests answered, by method, route template and status code.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.request_duration = Histogram(
            f"{prefix}_http_request_duration_seconds",
            "Time from receiving a request to sending its whole response.",
            ["method", "route"],
            buckets=_REQUEST_BUCKETS,
            registry=self.registry,
        )

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one answered request and its duration."""
        self.requests.labels(method, route, str(status)).inc()
        self.request_duration.labels(method, route).observe(seconds)


class PredictorMetrics(HttpMetrics):
    """HTTP traffic and model timings; also the model runner's InferenceObserver."""

    def __init__(self) -> None:
        super().__init__("predictor")
        self.inference_duration = Histogram(
            "predictor_model_inference_duration_seconds",
            "Time spent inside the model for one batch.",
            buckets=_INFERENCE_BUCKETS,
            registry=self.registry,
        )
        self.batch_size = Histogram(
            "predictor_model_batch_size",
            "Rows per model call.",
            buckets=_BATCH_BUCKETS,
            registry=self.registry,
        )
        self.model_info = Gauge(
            "predictor_model_info",
            "1 for the model loaded and serving, labelled with its name and version.",
            ["name", "version"],
            registry=self.registry,
        )

    def observe_inference(self, seconds: float, batch_size: int) -> None:
        """Record one model call (InferenceObserver)."""
        self.inference_duration.observe(seconds)
        self.batch_size.observe(batch_size)

    def model_loaded(self, name: str, version: str) -> None:
        """Mark the model now serving."""
        self.model_info.labels(name, version).set(1)


def build_metrics_router(metrics: HttpMetrics) -> APIRouter:
    """GET /metrics in the Prometheus text format."""
    router = APIRouter(tags=["operations"])

    @router.get("/metrics", response_class=Response)
    async def read_metrics() -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return router
