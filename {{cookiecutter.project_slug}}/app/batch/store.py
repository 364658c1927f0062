"""Writes of the batch job: results (idempotent), failures, and the runs table.

Every write is an `INSERT ... ON CONFLICT` keyed by (record id, model version): writing the
same result twice, from a rerun or from a shard that overlapped, changes nothing.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Insert, Table, delete, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from app.batch.schema import batch_runs, prediction_failures, predictions
from app.batch.selection import Selection


@dataclass(frozen=True)
class Failure:
    """A record that could not be predicted, and why."""

    record_id: int
    error: str


@dataclass(frozen=True)
class RunCounts:
    """What a run did with its range."""

    selected: int = 0
    ok: int = 0
    failed: int = 0
    skipped: int = 0
    attempts: int = 0


def now() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)


def _upsert(connection: Connection, table: Table) -> Insert:
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement: Insert = dialect.insert(table)
    return statement


def write_predictions(connection: Connection, rows: Sequence[dict[str, Any]]) -> int:
    """Insert results whose (record, version) has none yet; returns how many were new."""
    if not rows:
        return 0
    statement = _upsert(connection, predictions).on_conflict_do_nothing(  # type: ignore[attr-defined]
        index_elements=[predictions.c.record_id, predictions.c.model_version]
    )
    # The driver's own executemany (see open_engine), whose rowcount adds up the rows
    # each parameter set inserted: a conflict, already predicted, inserts none.
    statement = statement.execution_options(preserve_rowcount=True)
    return int(connection.execute(statement, list(rows)).rowcount)


def record_failures(
    connection: Connection, run_id: int, model_version: str, failures: Sequence[Failure]
) -> None:
    """Add or update each record's failure row: attempts count up, the last error wins."""
    if not failures:
        return
    at = now()
    rows = [
        {
            "record_id": failure.record_id,
            "model_version": model_version,
            "run_id": run_id,
            "attempts": 1,
            "error": failure.error[:2000],
            "failed_at": at,
        }
        for failure in failures
    ]
    statement = _upsert(connection, prediction_failures)
    excluded = statement.excluded  # type: ignore[attr-defined]
    statement = statement.on_conflict_do_update(  # type: ignore[attr-defined]
        index_elements=[prediction_failures.c.record_id, prediction_failures.c.model_version],
        set_={
            "run_id": excluded.run_id,
            "attempts": prediction_failures.c.attempts + 1,
            "error": excluded.error,
            "failed_at": excluded.failed_at,
        },
    )
    connection.execute(statement, rows)


def clear_failures(connection: Connection, model_version: str, record_ids: Sequence[int]) -> None:
    """Forget the failures of records that have now been predicted."""
    if record_ids:
        connection.execute(
            delete(prediction_failures).where(
                prediction_failures.c.model_version == model_version,
                prediction_failures.c.record_id.in_(record_ids),
            )
        )


def has_failures(connection: Connection, model_version: str) -> bool:
    """Whether any record has a recorded failure for this model version."""
    query = select(prediction_failures.c.record_id).where(
        prediction_failures.c.model_version == model_version
    )
    return connection.execute(query.limit(1)).first() is not None


def start_run(connection: Connection, selection: Selection, policy: str, model_version: str) -> int:
    """Record a run as `running`; returns its id."""
    values = {
        "started_at": now(),
        "status": "running",
        "policy": policy,
        "model_version": model_version,
        "range": selection.describe(),
        "since": selection.since,
        "until": selection.until,
        "record_limit": selection.limit,
        "shard": selection.shard,
    }
    result = connection.execute(insert(batch_runs).returning(batch_runs.c.id), values)
    return int(result.scalar_one())


def finish_run(
    connection: Connection, run_id: int, status: str, counts: RunCounts, error: str | None
) -> None:
    """Record a run's outcome and counts."""
    connection.execute(
        update(batch_runs)
        .where(batch_runs.c.id == run_id)
        .values(
            finished_at=now(),
            status=status,
            selected=counts.selected,
            ok=counts.ok,
            failed=counts.failed,
            skipped=counts.skipped,
            attempts=counts.attempts,
            error=error[:2000] if error else None,
        )
    )


def recent_runs(connection: Connection, count: int) -> list[dict[str, Any]]:
    """The newest `count` runs, newest first."""
    query = select(batch_runs).order_by(batch_runs.c.id.desc()).limit(count)
    return [dict(row._mapping) for row in connection.execute(query)]
