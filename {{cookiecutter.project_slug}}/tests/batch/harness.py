"""Helpers of the batch tests: seed, run in-process or as the real command, read tables."""

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select

from app.batch.faults import Faults
from app.batch.job import BatchJob, RunOptions, RunResult
from app.batch.policy import RetryPolicy
from app.batch.predict import ChunkPredictor
from app.batch.schema import batch_runs, prediction_failures, predictions
from app.batch.selection import Selection
from app.model.runner import ModelRunner
from app.store.schema import records
from app.store.seed import seed_records
from tests.support import PROJECT_ROOT

START = datetime(2025, 6, 1, tzinfo=UTC)


def seed(engine: Engine, count: int, hours: float = 1.0) -> None:
    """`count` records spread evenly over `hours` from START (one every hours/count)."""
    seed_records(engine, count, START, START + timedelta(hours=hours), seed=7)


def run_job(
    engine: Engine,
    runner: ModelRunner,
    policy: RetryPolicy = RetryPolicy.PARTIAL,
    selection: Selection | None = None,
    faults: Faults | None = None,
    chunk_size: int = 16,
    max_attempts: int = 3,
) -> RunResult:
    """One run in this process, without sleeping between attempts."""
    options = RunOptions(policy=policy, chunk_size=chunk_size, max_attempts=max_attempts)
    predictor = ChunkPredictor(runner, faults or Faults())
    job = BatchJob(engine, predictor, options, sleep=lambda _seconds: None)
    return job.run(selection or Selection())


def run_command(
    args: list[str], db_url: str, model_path: Path, **env: str
) -> subprocess.CompletedProcess[str]:
    """`python -m app.batch ARGS` as a real process, as the image and CronJob run it."""
    environ = {
        **{key: value for key, value in os.environ.items() if not key.startswith("BATCH_")},
        "BATCH_DATABASE_URL": db_url,
        "BATCH_MODEL_URI": str(model_path),
        "BATCH_RETRY_BACKOFF_S": "0",
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "app.batch", *args],
        cwd=PROJECT_ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def predicted_ids(engine: Engine) -> list[int]:
    """Record ids with a prediction, with repeats if any (there must be none)."""
    with engine.connect() as connection:
        query = select(predictions.c.record_id).order_by(predictions.c.record_id)
        return [int(row[0]) for row in connection.execute(query)]


def record_ids(engine: Engine) -> list[int]:
    with engine.connect() as connection:
        return [int(row[0]) for row in connection.execute(select(records.c.id).order_by("id"))]


def failures(engine: Engine) -> dict[int, int]:
    """Failed record id -> attempts."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(prediction_failures.c.record_id, prediction_failures.c.attempts)
        )
        return {int(record_id): int(attempts) for record_id, attempts in rows}


def runs(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as connection:
        return [dict(row._mapping) for row in connection.execute(select(batch_runs))]


def count(engine: Engine, table: Any) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())
