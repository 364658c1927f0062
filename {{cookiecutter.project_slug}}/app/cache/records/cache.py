"""CachedRecords: feature rows by id, read through Redis from the records table.

One key per record (not per request): requests naming overlapping ids share entries, and
one record's invalidation touches one key. Ids the table does not hold are not cached, so
a record added to the table is found at once.
"""

import asyncio
import hashlib
import json
import logging
import time
from collections.abc import Sequence
from contextlib import suppress

from prometheus_client import CollectorRegistry, Counter, Histogram
from sqlalchemy.exc import SQLAlchemyError

from app.cache.client import CacheClient, CacheUnavailableError
from app.cache.records.store import RecordTable, Row, parse_record_id
from app.model.errors import InvalidInputError, ModelError, ModelNotReadyError
from app.model.validation import check_batch_size
from app.store.schema import FEATURE_COLUMNS

KEY_FORMAT = "v1"
"""Bumped when the stored value's shape changes, so old entries are never read."""
_STORE_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)

logger = logging.getLogger(__name__)


class RecordNotFoundError(ModelError):
    """A request named ids the data store does not hold (404, naming them)."""


class RecordStoreUnavailableError(ModelNotReadyError):
    """The data store failed to answer (503)."""


class RecordCacheMetrics:
    """Record lookups by outcome, data store read time and invalidations."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.lookups = Counter(
            "predictor_record_cache_lookups",
            "Records looked up, by outcome: hit, miss (read from the data store), or error "
            "(Redis failed; read from the data store).",
            ["outcome"],
            registry=registry,
        )
        for outcome in ("hit", "miss", "error"):
            self.lookups.labels(outcome)
        self.store_read_duration = Histogram(
            "predictor_record_store_read_duration_seconds",
            "Time of one data store read (every record a request missed, in one query).",
            buckets=_STORE_BUCKETS,
            registry=registry,
        )
        self.invalidations = Counter(
            "predictor_record_cache_invalidations",
            "Records removed from the cache on request.",
            registry=registry,
        )


class CachedRecords:
    """A read-through cache over a RecordTable; the predictor's RecordSource."""

    def __init__(
        self,
        table: RecordTable,
        client: CacheClient,
        ttl_s: float,
        metrics: RecordCacheMetrics,
        max_batch_size: int,
    ) -> None:
        self.table = table
        self.client = client
        self.ttl_s = ttl_s
        self.metrics = metrics
        self.max_batch_size = max_batch_size
        self.reachable: bool | None = None  # not checked yet
        # Services on different databases may share a Redis: their keys must not meet.
        where = table.engine.url.render_as_string(hide_password=True)
        self._namespace = hashlib.blake2b(where.encode(), digest_size=4).hexdigest()

    @property
    def ready(self) -> bool:
        """True while the data store answers (see `watch_store`)."""
        return self.reachable is True

    async def rows(self, ids: Sequence[str]) -> list[list[float]]:
        """The feature rows of `ids`, in order; RecordNotFoundError names every unknown id."""
        check_batch_size(len(ids), self.max_batch_size)
        numbers = {record_id: parse_record_id(record_id) for record_id in ids}
        wanted = sorted({number for number in numbers.values() if number is not None})
        found = await self._cached(wanted)
        missing = [number for number in wanted if number not in found]
        if missing:
            fetched = await self._read_store(missing)
            found.update(fetched)
            await self._store(fetched)
        rows = {
            record_id: found[number]
            for record_id, number in numbers.items()
            if number is not None and number in found
        }
        unknown = [record_id for record_id in numbers if record_id not in rows]
        if unknown:
            shown = ", ".join(repr(record_id) for record_id in unknown[:10])
            raise RecordNotFoundError(f"no record with id {shown}")
        return [_features(record_id, rows[record_id]) for record_id in ids]

    async def invalidate(self, record_id: str) -> None:
        """Drop `record_id`'s cached row: the next request reads the data store.

        Raises CacheUnavailableError when Redis fails: the entry may still be served.
        """
        number = parse_record_id(record_id)
        if number is None:
            raise RecordNotFoundError(f"no record with id {record_id!r}")
        await self.client.delete(self._key(number))
        self.metrics.invalidations.inc()

    async def watch_store(self, interval_s: float) -> None:
        """Check the data store every `interval_s` and keep `ready` true while it answers."""
        while True:
            try:
                await asyncio.to_thread(self.table.check)
            except SQLAlchemyError as error:
                self._set_reachable(False, str(error).splitlines()[0])
            else:
                self._set_reachable(True, "")
            await asyncio.sleep(interval_s)

    async def _cached(self, numbers: list[int]) -> dict[int, Row]:
        if not numbers:
            return {}
        try:
            values = await self.client.get_many([self._key(number) for number in numbers])
        except CacheUnavailableError:
            self.metrics.lookups.labels("error").inc(len(numbers))
            return {}
        found = {n: json.loads(value) for n, value in zip(numbers, values, strict=True) if value}
        self.metrics.lookups.labels("hit").inc(len(found))
        self.metrics.lookups.labels("miss").inc(len(numbers) - len(found))
        return found

    async def _read_store(self, numbers: list[int]) -> dict[int, Row]:
        started = time.perf_counter()
        try:
            return await asyncio.to_thread(self.table.read, numbers)
        except SQLAlchemyError as error:
            self._set_reachable(False, str(error).splitlines()[0])
            raise RecordStoreUnavailableError("the record store did not answer") from error
        finally:
            self.metrics.store_read_duration.observe(time.perf_counter() - started)

    async def _store(self, rows: dict[int, Row]) -> None:
        if not rows:
            return
        values = {self._key(number): json.dumps(row).encode() for number, row in rows.items()}
        # A failed store is counted and logged by the client; the rows are good all the same.
        with suppress(CacheUnavailableError):
            await self.client.put_many(values, self.ttl_s)

    def _key(self, number: int) -> str:
        return f"record:{KEY_FORMAT}:{self._namespace}:{number}"

    def _set_reachable(self, reachable: bool, problem: str) -> None:
        if reachable != self.reachable:
            if reachable:
                logger.info("the record store answers; ready")
            else:
                logger.error("the record store does not answer, not ready: %s", problem)
        self.reachable = reachable


def _features(record_id: str, row: Row) -> list[float]:
    missing = [name for name, value in zip(FEATURE_COLUMNS, row, strict=True) if value is None]
    if missing:
        raise InvalidInputError(f"record {record_id!r} has no value for {', '.join(missing)}")
    return [float(value) for value in row if value is not None]
