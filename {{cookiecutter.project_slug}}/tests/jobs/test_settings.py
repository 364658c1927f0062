"""The job services' settings: each role under its own prefix."""

import pytest
from pydantic import ValidationError

from app.jobs.settings import JobApiSettings, WorkerSettings


def test_defaults_point_at_a_local_redis_and_the_default_model():
    api, worker = JobApiSettings(), WorkerSettings()

    assert api.redis_url == worker.redis_url == "redis://127.0.0.1:6379/0"
    assert api.queue_name == worker.queue_name == "jobs"
    assert api.model_uri == worker.model_uri == "models/model.onnx"
    assert api.sync_predict is False
    assert worker.ordering == "unordered"
    assert worker.health_port == 8000


def test_each_role_reads_its_own_prefix(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("JOB_API_QUEUE_NAME", "api-queue")
    monkeypatch.setenv("WORKER_ORDERING", "fifo")
    monkeypatch.setenv("WORKER_MODEL_SHA256", "AB" * 32)

    assert JobApiSettings().queue_name == "api-queue"
    assert WorkerSettings().queue_name == "jobs"
    assert WorkerSettings().ordering == "fifo"
    assert WorkerSettings().model_sha256 == "ab" * 32


@pytest.mark.parametrize(
    ("settings_class", "field", "value"),
    [
        (WorkerSettings, "ordering", "random"),
        (WorkerSettings, "batch_size", 0),
        (WorkerSettings, "visibility_timeout_s", 0),
        (JobApiSettings, "queue_name", "has space"),
        (JobApiSettings, "max_queue_length", 0),
    ],
)
def test_invalid_values_are_refused(
    settings_class: type[JobApiSettings | WorkerSettings], field: str, value: object
):
    with pytest.raises(ValidationError, match=field):
        settings_class(**{field: value})


def test_typos_under_a_prefix_are_reported():
    environ = {"WORKER_BATCHSIZE": "4", "WORKER_BATCH_SIZE": "4", "JOB_API_SYNC": "1"}

    assert WorkerSettings.unknown_variables(environ) == ["WORKER_BATCHSIZE"]
    assert JobApiSettings.unknown_variables(environ) == ["JOB_API_SYNC"]
