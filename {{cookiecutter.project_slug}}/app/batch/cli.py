"""`python -m app.batch`: run one range, seed sample records, show the runs table.

    python -m app.batch run --pending --limit 10000      # everything not yet predicted
    python -m app.batch run --since 2025-06-01 --until 2025-06-02
    python -m app.batch seed --count 1000                # add sample records
    python -m app.batch runs                             # the newest runs

Exit status of `run`: 0 the range succeeded, 1 the run failed (under `all`, nothing of it
was committed), 3 some records failed and are recorded in prediction_failures for a
later run, 2 invalid arguments or settings.
"""

import argparse
import logging
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from pydantic import ValidationError
from sqlalchemy import Engine

from app.batch.faults import Faults
from app.batch.job import BatchJob, RunOptions, RunResult
from app.batch.policy import RetryPolicy
from app.batch.predict import ChunkPredictor
from app.batch.schema import metadata
from app.batch.selection import Selection
from app.batch.settings import BatchSettings
from app.batch.store import recent_runs
from app.logs import configure_logging
from app.model.errors import ModelLoadError
from app.model.runner import ModelRunner
from app.store.database import DatabaseError, ensure_schema, open_engine, wait_for_database
from app.store.seed import seed_records

logger = logging.getLogger("app.batch")

USAGE_ERROR = 2
FAILED = 1
RUN_COLUMNS = ("id", "status", "policy", "range", "shard", "selected", "ok", "failed", "skipped")


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line, run the command, return the process exit status."""
    arguments = _parser().parse_args(argv)
    try:
        settings = BatchSettings()
    except ValidationError as error:
        print(f"invalid settings: {error}", file=sys.stderr)
        return USAGE_ERROR
    configure_logging(settings.log_level)
    for variable in BatchSettings.unknown_variables():
        logger.warning("ignoring %s: no setting has that name (a typo?)", variable)
    try:
        code: int = arguments.command(arguments, settings)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return USAGE_ERROR
    except (DatabaseError, ModelLoadError) as error:
        logger.error("%s", error)
        return FAILED
    return code


def run_command(arguments: argparse.Namespace, settings: BatchSettings) -> int:
    """Predict one range and report it."""
    selection = _selection(arguments, settings)
    faults = Faults.from_environ()
    options = RunOptions(
        policy=arguments.policy or settings.retry_policy,
        chunk_size=arguments.chunk_size or settings.chunk_size,
        max_attempts=settings.max_attempts,
        retry_backoff_s=settings.retry_backoff_s,
        progress_interval_s=settings.progress_interval_s,
    )
    runner = ModelRunner(
        max_batch_size=options.chunk_size, inference_threads=settings.inference_threads
    )
    runner.load(
        settings.model_uri,
        expected_sha256=settings.model_sha256,
        timeout_s=settings.model_download_timeout_s,
    )
    engine = _engine(settings)
    job = BatchJob(engine, ChunkPredictor(runner, faults), options, after_chunk=faults.after_chunk)
    result = job.run(selection)
    _summarise(result, options.policy, selection)
    return result.exit_code


def seed_command(arguments: argparse.Namespace, settings: BatchSettings) -> int:
    """Add sample records spread over the last `--days` days."""
    engine = _engine(settings)
    end = datetime.now(UTC)
    start = end - timedelta(days=arguments.days)
    added = seed_records(engine, arguments.count, start, end, seed=arguments.seed)
    logger.info("added %d sample records between %s and %s", added, start, end)
    return 0


def runs_command(arguments: argparse.Namespace, settings: BatchSettings) -> int:
    """Print the newest runs as a table."""
    engine = _engine(settings)
    with engine.connect() as connection:
        rows = recent_runs(connection, arguments.last)
    table = [RUN_COLUMNS] + [tuple(str(row[column]) for column in RUN_COLUMNS) for row in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(RUN_COLUMNS))]
    for line in table:
        print("  ".join(value.ljust(width) for value, width in zip(line, widths, strict=True)))
    return 0


def init_db_command(_arguments: argparse.Namespace, settings: BatchSettings) -> int:
    """Create the tables (every other command does too)."""
    _engine(settings)
    logger.info("tables ready")
    return 0


def _engine(settings: BatchSettings) -> Engine:
    password = settings.database_password
    secret = password.get_secret_value() if password else None
    engine = open_engine(settings.database_url, secret, "BATCH_DATABASE_URL")
    wait_for_database(engine, settings.database_wait_s)
    ensure_schema(engine, metadata)
    return engine


def _selection(arguments: argparse.Namespace, settings: BatchSettings) -> Selection:
    windowed = arguments.since is not None or arguments.until is not None
    if arguments.pending and windowed:
        raise ValueError("--pending selects every record not yet predicted: drop --since/--until")
    shard_index = settings.shard_index if arguments.shard_index is None else arguments.shard_index
    shard_count = settings.shard_count if arguments.shard_count is None else arguments.shard_count
    return Selection(
        since=arguments.since,
        until=arguments.until,
        limit=arguments.limit,
        shard_index=shard_index,
        shard_count=shard_count,
    )


def _summarise(result: RunResult, policy: RetryPolicy, selection: Selection) -> None:
    counts = result.counts
    rate = counts.ok / result.seconds if result.seconds > 0 else 0.0
    logger.log(
        logging.INFO if result.status == "succeeded" else logging.ERROR,
        "run %d %s: %d selected, %d ok, %d failed, %d skipped in %.1f s (%.0f records/s); "
        "policy %s, %d attempt(s), range %s, shard %s%s",
        result.run_id, result.status, counts.selected, counts.ok, counts.failed, counts.skipped,
        result.seconds, rate, policy, counts.attempts, selection.describe(), selection.shard,
        f"; {result.error}" if result.error else "",
        extra={
            "run_id": result.run_id,
            "status": result.status,
            "selected": counts.selected,
            "ok": counts.ok,
            "failed": counts.failed,
            "skipped": counts.skipped,
            "seconds": round(result.seconds, 3),
            "exit_code": result.exit_code,
        },
    )  # fmt: skip


def timestamp(value: str) -> datetime:
    """An ISO 8601 date or time; without a zone it is taken as UTC."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not an ISO 8601 time such as 2025-06-01 or 2025-06-01T12:00:00Z"
        ) from error
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {number}")
    return number


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m app.batch", description=__doc__.splitlines()[0] if __doc__ else None
    )
    commands = parser.add_subparsers(required=True, metavar="COMMAND")
    run = commands.add_parser("run", help="predict one range of records")
    run.set_defaults(command=run_command)
    run.add_argument("--since", type=timestamp, help="first created_at in range (inclusive)")
    run.add_argument("--until", type=timestamp, help="end of the range (exclusive)")
    run.add_argument(
        "--pending", action="store_true", help="every record not yet predicted (the default)"
    )
    run.add_argument("--limit", type=_positive, help="predict at most this many records")
    run.add_argument("--policy", type=RetryPolicy, choices=list(RetryPolicy), default=None)
    run.add_argument("--chunk-size", type=_positive, help="overrides BATCH_CHUNK_SIZE")
    run.add_argument("--shard-index", type=int, help="overrides BATCH_SHARD_INDEX")
    run.add_argument("--shard-count", type=_positive, help="overrides BATCH_SHARD_COUNT")
    seed = commands.add_parser("seed", help="add sample input records")
    seed.set_defaults(command=seed_command)
    seed.add_argument("--count", type=_positive, default=1000)
    seed.add_argument("--days", type=float, default=1.0, help="spread over the last N days")
    seed.add_argument("--seed", type=int, default=0, help="random seed")
    runs = commands.add_parser("runs", help="show the newest runs")
    runs.set_defaults(command=runs_command)
    runs.add_argument("--last", type=_positive, default=10)
    init = commands.add_parser("init-db", help="create the tables")
    init.set_defaults(command=init_db_command)
    return parser
