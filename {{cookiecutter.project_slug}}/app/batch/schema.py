"""The batch job's own tables, beside the shared `records` (app/store/schema.py).

`predictions` holds one result per (record, model version): its primary key makes every
write idempotent. `prediction_failures` lists records whose last attempt failed;
`batch_runs` records every run's range, policy, counts and outcome.
"""

from sqlalchemy import JSON, Column, Float, ForeignKey, Index, Integer, String, Table, Text

from app.store.schema import RecordId, UtcDateTime, metadata

__all__ = ["batch_runs", "metadata", "prediction_failures", "predictions"]
"""`metadata` is the shared one, holding `records` and, once this module is imported, these."""

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
