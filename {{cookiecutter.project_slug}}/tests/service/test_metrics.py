"""GET /metrics: request, latency and inference metrics in a per-app registry."""

from pathlib import Path

import httpx
import pytest

from app.settings import PredictorSettings
from tests.service.harness import running_app
from tests.support import SETOSA

pytestmark = pytest.mark.anyio

PREDICT_OK = 'predictor_http_requests_total{method="POST",route="/predict",status="200"}'
PREDICT_REJECTED = 'predictor_http_requests_total{method="POST",route="/predict",status="422"}'


def _sample(text: str, prefix: str) -> float:
    """Sum of the samples whose line starts with `prefix` (0 when there are none)."""
    return sum(
        float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(prefix)
    )


async def test_counts_requests_latency_and_inference(client: httpx.AsyncClient):
    before = (await client.get("/metrics")).text
    await client.post("/predict", json={"rows": [SETOSA, SETOSA]})
    await client.post("/predict", json={"rows": []})

    response = await client.get("/metrics")

    assert response.headers["content-type"].startswith("text/plain")
    after = response.text
    assert _sample(after, PREDICT_OK) == _sample(before, PREDICT_OK) + 1
    assert _sample(after, PREDICT_REJECTED) == _sample(before, PREDICT_REJECTED) + 1
    latency_count = 'predictor_http_request_duration_seconds_count{method="POST",route="/predict"}'
    assert _sample(after, latency_count) == _sample(before, latency_count) + 2
    inference_count = "predictor_model_inference_duration_seconds_count"
    assert _sample(after, inference_count) == _sample(before, inference_count) + 1
    assert _sample(after, 'predictor_model_batch_size_bucket{le="2.0"}') >= 1
    assert 'predictor_model_info{name="iris-classifier"' in after


async def test_unknown_paths_share_one_label(client: httpx.AsyncClient):
    await client.get("/no/such/path")

    text = (await client.get("/metrics")).text

    assert 'route="unmatched",status="404"' in text
    assert "/no/such/path" not in text


async def test_each_app_counts_on_its_own(model_path: Path, client: httpx.AsyncClient):
    await client.post("/predict", json={"rows": [SETOSA]})

    async with running_app(PredictorSettings(model_uri=str(model_path))) as fresh:
        text = (await fresh.get("/metrics")).text

    assert _sample(text, PREDICT_OK) == 0
