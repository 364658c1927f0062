"""The synchronous pattern: client -> gateway -> predictor, every one a real process end to
end; then each failure mode against real predictors, under each policy, exactly."""

import time
from collections.abc import Iterator
from contextlib import AbstractAsyncContextManager
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError

from app.proxy.gateway.app import create_app
from app.proxy.gateway.settings import GatewaySettings
from tests.processes import RunningService, running, start_service
from tests.proxy.topology import (
    GATEWAY,
    in_process,
    logged_request_ids,
    metric,
    nowhere,
    start_predictor,
)
from tests.support import PRIMARY_MODEL_FILE, SETOSA, VIRGINICA, wait_until

pytestmark = [pytest.mark.anyio, pytest.mark.e2e]

FALLBACK = {"label": "unknown", "label_index": -1, "probabilities": {}}
FALLBACKS = "gateway_fallback_answers_total"


@pytest.fixture(scope="module")
def predictor(model_dir: Path, log_dir: Path) -> Iterator[RunningService]:
    model = model_dir / PRIMARY_MODEL_FILE
    with running(start_predictor("predictor", model, log_dir)) as (served,):
        yield served


@pytest.fixture(scope="module")
def slow_predictor(model_dir: Path, log_dir: Path) -> Iterator[RunningService]:
    """Answers correctly, but only after 0.5 s (the test-only delay setting)."""
    slow = start_predictor("slow", model_dir / PRIMARY_MODEL_FILE, log_dir, test_delay_s=0.5)
    with running(slow) as (served,):
        yield served


@pytest.fixture(scope="module")
def gateway(predictor: RunningService, log_dir: Path) -> Iterator[RunningService]:
    env = {"GATEWAY_PREDICTOR_URL": predictor.base_url}
    with running(start_service("gateway", GATEWAY, env, log_dir)) as (served,):
        yield served


def _gateway(url: str, **settings: object) -> AbstractAsyncContextManager[httpx.AsyncClient]:
    """The gateway app in-process, in front of `url`, with these settings."""
    return in_process(create_app(GatewaySettings(predictor_url=url, **settings)))  # type: ignore[arg-type]


def test_end_to_end_the_gateway_answers_what_the_predictor_answers(
    gateway: RunningService, predictor: RunningService
):
    body = {"rows": [SETOSA, VIRGINICA]}
    direct = httpx.post(f"{predictor.base_url}/predict", json=body).json()

    response = httpx.post(f"{gateway.base_url}/predict", json=body)

    assert response.status_code == 200
    assert response.json() == {**direct, "fallback": False}


def test_end_to_end_one_request_id_crosses_both_hops(
    gateway: RunningService, predictor: RunningService
):
    response = httpx.post(
        f"{gateway.base_url}/predict", json={"rows": [SETOSA]}, headers={"X-Request-ID": "sync-7"}
    )

    assert response.headers["x-request-id"] == "sync-7"
    for service in (gateway, predictor):
        wait_until(lambda s=service: "sync-7" in logged_request_ids(s), what=f"{service.name} log")


def test_end_to_end_keep_alive_and_metrics(gateway: RunningService):
    for _ in range(10):
        httpx.post(f"{gateway.base_url}/predict", json={"rows": [SETOSA]})

    text = httpx.get(f"{gateway.base_url}/metrics").text

    answered = 'gateway_backend_calls_total{backend="predictor",outcome="answered"}'
    assert metric(text, answered) >= 10
    # Sequential calls share one pooled connection (readiness checks included).
    assert metric(text, "gateway_backend_connections_opened_total") == 1
    assert metric(text, 'gateway_http_requests_total{method="POST",route="/predict"') >= 10


async def test_ready_only_while_the_predictor_is(predictor: RunningService):
    async with _gateway(nowhere()) as down, _gateway(predictor.base_url) as up:
        not_ready = await down.get("/v2/health/ready")
        ready = await up.get("/v2/health/ready")

    assert not_ready.status_code == 503
    assert not_ready.json()["checks"]["predictor"].startswith("not ready: predictor failed")
    assert ready.json() == {"ready": True, "checks": {"predictor": "ready"}}


async def test_error_policy_slow_predictor_is_504(slow_predictor: RunningService):
    async with _gateway(slow_predictor.base_url, timeout_s=0.2) as client:
        started = time.perf_counter()
        response = await client.post("/predict", json={"rows": [SETOSA]})
        elapsed = time.perf_counter() - started

    assert response.status_code == 504
    assert response.json() == {
        "error": "predictor failed: no answer within 0.2 s",
        "backend": "predictor",
        "failure": "service_failed",
        "reason": "timeout",
    }
    assert elapsed < 0.45


async def test_fallback_policy_slow_predictor_is_the_flagged_fallback(
    slow_predictor: RunningService,
):
    async with _gateway(slow_predictor.base_url, timeout_s=0.2, on_failure="fallback") as client:
        response = await client.post("/predict", json={"rows": [SETOSA, VIRGINICA]})
        text = (await client.get("/metrics")).text

    assert response.status_code == 200
    assert response.json() == {
        "model_name": None,
        "model_version": None,
        "predictions": [FALLBACK, FALLBACK],
        "fallback": True,
        "fallback_reason": "predictor failed: no answer within 0.2 s",
    }
    assert metric(text, f'{FALLBACKS}{{reason="timeout"}}') == 1


async def test_killed_predictor_error_policy_is_502_fallback_policy_is_flagged(
    model_dir: Path, log_dir: Path
):
    victim = start_predictor("victim", model_dir / PRIMARY_MODEL_FILE, log_dir)
    with running(victim):
        async with (
            _gateway(victim.base_url) as strict,
            _gateway(victim.base_url, on_failure="fallback") as lenient,
        ):
            before = await strict.post("/predict", json={"rows": [SETOSA]})
            victim.kill()
            error = await strict.post("/predict", json={"rows": [SETOSA]})
            fallback = await lenient.post("/predict", json={"rows": [SETOSA]})
            ready = await strict.get("/v2/health/ready")
            text = (await lenient.get("/metrics")).text

    assert (before.status_code, before.json()["fallback"]) == (200, False)
    assert error.status_code == 502
    assert error.json()["failure"] == "service_failed"
    assert error.json()["reason"] == "unreachable"
    assert error.json()["error"].startswith(f"predictor failed: cannot reach {victim.base_url}")
    assert fallback.status_code == 200
    assert fallback.json()["fallback"] is True
    assert fallback.json()["predictions"] == [FALLBACK]
    assert metric(text, f'{FALLBACKS}{{reason="unreachable"}}') == 1
    assert ready.status_code == 503


async def test_refused_input_is_passed_back_never_replaced_by_the_fallback(
    predictor: RunningService,
):
    async with _gateway(predictor.base_url, on_failure="fallback") as client:
        response = await client.post("/predict", json={"rows": [[5.1, 3.5, 1.4]]})
        text = (await client.get("/metrics")).text

    assert response.status_code == 422
    assert response.json() == {
        "error": "predictor refused the input (422): rows[0] has 3 values but the model expects 4",
        "backend": "predictor",
        "failure": "model_answered",
    }
    assert metric(text, FALLBACKS) == 0


async def test_a_custom_fallback_prediction_is_answered_per_row():
    custom = '{"label": "needs-review", "label_index": -1}'
    async with _gateway(nowhere(), on_failure="fallback", fallback_prediction=custom) as client:
        response = await client.post("/predict", json={"rows": [SETOSA, SETOSA, SETOSA]})

    assert response.json()["predictions"] == [{"label": "needs-review", "label_index": -1}] * 3


async def test_the_envelope_is_checked_at_the_gateway(predictor: RunningService):
    async with _gateway(predictor.base_url) as client:
        response = await client.post("/predict", json={"rows": "nope"})

    assert response.status_code == 422
    assert "rows" in response.json()["error"]


def test_the_predictor_url_is_required(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("GATEWAY_PREDICTOR_URL", raising=False)

    with pytest.raises(ValidationError, match="predictor_url"):
        GatewaySettings()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("predictor_url", "predictor:8000", "not an http:// or https:// URL"),
        ("fallback_prediction", "[1, 2]", "must be a JSON object"),
        ("fallback_prediction", "{nope", "not valid JSON"),
        ("on_failure", "retry", "on_failure"),
    ],
)
def test_invalid_settings_are_refused(field: str, value: str, message: str):
    settings = {"predictor_url": "http://predictor:8000", field: value}

    with pytest.raises(ValidationError, match=message):
        GatewaySettings(**settings)  # type: ignore[arg-type]
