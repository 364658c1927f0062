"""RecordTable: feature rows by id from the `records` table (blocking; run it in a thread)."""

import re
from collections.abc import Sequence

from sqlalchemy import Engine, select

from app.store.schema import FEATURE_COLUMNS, records

_RECORD_ID = re.compile(r"[0-9]{1,18}")
"""Ids the table can hold: decimal, within a 64-bit integer (anything else is unknown)."""

Row = list[float | None]
"""A record's feature values in FEATURE_COLUMNS order; None where the column is NULL."""


class RecordTable:
    """Reads `records` through one engine (SQLite or PostgreSQL)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._columns = [records.c[name] for name in FEATURE_COLUMNS]

    def read(self, ids: Sequence[int]) -> dict[int, Row]:
        """The rows of those `ids` the table holds, by id (one query)."""
        query = select(records.c.id, *self._columns).where(records.c.id.in_(ids))
        with self.engine.connect() as connection:
            return {row[0]: list(row[1:]) for row in connection.execute(query)}

    def check(self) -> None:
        """Raise unless the database answers and holds the table."""
        with self.engine.connect() as connection:
            connection.execute(select(records.c.id).limit(1)).all()


def parse_record_id(record_id: str) -> int | None:
    """The table id `record_id` names, or None when it cannot name one."""
    return int(record_id) if _RECORD_ID.fullmatch(record_id) else None
