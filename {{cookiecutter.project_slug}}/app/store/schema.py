"""The `records` table: one row per item to predict, the iris features as columns.

SQLAlchemy Core, SQLite and PostgreSQL alike. Roles that keep more tables beside it (the
batch job's predictions and runs) add them to the same `metadata`, so their foreign keys
can point at `records`.
"""

from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Dialect,
    Float,
    Index,
    Integer,
    MetaData,
    Table,
    TypeDecorator,
)

FEATURE_COLUMNS = ("sepal_length", "sepal_width", "petal_length", "petal_width")
"""Input columns of `records`, named as the model's features (metadata.json)."""

# SQLite only auto-numbers a primary key declared exactly INTEGER.
RecordId = BigInteger().with_variant(Integer(), "sqlite")


class UtcDateTime(TypeDecorator[datetime]):
    """Timestamps stored in UTC and read back timezone-aware, on every database.

    SQLite has no time zone type: naive UTC values are stored and UTC is attached on read.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Refuse naive values (their zone is a guess); store UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"timestamp {value.isoformat()} has no time zone")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Attach UTC where the database returned a naive value."""
        if value is None or value.tzinfo is not None:
            return value
        return value.replace(tzinfo=UTC)


metadata = MetaData()

records = Table(
    "records",
    metadata,
    Column("id", RecordId, primary_key=True, autoincrement=True),
    Column("created_at", UtcDateTime, nullable=False),
    *(Column(name, Float, nullable=True) for name in FEATURE_COLUMNS),
    # Runs select a time window and page through it in this order.
    Index("ix_records_created_at_id", "created_at", "id"),
)
