"""How fast does the batch job move rows from database to database, and what limits it?

    python -m bench.batch [--rows 100000] [--chunk-size 1000]
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres python -m bench.batch

On SQLite (a temporary file) and, when DATABASE_URL is set, on PostgreSQL (a temporary
database created there and dropped afterwards), over the same seeded rows, prints:
- end to end: the job (`BatchJob` with the model) predicting every row, DB to DB;
- the two limits it is made of: raw ONNX Runtime batched rows/s on those rows (already in
  memory), and the database's own rows/s running the same job with the model swapped for
  a constant answer (same page reads, same bulk writes);
- end to end as a share of the slower limit (target: at least 80 %);
- the job's peak RSS at 10k and at the full row count, each in a fresh process
  (target: the larger within 10 % of the smaller: memory does not grow with the range).
Not a test: it prints numbers and checks nothing.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.engine import make_url

from app.batch.faults import Faults
from app.batch.job import BatchJob, RunOptions
from app.batch.predict import ChunkOutcome, ChunkPredictor, Record
from app.batch.schema import batch_runs, metadata, prediction_failures, predictions
from app.batch.selection import Selection
from app.model.runner import ModelRunner
from app.store.database import database_url, ensure_schema, open_engine
from app.store.schema import FEATURE_COLUMNS, records
from app.store.seed import seed_records
from app.training.formats import MODEL_FILE_NAMES, declared_format

PROJECT_ROOT = Path(__file__).resolve().parents[1]
# The primary model's file depends on the project's model format (model.onnx or model.skops).
PRIMARY_MODEL_FILE = MODEL_FILE_NAMES[declared_format(PROJECT_ROOT / "pyproject.toml")]
SMALL = 10_000
ROUNDS = 2
START = datetime(2025, 1, 1, tzinfo=UTC)


class ConstantPredictor(ChunkPredictor):
    """The job's predictor with the model taken out: the same rows, one fixed answer (a
    real one, computed once, so the results written have the same size and shape)."""

    def __init__(self, runner: ModelRunner) -> None:
        super().__init__(runner, Faults())
        self._answer = runner.predict_matrix(np.array([[5.9, 3.0, 4.2, 1.5]]))

    def predict(
        self, records: Sequence[Record], attempt: int, run_id: int, at: datetime
    ) -> ChunkOutcome:
        probabilities = np.repeat(self._answer, len(records), axis=0)
        ids = [int(record[0]) for record in records]
        return ChunkOutcome(self._rows(ids, probabilities, run_id, at), [])


def load_runner(model_path: Path, chunk_size: int) -> ModelRunner:
    runner = ModelRunner(max_batch_size=chunk_size)
    runner.load(str(model_path))
    return runner


def reset_results(engine: Engine) -> None:
    """Empty the result tables so that every measured run writes into the same state."""
    with engine.begin() as connection:
        for table in (predictions, prediction_failures, batch_runs):
            connection.execute(table.delete())
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))


def time_job(
    engine: Engine, predictor: ChunkPredictor, chunk_size: int, limit: int | None
) -> float:
    """Rows per second of one run of the job over the pending rows."""
    job = BatchJob(engine, predictor, RunOptions(chunk_size=chunk_size, progress_interval_s=3600))
    result = job.run(Selection(limit=limit))
    if result.status != "succeeded":
        raise SystemExit(f"the run did not succeed: {result}")
    return result.counts.ok / result.seconds


def raw_onnxruntime(engine: Engine, runner: ModelRunner, chunk_size: int) -> float:
    """Batched rows/s of the bare inference session on the same rows, held in memory."""
    with engine.connect() as connection:
        columns = [records.c[name] for name in FEATURE_COLUMNS]
        matrix = np.array(connection.execute(select(*columns)).all(), dtype=np.float32)
    model = runner._require_model()  # the bare session: no validation, no decoding
    feeds_name, outputs = model.features.name, [model.probabilities.name]
    started = time.perf_counter()
    for first in range(0, len(matrix), chunk_size):
        model.session.run(outputs, {feeds_name: matrix[first : first + chunk_size]})
    return len(matrix) / (time.perf_counter() - started)


def child_run(url: str, model_path: Path, chunk_size: int, limit: int | None) -> dict[str, Any]:
    """One run of the job in a fresh process: its rows/s and peak RSS."""
    command = [sys.executable, "-m", "bench.batch", "--child", url, "--model", str(model_path)]
    command += ["--chunk-size", str(chunk_size)] + (["--limit", str(limit)] if limit else [])
    done = subprocess.run(
        command, cwd=PROJECT_ROOT, capture_output=True, text=True, check=True, timeout=600
    )
    return json.loads(done.stdout.splitlines()[-1])


def child_main(url: str, model_path: Path, chunk_size: int, limit: int | None) -> None:
    engine = open_engine(url)
    runner = load_runner(model_path, chunk_size)
    rate = time_job(engine, ChunkPredictor(runner, Faults()), chunk_size, limit)
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"rows_per_s": rate, "peak_rss_mib": peak_kib / 1024}))


def bench_database(name: str, url: str, model_path: Path, rows: int, chunk_size: int) -> None:
    engine = open_engine(url)
    ensure_schema(engine, metadata)
    started = time.perf_counter()
    seed_records(engine, rows, START, START + timedelta(days=30))
    print(f"\n{name}: seeded {rows} rows in {time.perf_counter() - started:.1f} s")
    runner = load_runner(model_path, chunk_size)
    raw = raw_onnxruntime(engine, runner, chunk_size)
    # The same job over the same rows, with and without the model, alternately; best of
    # ROUNDS each, so that a hiccup of the machine does not decide the ratio.
    db_rates, job_rates = [], []
    for _ in range(ROUNDS):
        reset_results(engine)
        db_rates.append(time_job(engine, ConstantPredictor(runner), chunk_size, None))
        reset_results(engine)
        job_rates.append(time_job(engine, ChunkPredictor(runner, Faults()), chunk_size, None))
    db_only, job_rate = max(db_rates), max(job_rates)
    # Peak memory, each in a fresh process that runs the job and nothing else.
    reset_results(engine)
    large = child_run(url, model_path, chunk_size, None)
    reset_results(engine)
    small = child_run(url, model_path, chunk_size, SMALL)
    engine.dispose()
    slower = min(raw, db_only)
    share = job_rate / slower
    growth = large["peak_rss_mib"] / small["peak_rss_mib"] - 1
    print(f"  end to end (job, DB -> model -> DB)    {job_rate:>12,.0f} rows/s")
    print(f"  limit: raw onnxruntime, batched        {raw:>12,.0f} rows/s")
    print(f"  limit: database read + bulk write      {db_only:>12,.0f} rows/s")
    verdict = "meets" if share >= 0.8 else "MISSES"
    print(
        f"  end to end / slower limit              {share * 100:>11.0f} %"
        f"   ({verdict} the 80 % target)"
    )
    print(f"  end to end in a fresh process          {large['rows_per_s']:>12,.0f} rows/s")
    print(f"  peak RSS at {SMALL:,} rows                {small['peak_rss_mib']:>9.1f} MiB")
    verdict = "meets" if growth <= 0.1 else "MISSES"
    print(
        f"  peak RSS at {rows:,} rows               {large['peak_rss_mib']:>9.1f} MiB"
        f"   ({growth * 100:+.1f} %: {verdict} the 10 % target)"
    )


@contextmanager
def postgres_database(server: str) -> Iterator[str]:
    """A uniquely named database on the server, dropped afterwards."""
    name = f"batch_bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(database_url(server), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--chunk-size", type=int, default=1000)
    parser.add_argument("--model", type=Path, default=PROJECT_ROOT / "models" / PRIMARY_MODEL_FILE)
    parser.add_argument("--child", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--limit", type=int, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    model_path = arguments.model.resolve()
    if not model_path.exists():
        print(f"{model_path} not found: train it first with `python -m app.training --out models`")
        return 2
    if arguments.child:
        child_main(arguments.child, model_path, arguments.chunk_size, arguments.limit)
        return 0
    print(
        f"batch job benchmark: {arguments.rows:,} rows, chunks of {arguments.chunk_size}, "
        f"{os.cpu_count()} CPUs"
    )
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as scratch:
        url = f"sqlite:///{Path(scratch) / 'bench.db'}"
        bench_database("SQLite", url, model_path, arguments.rows, arguments.chunk_size)
    server = os.environ.get("DATABASE_URL")
    if server:
        with postgres_database(server) as url:
            bench_database("PostgreSQL", url, model_path, arguments.rows, arguments.chunk_size)
    else:
        print(
            "\nPostgreSQL: skipped; set DATABASE_URL=postgresql://user@host:5432/db to include it"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
