"""Open the data store named by a URL: SQLite by default, PostgreSQL through psycopg 3."""

import logging
import sqlite3
import time

from sqlalchemy import Engine, MetaData, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError

logger = logging.getLogger(__name__)

SCHEMA_LOCK = 0x6B617461
"""Advisory lock key held while creating the tables on PostgreSQL."""


class DatabaseError(Exception):
    """The database URL is invalid or the database cannot be reached."""


def database_url(url: str, password: str | None = None, setting: str = "the database URL") -> URL:
    """Parse `url`, use psycopg 3 for PostgreSQL, and add `password` when given.

    `setting` names where the URL came from (BATCH_DATABASE_URL...) in error messages.
    """
    try:
        parsed = make_url(url)
    except ArgumentError as error:
        raise DatabaseError(f"{setting} {url!r} is not a database URL") from error
    if parsed.drivername in {"postgresql", "postgres"}:
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in {"sqlite", "postgresql"}:
        raise DatabaseError(
            f"{setting} uses {parsed.get_backend_name()!r}; use sqlite:// or postgresql://"
        )
    return parsed.set(password=password) if password is not None else parsed


def open_engine(url: str, password: str | None = None, setting: str = "the database URL") -> Engine:
    """An engine for `url`; SQLite connections wait for locks instead of failing at once."""
    parsed = database_url(url, password, setting)
    # Bulk writes go through the driver's executemany (psycopg pipelines it, sqlite3 loops
    # in C) rather than SQLAlchemy's multi-row VALUES statements, which psycopg would have
    # to re-parse for every chunk.
    engine = create_engine(parsed, pool_pre_ping=True, use_insertmanyvalues=False)
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _configure_sqlite)
    return engine


def _configure_sqlite(connection: sqlite3.Connection, _record: object) -> None:
    # Several processes (shards, a seeding command) may share one file: wait for locks,
    # and let readers go on while a run writes (write-ahead log).
    cursor = connection.cursor()
    cursor.execute("PRAGMA busy_timeout = 30000")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


def wait_for_database(engine: Engine, timeout_s: float) -> None:
    """Retry connecting until the database answers (a container starting beside us)."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            return
        except OperationalError as error:
            if time.monotonic() >= deadline:
                where = engine.url.render_as_string(hide_password=True)
                raise DatabaseError(f"cannot connect to {where}: {error.orig}") from error
            logger.info("waiting for the database to accept connections")
            time.sleep(1.0)


def ensure_schema(engine: Engine, metadata: MetaData) -> None:
    """Create the tables of `metadata` that do not exist yet; existing ones are left as they are.

    The pods of an Indexed Job start together: on PostgreSQL they take turns under an
    advisory lock; on SQLite a process that lost a race for a table looks again, and each
    lost race means one more table exists, so a few rounds (more than the objects another
    process could win) always settle it.
    """
    tables = metadata.tables.values()
    rounds = 2 * (len(tables) + sum(len(table.indexes) for table in tables))
    for _ in range(rounds - 1):
        try:
            _create_tables(engine, metadata)
        except DBAPIError:
            continue
        return
    _create_tables(engine, metadata)


def _create_tables(engine: Engine, metadata: MetaData) -> None:
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK})
        metadata.create_all(connection, checkfirst=True)
