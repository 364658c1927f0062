"""A records table on SQLite and on PostgreSQL (DATABASE_URL), and the record predictor on it."""

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import delete, insert, text

from app.store.database import ensure_schema, open_engine
from app.store.schema import FEATURE_COLUMNS, metadata, records
from tests.cache.harness import fresh_database
from tests.databases import postgres_server, throwaway_database
from tests.processes import RunningService, running, start_service
from tests.redis_server import RedisServer
from tests.support import SETOSA, VIRGINICA

RECORD_PREDICTOR = "app.cache.records.app:create_app"
VERSICOLOR = [5.9, 2.8, 4.3, 1.3]
SAMPLES = {1: SETOSA, 2: VIRGINICA, 3: VERSICOLOR, 4: SETOSA, 5: VIRGINICA, 6: SETOSA}
"""Records every module starts with, by id."""
INCOMPLETE = 7
"""A record whose petal_width is NULL."""


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    with throwaway_database(postgres_server(), "cache_test") as url:
        yield url


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A records table holding SAMPLES and INCOMPLETE, nothing else."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('store') / 'records.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    engine = open_engine(url)
    ensure_schema(engine, metadata)
    now = datetime.now(UTC)
    rows = [
        {"id": i, "created_at": now, **dict(zip(FEATURE_COLUMNS, values, strict=True))}
        for i, values in SAMPLES.items()
    ]
    incomplete = dict(zip(FEATURE_COLUMNS, [*SETOSA[:3], None], strict=True))
    rows.append({"id": INCOMPLETE, "created_at": now, **incomplete})
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("TRUNCATE records RESTART IDENTITY CASCADE"))
        else:
            connection.execute(delete(records))
        connection.execute(insert(records), rows)
        if engine.dialect.name == "postgresql":  # explicit ids leave the sequence behind
            connection.execute(
                text("SELECT setval('records_id_seq', (SELECT max(id) FROM records))")
            )
    engine.dispose()
    return url


def start_record_predictor(
    name: str, model_path: Path, database_url: str, cache_url: str, log_dir: Path
) -> RunningService:
    env = {
        "PREDICTOR_MODEL_URI": str(model_path),
        "PREDICTOR_DATABASE_URL": database_url,
        "PREDICTOR_CACHE_URL": cache_url,
    }
    return start_service(name, RECORD_PREDICTOR, env, log_dir)


@pytest.fixture(scope="module")
def cache_url(redis: RedisServer, database_url: str) -> str:
    return fresh_database(redis)


@pytest.fixture(scope="module")
def service(
    model_path: Path, database_url: str, cache_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningService]:
    log_dir = tmp_path_factory.mktemp("logs")
    started = start_record_predictor("records", model_path, database_url, cache_url, log_dir)
    with running(started):
        yield started
