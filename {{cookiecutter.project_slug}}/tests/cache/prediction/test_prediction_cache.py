"""The cached predictor as deployed: a uvicorn process answering through a real Redis."""

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.cache.harness import fresh_database, keys, metric
from tests.processes import RunningService, running, start_service
from tests.redis_server import RedisServer, redis_server
from tests.support import PRIMARY_MODEL_FILE, SETOSA, VIRGINICA, wait_until

CACHED_PREDICTOR = "app.cache.prediction.app:create_app"
LOOKUPS = "predictor_prediction_cache_lookups_total"
VERSICOLOR = [5.9, 2.8, 4.3, 1.3]
FEATURES = ("sepal_length", "sepal_width", "petal_length", "petal_width")


def start_cached(
    name: str, model_path: Path, cache_url: str, log_dir: Path, **settings: str
) -> RunningService:
    env = {"PREDICTOR_MODEL_URI": str(model_path), "PREDICTOR_CACHE_URL": cache_url}
    env.update({f"PREDICTOR_{key.upper()}": value for key, value in settings.items()})
    return start_service(name, CACHED_PREDICTOR, env, log_dir)


@pytest.fixture(scope="module")
def cache_url(redis: RedisServer) -> str:
    return fresh_database(redis)


@pytest.fixture(scope="module")
def service(
    model_path: Path, cache_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningService]:
    started = start_cached("cached", model_path, cache_url, tmp_path_factory.mktemp("logs"))
    with running(started):
        yield started


def predict(service: RunningService, rows: list[object], **headers: str) -> httpx.Response:
    response = httpx.post(f"{service.base_url}/predict", json={"rows": rows}, headers=headers)
    assert response.status_code == 200, response.text
    return response


def test_a_repeated_input_is_answered_from_the_cache(service: RunningService):
    first = predict(service, [SETOSA, VIRGINICA])
    second = predict(service, [SETOSA, VIRGINICA])

    assert first.headers["X-Cache"] == "miss"
    assert second.headers["X-Cache"] == "hit"
    assert second.json() == first.json()
    assert [p["label"] for p in second.json()["predictions"]] == ["setosa", "virginica"]


def test_arrays_and_named_features_share_an_entry(service: RunningService):
    as_array = predict(service, [[6.1, 2.9, 4.7, 1.4]])
    by_name = predict(service, [dict(zip(FEATURES, [6.1, 2.9, 4.7, 1.4], strict=True))])
    whole_numbers = predict(service, [[6, 3, 4, 1]])
    as_floats = predict(service, [[6.0, 3.0, 4.0, 1.0]])

    assert as_array.headers["X-Cache"] == "miss"
    assert by_name.headers["X-Cache"] == "hit"
    assert (whole_numbers.headers["X-Cache"], as_floats.headers["X-Cache"]) == ("miss", "hit")


def test_no_cache_bypasses_the_read_and_stores_the_fresh_answer(service: RunningService):
    predict(service, [VERSICOLOR])
    bypassed = predict(service, [VERSICOLOR], **{"Cache-Control": "max-age=0, No-Cache"})
    after = predict(service, [VERSICOLOR])

    assert bypassed.headers["X-Cache"] == "bypass"
    assert after.headers["X-Cache"] == "hit"
    assert after.json() == bypassed.json()


def test_by_id_answers_go_through_the_cache_too(
    model_dir: Path, redis: RedisServer, tmp_path: Path
):
    url, records = fresh_database(redis), str(model_dir / "records.json")
    model = model_dir / PRIMARY_MODEL_FILE
    started = start_cached("by-id", model, url, tmp_path, records_uri=records)
    with running(started):
        by_id = httpx.post(f"{started.base_url}/predict/by-id", json={"ids": ["0"]})
        again = httpx.post(f"{started.base_url}/predict/by-id", json={"ids": ["0"]})

    assert (by_id.headers["X-Cache"], again.headers["X-Cache"]) == ("miss", "hit")


def test_outcomes_are_counted_in_metrics(service: RunningService):
    before = {o: metric(service.base_url, LOOKUPS, outcome=o) for o in ("hit", "miss", "bypass")}
    rows = [[4.4, 2.9, 1.4, 0.2]]
    predict(service, rows)
    predict(service, rows)
    predict(service, rows, **{"Cache-Control": "no-cache"})

    after = {o: metric(service.base_url, LOOKUPS, outcome=o) for o in ("hit", "miss", "bypass")}
    assert {o: after[o] - before[o] for o in after} == {"hit": 1, "miss": 1, "bypass": 1}
    assert metric(service.base_url, LOOKUPS, outcome="error") == 0


def test_a_bad_input_is_refused_before_the_cache(service: RunningService):
    response = httpx.post(f"{service.base_url}/predict", json={"rows": [[1, 2, "x", 4]]})

    assert response.status_code == 422
    assert "rows[0][2] must be a number" in response.json()["error"]
    assert "X-Cache" not in response.headers


def test_an_entry_expires_after_its_ttl(model_path: Path, redis: RedisServer, tmp_path: Path):
    url = fresh_database(redis)
    started = start_cached("ttl", model_path, url, tmp_path, cache_ttl_s="0.5")
    with running(started):
        first = predict(started, [SETOSA])
        (key,) = keys(redis, url, "prediction:*")
        ttl_ms = redis.client(int(url.rsplit("/", 1)[1])).pttl(key)
        wait_until(lambda: not list(keys(redis, url, "prediction:*")), 10.0, what="expiry")
        after_expiry = predict(started, [SETOSA])

    assert first.headers["X-Cache"] == "miss"
    assert 0 < ttl_ms <= 500
    assert after_expiry.headers["X-Cache"] == "miss"


def test_a_new_model_version_never_reads_the_old_answers(
    model_dir: Path, redis: RedisServer, tmp_path: Path
):
    url = fresh_database(redis)
    retrained = tmp_path / "retrained"
    shutil.copytree(model_dir, retrained, ignore=shutil.ignore_patterns("iris-*"))
    metadata = json.loads((retrained / "metadata.json").read_text())
    metadata["version"] = "retrained-2"
    (retrained / "metadata.json").write_text(json.dumps(metadata))

    old = start_cached("old", model_dir / PRIMARY_MODEL_FILE, url, tmp_path)
    with running(old):
        predict(old, [SETOSA])
        old_answer = predict(old, [SETOSA])
    new = start_cached("new", retrained / PRIMARY_MODEL_FILE, url, tmp_path)
    with running(new):
        new_answer = predict(new, [SETOSA])
        new_again = predict(new, [SETOSA])

    assert old_answer.headers["X-Cache"] == "hit"
    assert new_answer.headers["X-Cache"] == "miss"
    assert new_answer.json()["model_version"] == "retrained-2"
    assert new_again.headers["X-Cache"] == "hit"


def test_a_dead_redis_costs_the_cache_not_the_answer(
    model_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.delenv("REDIS_URL", raising=False)  # a private server, to kill
    with redis_server(tmp_path) as private:
        started = start_cached("doomed", model_path, private.url(), tmp_path)
        with running(started):
            assert predict(started, [SETOSA]).headers["X-Cache"] == "miss"
            private.kill()
            answers = [predict(started, [SETOSA]) for _ in range(3)]
            errors = metric(started.base_url, "predictor_cache_errors_total", operation="get")
            lookups = metric(started.base_url, LOOKUPS, outcome="error")
            ready = httpx.get(f"{started.base_url}/v2/health/ready").status_code
            logged = [line for line in started.log_lines() if line["level"] == "WARNING"]

    assert [a.json()["predictions"][0]["label"] for a in answers] == ["setosa"] * 3
    assert {a.headers["X-Cache"] for a in answers} == {"error"}
    assert errors >= 1
    assert lookups == 3
    assert ready == 200
    assert any("cache get failed" in line["message"] for line in logged)
