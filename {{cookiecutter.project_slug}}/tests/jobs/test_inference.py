"""A batch of jobs through the model: one answer per job, failures kept to their job."""

import json
from pathlib import Path

import pytest

from app.jobs.consumer import Entry, StartedJob
from app.jobs.inference import fail_on_first_value, run_jobs
from app.model.runner import ModelRunner
from tests.support import SETOSA, VIRGINICA


@pytest.fixture(scope="module")
def runner(model_path: Path) -> ModelRunner:
    loaded = ModelRunner()
    loaded.load(str(model_path))
    return loaded


def job(job_id: str, rows: list[object], attempt: int = 1) -> StartedJob:
    return StartedJob(Entry(f"{job_id}-0", job_id), rows, attempt)


def labels(result: str | None) -> list[str]:
    assert result is not None
    return [answer["label"] for answer in json.loads(result)["predictions"]]


def test_each_job_gets_the_answers_to_its_own_rows(runner: ModelRunner):
    named = dict(zip(runner.metadata.feature_names or [], VIRGINICA, strict=True))
    jobs = [job("a", [SETOSA, VIRGINICA]), job("b", [named])]

    outcomes = run_jobs(runner, jobs, max_attempts=3)

    assert [labels(outcome.result) for outcome in outcomes] == [
        ["setosa", "virginica"],
        ["virginica"],
    ]
    assert json.loads(outcomes[0].result or "")["model_name"] == "iris-classifier"


def test_rows_the_model_refuses_fail_their_job_at_once_and_spare_the_others(
    runner: ModelRunner,
):
    outcomes = run_jobs(runner, [job("a", [SETOSA]), job("b", [[1.0]])], max_attempts=3)

    assert labels(outcomes[0].result) == ["setosa"]
    assert outcomes[1].retry is False
    assert outcomes[1].error == "rows[0] has 1 values but the model expects 4"


def test_a_failing_attempt_is_retried_until_the_last(runner: ModelRunner):
    fault = fail_on_first_value(9.5)
    rows: list[object] = [[9.5, 1.0, 1.0, 1.0]]

    first = run_jobs(runner, [job("a", rows, attempt=1)], 2, fault)[0]
    last = run_jobs(runner, [job("a", rows, attempt=2)], 2, fault)[0]

    assert first.retry
    assert first.error is not None
    assert first.error.startswith("test fault")
    assert not last.retry
    assert last.error is not None
    assert last.error.startswith("gave up after 2 attempts: test fault")
