"""Run a batch of jobs through the model: one model call for all of them when it can."""

import logging
from collections.abc import Callable, Sequence

from app.http.predict_routes import prediction_body
from app.http.schemas import PredictResponse
from app.jobs.consumer import Outcome, StartedJob
from app.model.errors import InvalidInputError
from app.model.runner import Answer, ModelRunner

logger = logging.getLogger(__name__)

Fault = Callable[[StartedJob], str | None]
"""Test only: the error to fail a job's attempt with, or None to run it."""


def no_fault(_job: StartedJob) -> str | None:
    """Run every job."""
    return None


def fail_on_first_value(value: float) -> Fault:
    """Fail every attempt of a job whose first row's first value equals `value`."""

    def fault(job: StartedJob) -> str | None:
        first = job.rows[0] if job.rows else None
        values = list(first.values()) if isinstance(first, dict) else first
        if isinstance(values, list) and values and values[0] == value:
            return f"test fault: the first value is {value} (WORKER_TEST_FAIL_VALUE)"
        return None

    return fault


def run_jobs(
    runner: ModelRunner, jobs: Sequence[StartedJob], max_attempts: int, fault: Fault = no_fault
) -> list[Outcome]:
    """Each job's outcome, in the order given."""
    outcomes: list[Outcome | None] = [None] * len(jobs)
    runnable: list[int] = []
    for index, job in enumerate(jobs):
        error = fault(job)
        if error is None:
            runnable.append(index)
        else:
            outcomes[index] = _failure(job, error, max_attempts, permanent=False)
    ran = _run_together(runner, [jobs[index] for index in runnable], max_attempts)
    for index, outcome in zip(runnable, ran, strict=True):
        outcomes[index] = outcome
    return [outcome for outcome in outcomes if outcome is not None]


def _run_together(
    runner: ModelRunner, jobs: Sequence[StartedJob], max_attempts: int
) -> list[Outcome]:
    if not jobs:
        return []
    rows = [row for job in jobs for row in job.rows]
    try:
        answers = runner.predict(rows)
    except Exception:  # one bad job must not fail the others: run each alone to find it
        return [_run_alone(runner, job, max_attempts) for job in jobs]
    outcomes: list[Outcome] = []
    start = 0
    for job in jobs:
        end = start + len(job.rows)
        outcomes.append(Outcome(job, result=_result(runner, answers[start:end])))
        start = end
    return outcomes


def _run_alone(runner: ModelRunner, job: StartedJob, max_attempts: int) -> Outcome:
    try:
        return Outcome(job, result=_result(runner, runner.predict(job.rows)))
    except InvalidInputError as error:  # the rows themselves: no attempt can succeed
        return _failure(job, str(error), max_attempts, permanent=True)
    except Exception as error:
        logger.exception("job %s attempt %d failed", job.entry.job_id, job.attempt)
        return _failure(job, f"{type(error).__name__}: {error}", max_attempts, permanent=False)


def _result(runner: ModelRunner, answers: Sequence[Answer]) -> str:
    metadata = runner.metadata
    return PredictResponse(
        model_name=metadata.name,
        model_version=metadata.version,
        predictions=[prediction_body(answer) for answer in answers],
    ).model_dump_json()


def _failure(job: StartedJob, error: str, max_attempts: int, *, permanent: bool) -> Outcome:
    if permanent or job.attempt >= max_attempts:
        if not permanent:
            error = f"gave up after {job.attempt} attempts: {error}"
        return Outcome(job, error=error)
    return Outcome(job, error=error, retry=True)
