"""The parallel pattern: client -> proxy -> three predictors at once, every service a real
process end to end; then both timeout strategies against a slow predictor, a killed one,
every aggregation and both ways of fetching data, each with the exact answer."""

import time
from collections.abc import Iterator
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from app.proxy.parallel.app import create_app
from app.proxy.parallel.settings import ParallelProxySettings
from tests.processes import RunningService, running, start_service
from tests.proxy.topology import (
    PARALLEL,
    in_process,
    logged_request_ids,
    metric,
    named,
    nowhere,
    start_predictor,
    wait_ready,
)
from tests.support import SETOSA, wait_until

pytestmark = [pytest.mark.anyio, pytest.mark.e2e]

SPLIT = [6.0, 2.7, 5.1, 1.6]  # the models disagree on it: versicolor wins 2 to 1
MODELS = {
    "model-a": "model.onnx",
    "model-b": "iris-tree/model.onnx",
    "model-c": "iris-bayes/model.onnx",
}


@pytest.fixture(scope="module")
def backends(model_dir: Path, log_dir: Path) -> Iterator[dict[str, RunningService]]:
    """The three predictors with the record store, and a slow copy of model-c (0.5 s)."""
    records = str(model_dir / "records.json")
    started = [
        start_predictor(name, model_dir / model, log_dir, records_uri=records)
        for name, model in MODELS.items()
    ]
    slow = model_dir / MODELS["model-c"]
    started.append(start_predictor("model-c-slow", slow, log_dir, test_delay_s=0.5))
    with running(*started):
        yield {service.name: service for service in started}


@pytest.fixture(scope="module")
def proxy(
    backends: dict[str, RunningService], model_dir: Path, log_dir: Path
) -> Iterator[RunningService]:
    env = {
        "PARALLEL_PROXY_BACKENDS": named(*(backends[name] for name in MODELS)),
        "PARALLEL_PROXY_RECORDS_URI": str(model_dir / "records.json"),
    }
    with running(start_service("proxy", PARALLEL, env, log_dir)) as (served,):
        yield served


def _fan_out(
    urls: dict[str, str], model_dir: Path, **settings: Any
) -> AbstractAsyncContextManager[httpx.AsyncClient]:
    """The parallel proxy in-process over the predictors at `urls` (name -> url)."""
    chosen = ParallelProxySettings(
        backends=",".join(f"{name}={url}" for name, url in urls.items()),
        records_uri=str(model_dir / "records.json"),
        **settings,
    )
    return in_process(create_app(chosen))


def _urls(backends: dict[str, RunningService], **replaced: str) -> dict[str, str]:
    return {name: replaced.get(name, backends[name].base_url) for name in MODELS}


def _direct(backends: dict[str, RunningService], rows: list[Any]) -> dict[str, list[Any]]:
    return {
        name: httpx.post(f"{backends[name].base_url}/predict", json={"rows": rows}).json()[
            "predictions"
        ]
        for name in MODELS
    }


def test_end_to_end_every_branch_and_the_vote(
    proxy: RunningService, backends: dict[str, RunningService]
):
    direct = _direct(backends, [SETOSA, SPLIT])

    response = httpx.post(f"{proxy.base_url}/predict", json={"rows": [SETOSA, SPLIT]})

    assert response.status_code == 200
    body = response.json()
    assert body["predictions"] == [
        {"label": "setosa", "label_index": 0, "votes": 3, "of": 3},
        {"label": "versicolor", "label_index": 1, "votes": 2, "of": 3},
    ]
    assert body["answered_by"] == ["model-a", "model-b", "model-c"]
    assert {b["name"]: b["predictions"] for b in body["branches"]} == direct
    assert all(b["status"] == "ok" and b["latency_ms"] > 0 for b in body["branches"])


def test_end_to_end_one_request_id_reaches_every_branch(
    proxy: RunningService, backends: dict[str, RunningService]
):
    headers = {"X-Request-ID": "fan-5"}
    httpx.post(f"{proxy.base_url}/predict", json={"ids": ["3"]}, headers=headers)

    for service in (proxy, *(backends[name] for name in MODELS)):
        wait_until(lambda s=service: "fan-5" in logged_request_ids(s), what=f"{service.name} log")


def test_end_to_end_metrics_count_branches(proxy: RunningService):
    httpx.post(f"{proxy.base_url}/predict", json={"rows": [SETOSA]})

    text = httpx.get(f"{proxy.base_url}/metrics").text

    assert metric(text, 'parallel_proxy_branches_total{backend="model-b",status="ok"}') >= 1
    assert metric(text, "parallel_proxy_backend_connections_opened_total") == 3


async def test_mean_averages_probabilities_and_all_combines_nothing(
    backends: dict[str, RunningService], model_dir: Path
):
    direct = _direct(backends, [SPLIT])
    urls = _urls(backends)
    async with (
        _fan_out(urls, model_dir, aggregation="mean") as mean,
        _fan_out(urls, model_dir, aggregation="all") as every,
    ):
        averaged = (await mean.post("/predict", json={"rows": [SPLIT]})).json()
        listed = (await every.post("/predict", json={"rows": [SPLIT]})).json()

    expected = {
        label: sum(direct[name][0]["probabilities"][label] for name in MODELS) / 3
        for label in ("setosa", "versicolor", "virginica")
    }
    (combined,) = averaged["predictions"]
    assert combined["probabilities"] == pytest.approx(expected)
    assert combined["label"] == max(expected, key=lambda label: expected[label])
    assert "predictions" not in listed
    assert [b["predictions"] for b in listed["branches"]] == [direct[name] for name in MODELS]


async def test_deadline_reports_the_late_branch_and_votes_without_it(
    backends: dict[str, RunningService], model_dir: Path
):
    urls = _urls(backends, **{"model-c": backends["model-c-slow"].base_url})
    async with _fan_out(urls, model_dir, deadline_s=0.2) as client:
        await wait_ready(client)
        started = time.perf_counter()
        response = await client.post("/predict", json={"rows": [SETOSA]})
        elapsed = time.perf_counter() - started

    assert response.status_code == 200
    body = response.json()
    late = body["branches"][2]
    assert (late["name"], late["status"]) == ("model-c", "timeout")
    assert late["error"] == "model-c failed: no answer within the fan-out's 0.2 s deadline"
    assert body["answered_by"] == ["model-a", "model-b"]
    assert body["predictions"] == [{"label": "setosa", "label_index": 0, "votes": 2, "of": 2}]
    assert elapsed < 0.45


async def test_per_backend_gives_each_call_its_own_timeout(
    backends: dict[str, RunningService], model_dir: Path
):
    urls = _urls(backends, **{"model-c": backends["model-c-slow"].base_url})
    settings = {"timeout_strategy": "per_backend", "backend_timeout_s": 0.2, "deadline_s": 5.0}
    async with _fan_out(urls, model_dir, **settings) as client:
        await wait_ready(client)
        started = time.perf_counter()
        response = await client.post("/predict", json={"rows": [SETOSA]})
        elapsed = time.perf_counter() - started

    late = response.json()["branches"][2]
    assert (late["status"], late["error"]) == ("timeout", "model-c failed: no answer within 0.2 s")
    assert elapsed < 0.45


async def test_a_killed_branch_is_reported_and_the_others_answer(
    backends: dict[str, RunningService], model_dir: Path, log_dir: Path
):
    victim = start_predictor("victim", model_dir / MODELS["model-b"], log_dir)
    with running(victim):
        async with _fan_out(_urls(backends, **{"model-b": victim.base_url}), model_dir) as client:
            assert (
                len((await client.post("/predict", json={"rows": [SETOSA]})).json()["answered_by"])
                == 3
            )
            victim.kill()
            response = await client.post("/predict", json={"rows": [SETOSA]})

    body = response.json()
    failed = body["branches"][1]
    assert (failed["name"], failed["status"]) == ("model-b", "failed")
    assert failed["error"].startswith(f"model-b failed: cannot reach {victim.base_url}")
    assert body["answered_by"] == ["model-a", "model-c"]


async def test_no_branch_answering_is_502_with_every_reason(model_dir: Path):
    urls = {name: nowhere() for name in MODELS}
    async with _fan_out(urls, model_dir) as client:
        response = await client.post("/predict", json={"rows": [SETOSA]})

    assert response.status_code == 502
    body = response.json()
    assert body["failure"] == "service_failed"
    assert body["error"].startswith("no backend answered: model-a failed: cannot reach")
    assert [b["status"] for b in body["branches"]] == ["failed", "failed", "failed"]


async def test_every_branch_refusing_is_their_4xx(
    backends: dict[str, RunningService], model_dir: Path
):
    async with _fan_out(_urls(backends), model_dir) as client:
        response = await client.post("/predict", json={"rows": [[5.1, 3.5, 1.4]]})

    assert response.status_code == 422
    body = response.json()
    assert body["failure"] == "model_answered"
    assert body["error"] == (
        "model-a refused the input (422): rows[0] has 3 values but the model expects 4"
    )
    assert [b["status"] for b in body["branches"]] == ["refused"] * 3


@pytest.mark.parametrize("fetching", ["at_proxy", "at_backend"])
async def test_ids_answer_like_the_rows_they_name(
    backends: dict[str, RunningService], model_dir: Path, fetching: str
):
    rows = [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.0, 1.7]]  # records 0 and 77
    async with _fan_out(_urls(backends), model_dir, data_fetching=fetching) as client:
        await wait_ready(client)
        by_id = (await client.post("/predict", json={"ids": ["0", "77"]})).json()
        by_value = (await client.post("/predict", json={"rows": rows})).json()
        unknown = await client.post("/predict", json={"ids": ["0", "999"]})

    assert by_id["predictions"] == by_value["predictions"]
    assert [b["predictions"] for b in by_id["branches"]] == [
        b["predictions"] for b in by_value["branches"]
    ]
    assert unknown.status_code == 422
    assert "no record with id '999'" in unknown.json()["error"]


async def test_at_backend_each_predictor_fetches(
    backends: dict[str, RunningService], model_dir: Path
):
    async with _fan_out(_urls(backends), model_dir, data_fetching="at_backend") as client:
        unknown = (await client.post("/predict", json={"ids": ["999"]})).json()

    # Each predictor looked the id up itself and refused it: the model side answered.
    assert unknown["failure"] == "model_answered"
    assert [b["status"] for b in unknown["branches"]] == ["refused"] * 3


async def test_rows_or_ids_but_not_both(backends: dict[str, RunningService], model_dir: Path):
    async with _fan_out(_urls(backends), model_dir) as client:
        both = await client.post("/predict", json={"rows": [SETOSA], "ids": ["0"]})
        neither = await client.post("/predict", json={})

    assert (both.status_code, neither.status_code) == (422, 422)
    assert "send either rows or ids" in both.json()["error"]


async def test_ready_only_while_every_backend_and_the_record_store_are(
    backends: dict[str, RunningService], model_dir: Path
):
    async with _fan_out(_urls(backends, **{"model-b": nowhere()}), model_dir) as client:
        response = await client.get("/v2/health/ready")

    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["model-b"].startswith("not ready: model-b failed")
    assert checks["model-a"] == "ready"


@pytest.mark.parametrize(
    ("field", "value"),
    [("timeout_strategy", "forever"), ("aggregation", "median"), ("data_fetching", "nowhere")],
)
def test_invalid_settings_are_refused(field: str, value: str):
    with pytest.raises(ValidationError, match=field):
        ParallelProxySettings(backends="a=http://a:8000", **{field: value})  # type: ignore[arg-type]
