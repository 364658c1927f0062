"""The proxy core against real predictor processes: every outcome typed as the model's
answer, its refusal, or a failure of the service; keep-alive; request ids; settings."""

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.logs import request_id_var
from app.proxy.backends import Backend, PoolSettings
from app.proxy.endpoints import Endpoint, parse_endpoints, parse_pairs
from app.proxy.outcomes import Answered, Failed, Refused
from tests.processes import RunningService, running
from tests.proxy.topology import logged_request_ids, nowhere, start_predictor
from tests.support import PRIMARY_MODEL_FILE, SETOSA, wait_until

pytestmark = [pytest.mark.anyio, pytest.mark.e2e]


class Recorder:
    """Collects what a backend reports, as the proxy metrics do."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []
        self.connections = 0

    def observe_call(self, backend: str, outcome: str, seconds: float) -> None:
        self.calls.append((backend, outcome))

    def connection_opened(self, backend: str) -> None:
        self.connections += 1


@pytest.fixture(scope="module")
def predictors(model_dir: Path, log_dir: Path) -> Iterator[dict[str, RunningService]]:
    """A healthy predictor, a slow one, and one that never loads its model."""
    model = model_dir / PRIMARY_MODEL_FILE
    healthy = start_predictor("healthy", model, log_dir)
    slow = start_predictor("slow", model, log_dir, test_delay_s=0.5)
    broken = start_predictor("broken", model_dir / "missing.onnx", log_dir)
    with running(healthy, slow), running(broken, ready=False):
        yield {"healthy": healthy, "slow": slow, "broken": broken}


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


async def _backend(url: str, recorder: Recorder) -> Backend:
    backend = Backend(Endpoint("model", url), PoolSettings(), recorder)
    await backend.open()
    return backend


async def test_an_answer_is_answered(predictors: dict[str, RunningService], recorder: Recorder):
    backend = await _backend(predictors["healthy"].base_url, recorder)
    outcome = await backend.post("/predict", 2.0, json={"rows": [SETOSA]})
    await backend.close()

    assert isinstance(outcome, Answered)
    assert outcome.body["predictions"][0]["label"] == "setosa"
    assert recorder.calls == [("model", "answered")]


async def test_a_4xx_is_the_model_refusing_the_input(
    predictors: dict[str, RunningService], recorder: Recorder
):
    backend = await _backend(predictors["healthy"].base_url, recorder)
    outcome = await backend.post("/predict", 2.0, json={"rows": [[1.0, 2.0]]})
    await backend.close()

    assert isinstance(outcome, Refused)
    assert (outcome.status, outcome.error) == (422, "rows[0] has 2 values but the model expects 4")
    assert outcome.describe() == (
        "model refused the input (422): rows[0] has 2 values but the model expects 4"
    )


async def test_nothing_listening_is_the_service_failing(recorder: Recorder):
    backend = await _backend(nowhere(), recorder)
    outcome = await backend.post("/predict", 2.0, json={"rows": [SETOSA]})
    await backend.close()

    assert isinstance(outcome, Failed)
    assert outcome.reason == "unreachable"
    assert recorder.calls == [("model", "unreachable")]


async def test_a_5xx_is_the_service_failing(
    predictors: dict[str, RunningService], recorder: Recorder
):
    backend = await _backend(predictors["broken"].base_url, recorder)
    outcome = await backend.post("/predict", 2.0, json={"rows": [SETOSA]})
    await backend.close()

    assert isinstance(outcome, Failed)
    assert outcome.reason == "error_status"
    assert outcome.detail == "answered 503: the model is not loaded yet"


async def test_a_slow_answer_times_out_on_time(
    predictors: dict[str, RunningService], recorder: Recorder
):
    backend = await _backend(predictors["slow"].base_url, recorder)
    started = time.perf_counter()
    outcome = await backend.post("/predict", 0.1, json={"rows": [SETOSA]})
    elapsed = time.perf_counter() - started
    await backend.close()

    assert isinstance(outcome, Failed)
    assert (outcome.reason, outcome.detail) == ("timeout", "no answer within 0.1 s")
    assert 0.1 <= elapsed < 0.4


async def test_keep_alive_reuses_one_connection(
    predictors: dict[str, RunningService], recorder: Recorder
):
    backend = await _backend(predictors["healthy"].base_url, recorder)
    for _ in range(20):
        await backend.post("/predict", 2.0, json={"rows": [SETOSA]})
    await backend.close()

    assert len(recorder.calls) == 20
    assert recorder.connections == 1


async def test_the_request_id_travels_to_the_backend(
    predictors: dict[str, RunningService], recorder: Recorder
):
    backend = await _backend(predictors["healthy"].base_url, recorder)
    token = request_id_var.set("core-hop-1")
    try:
        await backend.post("/predict", 2.0, json={"rows": [SETOSA]})
    finally:
        request_id_var.reset(token)
        await backend.close()

    healthy = predictors["healthy"]
    wait_until(lambda: "core-hop-1" in logged_request_ids(healthy), what="the backend's log")


async def test_non_finite_numbers_reach_the_backend_as_sent(
    predictors: dict[str, RunningService], recorder: Recorder
):
    backend = await _backend(predictors["healthy"].base_url, recorder)
    outcome = await backend.post("/predict", 2.0, json={"rows": [[float("nan"), 1, 2, 3]]})
    await backend.close()

    assert isinstance(outcome, Refused)
    assert "rows[0][0] is not a finite number" in outcome.error


def test_endpoints_are_name_url_pairs_in_order():
    endpoints = parse_endpoints(" b=http://b:8000/ , a=https://a.example ")

    assert endpoints == [Endpoint("b", "http://b:8000"), Endpoint("a", "https://a.example")]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "no endpoints"),
        ("a", "is not name=value"),
        ("a=ftp://x", "is not an http:// or https:// URL"),
        ("A=http://x", "is not a name"),
        ("a=http://x,a=http://y", "appears twice"),
    ],
)
def test_bad_endpoint_lists_are_refused_with_the_reason(value: str, message: str):
    with pytest.raises(ValueError, match=message):
        parse_endpoints(value)


def test_pairs_keep_their_order():
    assert parse_pairs("step-3=skip,step-1=fail") == [("step-3", "skip"), ("step-1", "fail")]
