"""The serial pattern: client -> proxy -> step-1 -> step-2 (-> step-3 for unsure rows),
every service a real process end to end; then routing, and each failure mode under each
per-step policy, with the exact answer."""

from collections.abc import Iterator
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from app.proxy.serial.app import create_app
from app.proxy.serial.settings import SerialProxySettings
from tests.processes import RunningService, running, start_service
from tests.proxy.topology import (
    SERIAL,
    in_process,
    logged_request_ids,
    metric,
    named,
    nowhere,
    start_predictor,
    wait_ready,
)
from tests.support import SETOSA, VIRGINICA, wait_until

pytestmark = [pytest.mark.anyio, pytest.mark.e2e]

UNSURE = [6.0, 2.7, 5.1, 1.6]  # step 2 gives it less than 0.9: step 3 decides
ROWS = [SETOSA, UNSURE, VIRGINICA]
MODELS = {"step-1": "iris-pca", "step-2": "iris-pca-classifier", "step-3": "iris-pca-refiner"}


@pytest.fixture(scope="module")
def steps(model_dir: Path, log_dir: Path) -> Iterator[dict[str, RunningService]]:
    """The three steps, and a slow copy of step 3 (0.5 s, the test-only delay setting)."""
    started = [
        start_predictor(name, model_dir / model / "model.onnx", log_dir)
        for name, model in MODELS.items()
    ]
    slow = model_dir / MODELS["step-3"] / "model.onnx"
    started.append(start_predictor("step-3-slow", slow, log_dir, test_delay_s=0.5))
    with running(*started):
        yield {service.name: service for service in started}


@pytest.fixture(scope="module")
def proxy(steps: dict[str, RunningService], log_dir: Path) -> Iterator[RunningService]:
    env = {
        "SERIAL_PROXY_STEPS": named(steps["step-1"], steps["step-2"], steps["step-3"]),
        "SERIAL_PROXY_CONDITIONAL_STEPS": "step-3",
        "SERIAL_PROXY_STEP_POLICIES": "step-3=skip",
    }
    with running(start_service("proxy", SERIAL, env, log_dir)) as (served,):
        yield served


def _chain(urls: dict[str, str], **settings: Any) -> AbstractAsyncContextManager[httpx.AsyncClient]:
    """The serial proxy in-process over the steps at `urls` (name -> url, in order)."""
    steps = ",".join(f"{name}={url}" for name, url in urls.items())
    settings = {"conditional_steps": "step-3", **settings}
    return in_process(create_app(SerialProxySettings(steps=steps, **settings)))


def _urls(steps: dict[str, RunningService], **replaced: str) -> dict[str, str]:
    return {name: replaced.get(name, steps[name].base_url) for name in MODELS}


def _predict(url: str, rows: list[Any]) -> list[dict[str, Any]]:
    predictions: list[dict[str, Any]] = httpx.post(f"{url}/predict", json={"rows": rows}).json()[
        "predictions"
    ]
    return predictions


def test_end_to_end_each_step_feeds_the_next(
    proxy: RunningService, steps: dict[str, RunningService]
):
    features = [p["features"] for p in _predict(steps["step-1"].base_url, ROWS)]
    classified = _predict(steps["step-2"].base_url, features)
    refined = _predict(steps["step-3"].base_url, [features[1]])

    response = httpx.post(f"{proxy.base_url}/predict", json={"rows": ROWS})

    assert response.status_code == 200
    body = response.json()
    assert body["predictions"] == [
        {**classified[0], "decided_by": "step-2"},
        {**refined[0], "decided_by": "step-3"},
        {**classified[2], "decided_by": "step-2"},
    ]
    reports = body["steps"]
    assert [(r["name"], r["status"], r["rows"], r["model_name"]) for r in reports] == [
        ("step-1", "ok", 3, "iris-pca"),
        ("step-2", "ok", 3, "iris-pca-classifier"),
        ("step-3", "ok", 1, "iris-pca-refiner"),
    ]
    assert all(r["latency_ms"] > 0 for r in reports)
    assert body["latency_ms"] >= sum(r["latency_ms"] for r in reports)


def test_end_to_end_one_request_id_crosses_every_hop(
    proxy: RunningService, steps: dict[str, RunningService]
):
    headers = {"X-Request-ID": "chain-9"}
    httpx.post(f"{proxy.base_url}/predict", json={"rows": [UNSURE]}, headers=headers)

    for service in (proxy, steps["step-1"], steps["step-2"], steps["step-3"]):
        wait_until(lambda s=service: "chain-9" in logged_request_ids(s), what=f"{service.name} log")


def test_end_to_end_metrics_count_steps_by_status(proxy: RunningService):
    httpx.post(f"{proxy.base_url}/predict", json={"rows": [SETOSA]})

    text = httpx.get(f"{proxy.base_url}/metrics").text

    assert metric(text, 'serial_proxy_steps_total{status="not_needed",step="step-3"}') >= 1
    assert (
        metric(text, 'serial_proxy_backend_calls_total{backend="step-1",outcome="answered"}') >= 1
    )


async def test_routing_sends_only_unsure_rows_on(steps: dict[str, RunningService]):
    async with _chain(_urls(steps)) as sure, _chain(_urls(steps), confidence_threshold=1.0) as all_:
        confident = (await sure.post("/predict", json={"rows": [SETOSA, VIRGINICA]})).json()
        doubtful = (await all_.post("/predict", json={"rows": ROWS})).json()

    assert confident["steps"][2] == {
        "name": "step-3",
        "status": "not_needed",
        "rows": 0,
        "reason": "every row is sure",
    }
    assert [p["decided_by"] for p in confident["predictions"]] == ["step-2", "step-2"]
    assert doubtful["steps"][2]["rows"] == 3
    assert [p["decided_by"] for p in doubtful["predictions"]] == ["step-3"] * 3


async def test_a_killed_step_fails_the_request_under_fail(
    model_dir: Path, steps: dict[str, RunningService], log_dir: Path
):
    victim = start_predictor("victim", model_dir / MODELS["step-3"] / "model.onnx", log_dir)
    with running(victim):
        urls = _urls(steps, **{"step-3": victim.base_url})
        async with _chain(urls) as fail, _chain(urls, step_policies="step-3=skip") as skip:
            assert (await fail.post("/predict", json={"rows": ROWS})).status_code == 200
            victim.kill()
            failed = await fail.post("/predict", json={"rows": ROWS})
            skipped = await skip.post("/predict", json={"rows": ROWS})

    assert failed.status_code == 502
    error = failed.json()
    assert (error["backend"], error["failure"], error["reason"]) == (
        "step-3",
        "service_failed",
        "unreachable",
    )
    assert error["error"].startswith(f"step-3 failed: cannot reach {victim.base_url}")
    assert [s["name"] for s in error["steps"]] == ["step-1", "step-2"]
    assert skipped.status_code == 200
    body = skipped.json()
    assert body["steps"][2]["status"] == "skipped"
    assert body["steps"][2]["reason"].startswith(f"step-3 failed: cannot reach {victim.base_url}")
    assert [p["decided_by"] for p in body["predictions"]] == ["step-2"] * 3


async def test_a_slow_step_is_504_under_fail_and_skipped_under_skip(
    steps: dict[str, RunningService],
):
    urls = _urls(steps, **{"step-3": steps["step-3-slow"].base_url})
    async with (
        _chain(urls, step_timeout_s=0.2) as fail,
        _chain(urls, step_timeout_s=0.2, failure_policy="skip") as skip,
    ):
        failed = await fail.post("/predict", json={"rows": ROWS})
        skipped = await skip.post("/predict", json={"rows": ROWS})

    assert failed.status_code == 504
    assert failed.json()["error"] == "step-3 failed: no answer within 0.2 s"
    assert failed.json()["reason"] == "timeout"
    assert skipped.json()["steps"][2] == {
        "name": "step-3",
        "status": "skipped",
        "rows": 1,
        "reason": "step-3 failed: no answer within 0.2 s",
    }


async def test_with_step_2_skipped_step_3_answers_every_row(steps: dict[str, RunningService]):
    urls = _urls(steps, **{"step-2": nowhere()})
    async with _chain(urls, step_policies="step-2=skip") as client:
        response = await client.post("/predict", json={"rows": ROWS})

    assert response.status_code == 200
    body = response.json()
    assert [s["status"] for s in body["steps"]] == ["ok", "skipped", "ok"]
    assert [p["decided_by"] for p in body["predictions"]] == ["step-3"] * 3


async def test_no_step_left_to_predict_is_502_not_a_guess(steps: dict[str, RunningService]):
    urls = _urls(steps, **{"step-2": nowhere(), "step-3": nowhere()})
    async with _chain(urls, failure_policy="skip") as client:
        response = await client.post("/predict", json={"rows": [SETOSA, UNSURE]})

    assert response.status_code == 502
    body = response.json()
    assert body["error"] == "no step predicted rows [0, 1]: the steps that would have were skipped"
    assert body["failure"] == "service_failed"
    assert [s["status"] for s in body["steps"]] == ["ok", "skipped", "skipped"]


async def test_a_refusal_is_the_model_answering_even_under_skip(steps: dict[str, RunningService]):
    async with _chain(_urls(steps), failure_policy="skip") as client:
        response = await client.post("/predict", json={"rows": [[5.1, 3.5, 1.4]]})
        await wait_ready(client)

    assert response.status_code == 422
    assert response.json() == {
        "error": "step-1 refused the input (422): rows[0] has 3 values but the model expects 4",
        "backend": "step-1",
        "failure": "model_answered",
        "steps": [],
    }


async def test_ready_only_while_every_step_is(steps: dict[str, RunningService]):
    async with _chain(_urls(steps, **{"step-2": nowhere()})) as client:
        response = await client.get("/v2/health/ready")

    assert response.status_code == 503
    checks = response.json()["checks"]
    assert (checks["step-1"], checks["step-3"]) == ("ready", "ready")
    assert checks["step-2"].startswith("not ready: step-2 failed")


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"step_policies": "step-9=skip"}, r"steps \['step-9'\] are not in steps"),
        ({"conditional_steps": "step-9"}, r"steps \['step-9'\] are not in steps"),
        ({"step_policies": "step-1=retry"}, "step-1=retry is not fail or skip"),
        ({"steps": "step-1"}, "is not name=value"),
    ],
)
def test_invalid_settings_are_refused(settings: dict[str, str], message: str):
    chosen = {"steps": "step-1=http://a:8000,step-2=http://b:8000", **settings}

    with pytest.raises(ValidationError, match=message):
        SerialProxySettings(**chosen)  # type: ignore[arg-type]


def test_policies_default_per_step():
    settings = SerialProxySettings(
        steps="step-1=http://a:8000,step-2=http://b:8000", step_policies="step-2=skip"
    )

    assert (settings.policy("step-1"), settings.policy("step-2")) == ("fail", "skip")
