"""Throwaway PostgreSQL databases for the tests of every role that keeps records in one.

With DATABASE_URL (e.g. postgresql://postgres@127.0.0.1:5432/postgres), a test session
creates a database of its own with a unique name on that server and drops it at the end,
so runs in parallel never see each other's rows. Without it the PostgreSQL variants skip
(the SQLite variants run the same tests); Kata's own test tier always sets it.
"""

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app.store.database import database_url

POSTGRES_VARIABLE = "DATABASE_URL"


def postgres_server() -> str:
    """DATABASE_URL, or skip the calling test when it is not set."""
    server = os.environ.get(POSTGRES_VARIABLE)
    if not server:
        pytest.skip(
            f"{POSTGRES_VARIABLE} is not set: the PostgreSQL variant needs a server "
            "(the SQLite variant runs the same tests)"
        )
    return server


@contextmanager
def throwaway_database(server: str, prefix: str) -> Iterator[str]:
    """A new database named `prefix` + a unique suffix on `server`; dropped on exit."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(database_url(server), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
