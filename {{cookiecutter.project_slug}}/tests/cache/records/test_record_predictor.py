"""The record predictor as deployed: ids read from a real database through a real Redis."""

import os
import subprocess
import sys

import httpx
from sqlalchemy import func, select, update

from app.store.database import open_engine
from app.store.schema import FEATURE_COLUMNS, records
from tests.cache.harness import metric
from tests.cache.records.conftest import INCOMPLETE, SAMPLES
from tests.processes import RunningService
from tests.support import PROJECT_ROOT, VIRGINICA

LOOKUPS = "predictor_record_cache_lookups_total"
STORE_READS = "predictor_record_store_read_duration_seconds_count"


def by_id(service: RunningService, ids: list[str]) -> httpx.Response:
    return httpx.post(f"{service.base_url}/predict/by-id", json={"ids": ids})


def labels(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [prediction["label"] for prediction in response.json()["predictions"]]


def test_records_are_answered_by_id_in_order(service: RunningService):
    response = by_id(service, ["2", "1", "2"])

    assert labels(response) == ["virginica", "setosa", "virginica"]


def test_unknown_ids_get_404_naming_each(service: RunningService):
    response = by_id(service, ["1", "999", "abc", "-1"])

    assert response.status_code == 404
    assert response.json() == {"error": "no record with id '999', 'abc', '-1'"}


def test_a_record_without_a_feature_value_is_refused_by_name(service: RunningService):
    response = by_id(service, [str(INCOMPLETE)])

    assert response.status_code == 422
    assert response.json() == {"error": f"record '{INCOMPLETE}' has no value for petal_width"}


def test_an_empty_request_is_refused(service: RunningService):
    response = by_id(service, [])

    assert response.status_code == 422
    assert "the batch is empty" in response.json()["error"]


def test_a_miss_reads_the_store_once_then_hits_do_not(service: RunningService):
    def counts() -> tuple[float, float, float]:
        url = service.base_url
        hit, miss = (metric(url, LOOKUPS, outcome=o) for o in ("hit", "miss"))
        return hit, miss, metric(url, STORE_READS)

    before = counts()
    labels(by_id(service, ["4", "5"]))
    after_miss = counts()
    labels(by_id(service, ["5", "4"]))
    after_hit = counts()

    assert [a - b for a, b in zip(after_miss, before, strict=True)] == [0, 2, 1]
    assert [a - b for a, b in zip(after_hit, after_miss, strict=True)] == [2, 0, 0]


def test_a_changed_row_is_served_from_the_cache_until_invalidated(
    service: RunningService, database_url: str
):
    assert labels(by_id(service, ["6"])) == ["setosa"]
    engine = open_engine(database_url)
    with engine.begin() as connection:
        values = dict(zip(FEATURE_COLUMNS, VIRGINICA, strict=True))
        connection.execute(update(records).where(records.c.id == 6).values(**values))
    engine.dispose()

    cached = labels(by_id(service, ["6"]))
    invalidated = httpx.delete(f"{service.base_url}/records/6/cache")
    fresh = labels(by_id(service, ["6"]))

    assert cached == ["setosa"]
    assert invalidated.status_code == 204
    assert fresh == ["virginica"]
    assert metric(service.base_url, "predictor_record_cache_invalidations_total") == 1


def test_invalidating_an_id_that_cannot_exist_is_404(service: RunningService):
    response = httpx.delete(f"{service.base_url}/records/abc/cache")

    assert response.status_code == 404
    assert response.json() == {"error": "no record with id 'abc'"}


def test_the_plain_predictor_routes_are_served_too(service: RunningService):
    response = httpx.post(f"{service.base_url}/predict", json={"rows": [VIRGINICA]})

    assert labels(response) == ["virginica"]
    assert httpx.get(f"{service.base_url}/v2/health/live").json() == {"live": True}


def test_seeding_fills_the_table_up_to_the_count_once(database_url: str):
    env = {**os.environ, "PREDICTOR_DATABASE_URL": database_url}
    target = len(SAMPLES) + 1 + 5
    command = [sys.executable, "-m", "app.cache.records.seed", "--count", str(target)]
    for _ in range(2):
        done = subprocess.run(command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr

    engine = open_engine(database_url)
    with engine.connect() as connection:
        held = connection.execute(select(func.count()).select_from(records)).scalar_one()
    engine.dispose()
    assert held == target
