"""Databases for the batch tests: SQLite always, PostgreSQL when DATABASE_URL is set.

The PostgreSQL database is a throwaway one per session (tests/databases.py). Each test
starts from empty tables.
"""

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, text

from app.batch.schema import metadata
from app.model.runner import ModelRunner
from app.store.database import ensure_schema, open_engine
from tests.databases import postgres_server, throwaway_database


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh, uniquely named PostgreSQL database for this test session."""
    with throwaway_database(postgres_server(), "batch_test") as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty database with the job's tables, on each backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'batch.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    engine = open_engine(url)
    ensure_schema(engine, metadata)
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":  # ids start at 1 again, as in a new file
            names = ", ".join(table.name for table in metadata.sorted_tables)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(metadata.sorted_tables):
                connection.execute(delete(table))
    engine.dispose()
    return url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = open_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def runner(model_path: Path) -> ModelRunner:
    runner = ModelRunner(max_batch_size=100_000)
    runner.load(str(model_path))
    return runner
