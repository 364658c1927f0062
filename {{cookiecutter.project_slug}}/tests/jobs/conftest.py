"""Fixtures: one private Redis for the module's tests, a fresh database for each test."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.jobs.harness import JobStack, job_stack
from tests.redis_server import RedisServer, redis_server


@pytest.fixture(scope="session")
def redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    with redis_server(tmp_path_factory.mktemp("redis")) as server:
        yield server


@pytest.fixture
def db(redis: RedisServer) -> int:
    """A flushed database for this test alone."""
    return redis.fresh_database()


@pytest.fixture
def stack(redis: RedisServer, db: int, tmp_path: Path, model_path: Path) -> Iterator[JobStack]:
    with job_stack(redis, db, tmp_path / "logs", model_path) as started:
        yield started
