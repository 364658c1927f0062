"""BatchSettings: BATCH_* variables, documented in .env.example with their defaults."""

import pytest
from pydantic import ValidationError

from app.batch.policy import RetryPolicy
from app.batch.progress import Progress
from app.batch.settings import BatchSettings
from tests.support import assert_env_example_documents


def test_defaults_run_anywhere_on_sqlite():
    settings = BatchSettings()

    assert settings.database_url == "sqlite:///batch.db"
    assert settings.retry_policy is RetryPolicy.PARTIAL
    assert (settings.shard_index, settings.shard_count) == (0, 1)


def test_an_indexed_job_sets_the_shard_through_job_completion_index(
    monkeypatch: pytest.MonkeyPatch,
):
    monkeypatch.setenv("JOB_COMPLETION_INDEX", "2")
    monkeypatch.setenv("BATCH_SHARD_COUNT", "4")
    monkeypatch.setenv("BATCH_RETRY_POLICY", "all")

    settings = BatchSettings()

    assert (settings.shard_index, settings.shard_count) == (2, 4)
    assert settings.retry_policy is RetryPolicy.ALL


@pytest.mark.parametrize(("field", "value"), [("retry_policy", "some"), ("chunk_size", 0)])
def test_invalid_values_are_refused(field: str, value: object):
    with pytest.raises(ValidationError, match=field):
        BatchSettings(**{field: value})


def test_the_password_is_never_shown():
    settings = BatchSettings(database_password="s3cret")  # type: ignore[arg-type]

    assert "s3cret" not in repr(settings)


def test_unknown_prefixed_variables_are_reported():
    environ = {"BATCH_CHUNK_SIZ": "5", "BATCH_CHUNK_SIZE": "5"}

    assert BatchSettings.unknown_variables(environ) == ["BATCH_CHUNK_SIZ"]


def test_env_example_documents_every_setting_with_its_default():
    assert_env_example_documents(BatchSettings, "BATCH_")


def test_progress_reports_rate_and_time_left():
    now = [0.0]
    progress = Progress(total=1000, interval_s=5, clock=lambda: now[0])

    now[0] = 2.0
    progress.advance(250)

    assert progress.per_second == 125
    assert progress.eta_s() == 6
