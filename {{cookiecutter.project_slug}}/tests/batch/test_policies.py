"""Each retry policy ends with exactly the rows it promises when chosen records fail."""

from sqlalchemy import Engine, update

from app.batch.faults import Faults
from app.batch.policy import RetryPolicy, backoff_s
from app.batch.schema import predictions
from app.model.runner import ModelRunner
from app.store.schema import records
from tests.batch.harness import count, failures, predicted_ids, record_ids, run_job, runs, seed

BAD = frozenset({5, 23, 40})
ALWAYS = Faults(fail_record_ids=BAD)
ONCE = Faults(fail_record_ids=BAD, fail_attempts=1)


def test_all_commits_nothing_when_failures_persist(engine: Engine, runner: ModelRunner):
    seed(engine, 50)

    result = run_job(engine, runner, RetryPolicy.ALL, faults=ALWAYS, max_attempts=2)

    assert result.status == "failed"
    assert result.exit_code == 1
    assert count(engine, predictions) == 0
    assert result.counts.ok == 0
    assert result.counts.failed >= 1
    assert result.counts.attempts == 2
    assert "record 5" in (result.error or "")
    assert runs(engine)[0]["status"] == "failed"


def test_all_retries_the_whole_range_and_commits_it_once_it_passes(
    engine: Engine, runner: ModelRunner
):
    seed(engine, 50)

    result = run_job(engine, runner, RetryPolicy.ALL, faults=ONCE)

    assert result.status == "succeeded"
    assert result.counts.attempts == 2
    assert result.counts.ok == 50
    assert predicted_ids(engine) == record_ids(engine)


def test_partial_retries_only_failed_records_until_they_pass(engine: Engine, runner: ModelRunner):
    seed(engine, 50)

    result = run_job(engine, runner, RetryPolicy.PARTIAL, faults=ONCE)

    assert result.status == "succeeded"
    assert (result.counts.ok, result.counts.failed, result.counts.attempts) == (50, 0, 2)
    assert predicted_ids(engine) == record_ids(engine)
    assert failures(engine) == {}


def test_partial_gives_up_after_max_attempts_keeping_the_good_rows(
    engine: Engine, runner: ModelRunner
):
    seed(engine, 50)

    result = run_job(engine, runner, RetryPolicy.PARTIAL, faults=ALWAYS, max_attempts=3)

    assert result.status == "incomplete"
    assert result.exit_code == 3
    assert (result.counts.ok, result.counts.failed) == (47, 3)
    assert predicted_ids(engine) == [i for i in record_ids(engine) if i not in BAD]
    assert failures(engine) == dict.fromkeys(BAD, 3)


def test_none_records_failures_and_the_next_run_picks_them_up(engine: Engine, runner: ModelRunner):
    seed(engine, 50)

    first = run_job(engine, runner, RetryPolicy.NONE, faults=ALWAYS)

    assert first.status == "incomplete"
    assert (first.counts.ok, first.counts.failed, first.counts.attempts) == (47, 3, 1)
    assert failures(engine) == dict.fromkeys(BAD, 1)
    assert predicted_ids(engine) == [i for i in record_ids(engine) if i not in BAD]

    second = run_job(engine, runner, RetryPolicy.NONE)

    assert second.status == "succeeded"
    assert (second.counts.selected, second.counts.ok) == (3, 3)
    assert failures(engine) == {}
    assert predicted_ids(engine) == record_ids(engine)


def test_bad_stored_data_fails_its_record_not_the_run(engine: Engine, runner: ModelRunner):
    seed(engine, 20)
    with engine.begin() as connection:
        connection.execute(update(records).where(records.c.id == 7).values(petal_width=None))

    result = run_job(engine, runner, RetryPolicy.NONE)

    assert (result.counts.ok, result.counts.failed) == (19, 1)
    assert list(failures(engine)) == [7]


def test_backoff_doubles_from_the_base():
    assert [backoff_s(attempt, 0.5) for attempt in (2, 3, 4)] == [0.5, 1.0, 2.0]
