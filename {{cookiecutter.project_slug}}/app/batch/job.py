"""One batch run: select the range, predict it chunk by chunk, apply the retry policy,
and record the outcome in the runs table."""

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from sqlalchemy import Connection, Engine, func, select

from app.batch import store
from app.batch.policy import RetryPolicy, backoff_s
from app.batch.predict import ChunkPredictor, Record
from app.batch.progress import Progress
from app.batch.schema import prediction_failures, predictions
from app.batch.selection import (
    Position,
    Selection,
    count_done,
    count_pending,
    failed_page,
    pending_page,
)
from app.batch.store import RunCounts
from app.store.schema import FEATURE_COLUMNS

logger = logging.getLogger(__name__)

EXIT_CODES = {"succeeded": 0, "failed": 1, "incomplete": 3}
"""Process exit status per run status: 3 means failed records were left for a later run."""


@dataclass(frozen=True)
class RunOptions:
    """How a run reads, retries and reports; from BatchSettings."""

    policy: RetryPolicy = RetryPolicy.PARTIAL
    chunk_size: int = 1000
    max_attempts: int = 3
    retry_backoff_s: float = 1.0
    progress_interval_s: float = 5.0


@dataclass(frozen=True)
class RunResult:
    """A finished run as recorded in the runs table."""

    run_id: int
    status: str
    counts: RunCounts
    error: str | None
    seconds: float

    @property
    def exit_code(self) -> int:
        """0 succeeded, 1 failed (nothing or not all committed), 3 failures left recorded."""
        return EXIT_CODES[self.status]


class RangeFailedError(Exception):
    """A record failed under the `all` policy: the range's transaction must roll back."""

    def __init__(self, counts: RunCounts, error: str) -> None:
        super().__init__(error)
        self.counts = counts


class BatchJob:
    """Runs ranges of records through one loaded model into one database."""

    def __init__(
        self,
        engine: Engine,
        predictor: ChunkPredictor,
        options: RunOptions,
        after_chunk: Callable[[int], None] = lambda _chunks: None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._engine = engine
        self._predictor = predictor
        self._options = options
        self._after_chunk = after_chunk
        self._sleep = sleep
        self._chunks_written = 0
        self._features = list(FEATURE_COLUMNS)

    def run(self, selection: Selection) -> RunResult:
        """Predict `selection` under the configured policy; never raises for bad records."""
        version = self._predictor.model_version
        policy = self._options.policy
        with self._engine.connect() as connection:
            run_id = store.start_run(connection, selection, policy.value, version)
            connection.commit()
            total, done = self._count(connection, selection)
            progress = Progress(total, self._options.progress_interval_s)
            logger.info(
                "run %d: %d records to predict in %s (shard %s, %d already predicted), "
                "policy %s, model %s",
                run_id, total, selection.describe(), selection.shard, done, policy, version,
            )  # fmt: skip
            status, counts, error = self._run_policy(connection, run_id, selection, progress)
            counts = replace(counts, selected=total, skipped=counts.skipped + done)
            store.finish_run(connection, run_id, status, counts, error)
            connection.commit()
        return RunResult(run_id, status, counts, error, progress.elapsed_s)

    def _count(self, connection: Connection, selection: Selection) -> tuple[int, int]:
        version = self._predictor.model_version
        pending = int(connection.execute(count_pending(selection, version)).scalar_one())
        done = int(connection.execute(count_done(selection, version)).scalar_one())
        if selection.limit is not None:
            pending = min(pending, selection.limit)
        return pending, done

    def _run_policy(
        self, connection: Connection, run_id: int, selection: Selection, progress: Progress
    ) -> tuple[str, RunCounts, str | None]:
        try:
            if self._options.policy is RetryPolicy.ALL:
                return self._run_all(connection, run_id, selection, progress)
            return self._run_by_record(connection, run_id, selection, progress)
        except Exception as error:  # a database or model fault: record it, then report
            connection.rollback()
            logger.exception("run %d failed", run_id)
            ok = self._written_by(connection, run_id)
            return "failed", RunCounts(ok=ok), f"{type(error).__name__}: {error}"

    def _run_all(
        self, connection: Connection, run_id: int, selection: Selection, progress: Progress
    ) -> tuple[str, RunCounts, str | None]:
        # One transaction per attempt: the range is committed whole or not at all.
        failure = RangeFailedError(RunCounts(), "")
        for attempt in range(1, self._options.max_attempts + 1):
            if attempt > 1:
                self._back_off(run_id, attempt)
            try:
                counts = self._pass(connection, run_id, selection, attempt, progress)
            except RangeFailedError as error:
                connection.rollback()
                failure = error
                logger.warning("run %d attempt %d rolled back: %s", run_id, attempt, error)
                continue
            connection.commit()
            return "succeeded", replace(counts, attempts=attempt), None
        counts = replace(failure.counts, ok=0, attempts=self._options.max_attempts)
        return "failed", counts, str(failure)

    def _run_by_record(
        self, connection: Connection, run_id: int, selection: Selection, progress: Progress
    ) -> tuple[str, RunCounts, str | None]:
        counts = self._pass(connection, run_id, selection, 1, progress)
        attempts = 1
        version = self._predictor.model_version
        if self._options.policy is RetryPolicy.PARTIAL:
            while attempts < self._options.max_attempts and self._failing(connection, run_id):
                attempts += 1
                self._back_off(run_id, attempts)
                recovered = self._retry_failed(connection, run_id, version, attempts)
                counts = replace(counts, ok=counts.ok + recovered)
        failed = self._failing(connection, run_id)
        counts = replace(counts, failed=failed, attempts=attempts)
        if failed:
            error = f"{failed} records failed; see prediction_failures where run_id = {run_id}"
            return "incomplete", counts, error
        return "succeeded", counts, None

    def _pass(
        self,
        connection: Connection,
        run_id: int,
        selection: Selection,
        attempt: int,
        progress: Progress,
    ) -> RunCounts:
        """Read the range page by page; predict and write each page."""
        version, size = self._predictor.model_version, self._options.chunk_size
        remaining: int | None = selection.limit
        after: Position | None = None
        counts = RunCounts()
        clear = store.has_failures(connection, version)
        while remaining is None or remaining > 0:
            page = min(size, remaining) if remaining is not None else size
            query = pending_page(selection, version, after, page, self._features)
            records = connection.execute(query).all()
            if not records:
                break
            after = (records[-1][1], int(records[-1][0]))
            counts = self._write_chunk(connection, run_id, records, attempt, counts, clear)
            progress.advance(len(records))
            remaining = None if remaining is None else remaining - len(records)
        return counts

    def _write_chunk(
        self,
        connection: Connection,
        run_id: int,
        records: Sequence[Record],
        attempt: int,
        counts: RunCounts,
        clear_failures: bool,
    ) -> RunCounts:
        version = self._predictor.model_version
        outcome = self._predictor.predict(records, attempt, run_id, store.now())
        if outcome.failures and self._options.policy is RetryPolicy.ALL:
            failed = replace(counts, failed=counts.failed + len(outcome.failures))
            raise RangeFailedError(failed, outcome.failures[0].error)
        written = store.write_predictions(connection, outcome.results)
        if clear_failures:
            store.clear_failures(connection, version, [r["record_id"] for r in outcome.results])
        store.record_failures(connection, run_id, version, outcome.failures)
        if self._options.policy is not RetryPolicy.ALL:
            connection.commit()
        self._chunks_written += 1
        self._after_chunk(self._chunks_written)
        return RunCounts(
            ok=counts.ok + written,
            failed=counts.failed + len(outcome.failures),
            skipped=counts.skipped + len(outcome.results) - written,
        )

    def _retry_failed(self, connection: Connection, run_id: int, version: str, attempt: int) -> int:
        """Predict again the records this run failed on; returns how many now succeeded."""
        recovered, after = 0, None
        while True:
            query = failed_page(run_id, version, after, self._options.chunk_size, self._features)
            records = connection.execute(query).all()
            if not records:
                return recovered
            after = int(records[-1][0])
            outcome = self._predictor.predict(records, attempt, run_id, store.now())
            recovered += store.write_predictions(connection, outcome.results)
            store.clear_failures(connection, version, [r["record_id"] for r in outcome.results])
            store.record_failures(connection, run_id, version, outcome.failures)
            connection.commit()

    def _written_by(self, connection: Connection, run_id: int) -> int:
        # Only after an unexpected error: what the chunks committed before it hold.
        query = select(func.count()).where(predictions.c.run_id == run_id)
        return int(connection.execute(query).scalar_one())

    def _failing(self, connection: Connection, run_id: int) -> int:
        query = select(func.count()).where(prediction_failures.c.run_id == run_id)
        return int(connection.execute(query).scalar_one())

    def _back_off(self, run_id: int, attempt: int) -> None:
        wait = backoff_s(attempt, self._options.retry_backoff_s)
        logger.info("run %d: attempt %d in %.1f s", run_id, attempt, wait)
        self._sleep(wait)
