"""The tables the batch job reads and writes (SQLAlchemy Core, SQLite and PostgreSQL alike).

`records` holds the input: one row per item to predict, the iris features as columns.
`predictions` holds one result per (record, model version): its primary key makes every
write idempotent. `prediction_failures` lists records whose last attempt failed;
`batch_runs` records every run's range, policy, counts and outcome.
"""

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
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

predictions = Table(
    "predictions",
    metadata,
    Column("record_id", RecordId, ForeignKey("records.id", ondelete="CASCADE"), primary_key=True),
    Column("model_version", String(64), primary_key=True),
    Column("label", String(64), nullable=False),
    Column("label_index", Integer, nullable=False),
    Column("score", Float, nullable=False),
    Column("probabilities", JSON, nullable=False),
    Column("run_id", Integer, nullable=False),
    Column("predicted_at", UtcDateTime, nullable=False),
)

prediction_failures = Table(
    "prediction_failures",
    metadata,
    Column("record_id", RecordId, ForeignKey("records.id", ondelete="CASCADE"), primary_key=True),
    Column("model_version", String(64), primary_key=True),
    Column("run_id", Integer, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("error", Text, nullable=False),
    Column("failed_at", UtcDateTime, nullable=False),
    Index("ix_prediction_failures_run_id", "run_id"),
)

batch_runs = Table(
    "batch_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("started_at", UtcDateTime, nullable=False),
    Column("finished_at", UtcDateTime, nullable=True),
    Column("status", String(16), nullable=False),
    Column("policy", String(16), nullable=False),
    Column("model_version", String(64), nullable=False),
    Column("range", String(200), nullable=False),
    Column("since", UtcDateTime, nullable=True),
    Column("until", UtcDateTime, nullable=True),
    Column("record_limit", Integer, nullable=True),
    Column("shard", String(16), nullable=False),
    Column("selected", Integer, nullable=False, default=0),
    Column("ok", Integer, nullable=False, default=0),
    Column("failed", Integer, nullable=False, default=0),
    Column("skipped", Integer, nullable=False, default=0),
    Column("attempts", Integer, nullable=False, default=0),
    Column("error", Text, nullable=True),
)
