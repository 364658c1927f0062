"""Readiness follows the data store; Redis failing costs the cache, never the answer."""

from pathlib import Path

import httpx

from tests.cache.harness import fresh_database, metric
from tests.cache.records.conftest import start_record_predictor
from tests.processes import running
from tests.redis_server import RedisServer
from tests.support import free_port, wait_until


def test_a_store_without_the_records_table_keeps_the_service_unready(
    model_path: Path, redis: RedisServer, tmp_path: Path
):
    empty = f"sqlite:///{tmp_path / 'empty.db'}"  # SQLite creates it, without tables
    started = start_record_predictor("no-table", model_path, empty, fresh_database(redis), tmp_path)
    with running(started, ready=False):
        wait_until(
            lambda: any(
                "record store does not answer" in line["message"] for line in started.log_lines()
            ),
            20.0,
            what="the store check to fail",
        )
        ready = httpx.get(f"{started.base_url}/v2/health/ready").status_code

    assert ready == 503


def test_an_unreachable_redis_still_answers_from_the_store(
    model_path: Path, database_url: str, tmp_path: Path
):
    nowhere = f"redis://127.0.0.1:{free_port()}/0"
    started = start_record_predictor("no-redis", model_path, database_url, nowhere, tmp_path)
    with running(started):
        response = httpx.post(f"{started.base_url}/predict/by-id", json={"ids": ["1"]})
        errors = metric(started.base_url, "predictor_cache_errors_total", operation="get")
        lookups = metric(started.base_url, "predictor_record_cache_lookups_total", outcome="error")
        invalidation = httpx.delete(f"{started.base_url}/records/1/cache")

    assert response.status_code == 200
    assert response.json()["predictions"][0]["label"] == "setosa"
    assert errors == 1
    assert lookups == 1
    assert invalidation.status_code == 503
    assert "the cache is unavailable" in invalidation.json()["error"]
