"""Databases for the batch tests: SQLite always, PostgreSQL when DATABASE_URL is set.

With DATABASE_URL (e.g. postgresql://postgres@127.0.0.1:5432/postgres), the session creates
a database of its own with a unique name on that server and drops it at the end, so runs
in parallel never see each other's rows. Each test starts from empty tables.
"""

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, delete, text
from sqlalchemy.engine import make_url

from app.batch.database import database_url, ensure_schema, open_engine
from app.batch.schema import metadata
from app.model.runner import ModelRunner

POSTGRES_VARIABLE = "DATABASE_URL"


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh, uniquely named PostgreSQL database for this test session."""
    server = os.environ.get(POSTGRES_VARIABLE)
    if not server:
        pytest.skip(
            f"{POSTGRES_VARIABLE} is not set: the PostgreSQL variant needs a server "
            "(the SQLite variant runs the same tests)"
        )
    name = f"batch_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(database_url(server), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty database with the job's tables, on each backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'batch.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    engine = open_engine(url)
    ensure_schema(engine)
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
