"""Which records one run predicts: a time window or everything pending, sharded, limited.

Records are paged in (created_at, id) order with keyset pagination: each page is a short
indexed query that starts after the last record of the previous one, so no cursor or
snapshot stays open for the whole run and memory does not grow with the range.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, select, true, tuple_

from app.batch.schema import prediction_failures, predictions
from app.store.schema import records

PageQuery = Select[*tuple[Any, ...]]
"""A query for a page of records: (id, created_at, *features)."""

Position = tuple[datetime, int]
"""(created_at, id) of the last record read: the next page starts after it."""


@dataclass(frozen=True)
class Selection:
    """One run's range. Without a window every record is in range ("pending" mode)."""

    since: datetime | None = None
    until: datetime | None = None
    limit: int | None = None
    shard_index: int = 0
    shard_count: int = 1

    def __post_init__(self) -> None:
        if self.since and self.until and self.since >= self.until:
            raise ValueError(f"--since {self.since} is not before --until {self.until}")
        if self.limit is not None and self.limit < 1:
            raise ValueError(f"--limit must be at least 1, got {self.limit}")
        if not 0 <= self.shard_index < self.shard_count:
            raise ValueError(f"shard index {self.shard_index} is outside 0..{self.shard_count - 1}")

    def describe(self) -> str:
        """A short human-readable range, stored in the runs table."""
        window = "pending"
        if self.since or self.until:
            start = self.since.isoformat() if self.since else "-inf"
            end = self.until.isoformat() if self.until else "+inf"
            window = f"[{start}, {end})"
        limit = f" limit {self.limit}" if self.limit is not None else ""
        return f"{window}{limit}"

    @property
    def shard(self) -> str:
        """`index/count`, e.g. 0/1 for an unsharded run."""
        return f"{self.shard_index}/{self.shard_count}"

    def in_range(self) -> ColumnElement[bool]:
        """Records inside the window and this shard, predicted or not."""
        conditions: list[ColumnElement[bool]] = [true()]
        if self.since is not None:
            conditions.append(records.c.created_at >= self.since)
        if self.until is not None:
            conditions.append(records.c.created_at < self.until)
        if self.shard_count > 1:
            conditions.append(records.c.id % self.shard_count == self.shard_index)
        return and_(*conditions)


def predicted(model_version: str) -> ColumnElement[bool]:
    """The record already has a result for this model version."""
    probe = select(predictions.c.record_id).where(
        predictions.c.record_id == records.c.id, predictions.c.model_version == model_version
    )
    # OFFSET 0 keeps PostgreSQL from turning this into an anti-join planned on the results
    # table's statistics, which are stale while a run fills it (a scan of every result per
    # record); as a subplan it is one primary-key lookup per record, however many exist.
    return probe.offset(0).exists()


def count_pending(selection: Selection, model_version: str) -> Select[int]:
    """How many records in range still need a prediction."""
    return (
        select(func.count())
        .select_from(records)
        .where(selection.in_range(), ~predicted(model_version))
    )


def count_done(selection: Selection, model_version: str) -> Select[int]:
    """How many records in range already have one (a rerun skips them)."""
    return (
        select(func.count())
        .select_from(records)
        .where(selection.in_range(), predicted(model_version))
    )


def pending_page(
    selection: Selection, model_version: str, after: Position | None, size: int, features: list[str]
) -> PageQuery:
    """The next `size` records in range without a prediction, after `after`."""
    query = select(records.c.id, records.c.created_at, *(records.c[name] for name in features))
    query = query.where(selection.in_range(), ~predicted(model_version))
    if after is not None:
        query = query.where(tuple_(records.c.created_at, records.c.id) > tuple_(*after))
    return query.order_by(records.c.created_at, records.c.id).limit(size)


def failed_page(
    run_id: int, model_version: str, after: int | None, size: int, features: list[str]
) -> PageQuery:
    """The next `size` records this run failed on, by id, after id `after`."""
    query = select(records.c.id, records.c.created_at, *(records.c[name] for name in features))
    query = query.join(
        prediction_failures,
        and_(
            prediction_failures.c.record_id == records.c.id,
            prediction_failures.c.model_version == model_version,
            prediction_failures.c.run_id == run_id,
        ),
    )
    if after is not None:
        query = query.where(records.c.id > after)
    return query.order_by(records.c.id).limit(size)
