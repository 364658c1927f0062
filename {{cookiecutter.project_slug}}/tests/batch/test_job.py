"""A run predicts its range once, with the shared model core, and records itself."""

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import Engine, select

from app.batch.faults import Faults
from app.batch.predict import ChunkPredictor
from app.batch.schema import metadata, predictions
from app.batch.selection import Selection
from app.model.runner import ModelRunner
from app.store.database import ensure_schema, open_engine
from app.store.schema import FEATURE_COLUMNS, records
from tests.batch.harness import START, predicted_ids, record_ids, run_job, runs, seed


def test_a_pending_run_predicts_every_record_once_like_the_model_core(
    engine: Engine, runner: ModelRunner
):
    seed(engine, 50)

    result = run_job(engine, runner)

    assert result.status == "succeeded"
    assert result.exit_code == 0
    assert (result.counts.selected, result.counts.ok, result.counts.failed) == (50, 50, 0)
    assert predicted_ids(engine) == record_ids(engine)
    with engine.connect() as connection:
        rows = connection.execute(
            select(*(records.c[name] for name in FEATURE_COLUMNS), predictions)
            .join(predictions, predictions.c.record_id == records.c.id)
            .order_by(records.c.id)
        ).all()
    expected = runner.predict([list(row[:4]) for row in rows])
    for row, prediction in zip(rows, expected, strict=True):
        assert row.label == prediction.label
        assert row.model_version == runner.metadata.version
        assert row.probabilities == prediction.probabilities
        assert row.run_id == result.run_id


def test_the_run_is_recorded_with_its_range_policy_and_counts(engine: Engine, runner: ModelRunner):
    seed(engine, 20)

    result = run_job(engine, runner)

    (run,) = runs(engine)
    assert run["id"] == result.run_id
    assert run["status"] == "succeeded"
    assert run["policy"] == "partial"
    assert run["model_version"] == runner.metadata.version
    assert run["range"] == "pending"
    assert run["shard"] == "0/1"
    assert (run["selected"], run["ok"], run["failed"], run["skipped"]) == (20, 20, 0, 0)
    assert run["started_at"] <= run["finished_at"]


def test_a_rerun_of_the_same_window_writes_nothing_and_counts_skips(
    engine: Engine, runner: ModelRunner
):
    seed(engine, 30)
    window = Selection(since=START, until=START + timedelta(hours=1))
    run_job(engine, runner, selection=window)

    again = run_job(engine, runner, selection=window)

    assert again.status == "succeeded"
    assert (again.counts.selected, again.counts.ok, again.counts.skipped) == (0, 0, 30)
    assert predicted_ids(engine) == record_ids(engine)


def test_a_window_selects_created_at_in_since_until(engine: Engine, runner: ModelRunner):
    seed(engine, 60, hours=1.0)  # one record a minute from START
    window = Selection(since=START + timedelta(minutes=10), until=START + timedelta(minutes=20))

    result = run_job(engine, runner, selection=window)

    assert result.counts.ok == 10
    with engine.connect() as connection:
        times = connection.execute(
            select(records.c.created_at).join(predictions, predictions.c.record_id == records.c.id)
        ).scalars()
        assert all(window.since <= time < window.until for time in times)  # type: ignore[operator]


def test_a_limit_takes_the_oldest_records_and_the_next_run_the_rest(
    engine: Engine, runner: ModelRunner
):
    seed(engine, 40)

    first = run_job(engine, runner, selection=Selection(limit=25))
    second = run_job(engine, runner, selection=Selection(limit=25))

    assert (first.counts.selected, first.counts.ok) == (25, 25)
    assert (second.counts.selected, second.counts.ok) == (15, 15)
    assert predicted_ids(engine) == record_ids(engine)
    assert predicted_ids(engine)[:25] == record_ids(engine)[:25]


def test_shards_split_the_range_without_overlap_or_gap(engine: Engine, runner: ModelRunner):
    seed(engine, 45)

    results = [
        run_job(engine, runner, selection=Selection(shard_index=index, shard_count=3))
        for index in range(3)
    ]

    assert sum(result.counts.ok for result in results) == 45
    assert all(result.counts.ok > 0 for result in results)
    assert predicted_ids(engine) == record_ids(engine)
    assert sorted(run["shard"] for run in runs(engine)) == ["0/3", "1/3", "2/3"]


def test_an_empty_range_succeeds(engine: Engine, runner: ModelRunner):
    result = run_job(engine, runner)

    assert result.status == "succeeded"
    assert result.counts.selected == 0


def test_concurrent_shards_can_create_the_tables_together(db_url: str):
    engines = [open_engine(db_url) for _ in range(4)]
    metadata.drop_all(engines[0])
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda engine: ensure_schema(engine, metadata), engines))
    assert runs(engines[0]) == []
    for engine in engines:
        engine.dispose()


def test_a_model_whose_features_are_not_the_columns_is_refused(runner: ModelRunner):
    renamed = runner.metadata.model_copy(update={"feature_names": ["a", "b", "c", "d"]})
    other = ModelRunner()
    other._model = replace(runner._require_model(), metadata=renamed)

    with pytest.raises(ValueError, match="not the records table's feature columns"):
        ChunkPredictor(other, Faults())
