"""Settings of the job API (`JOB_API_*`) and the queue worker (`WORKER_*`)."""

from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from app.model.metadata import SHA256_PATTERN
from app.settings import ServiceSettings

Ordering = Literal["unordered", "fifo"]


class QueueSettings(ServiceSettings):
    """What the API and the worker share: the queue they meet at and the model they load."""

    redis_url: str = "redis://127.0.0.1:6379/0"
    """Redis holding the queue and the job records: redis://[user:password@]host:port/db."""

    redis_timeout_s: float = Field(default=2.0, gt=0)
    """Timeout of each Redis connect and command: an unreachable Redis fails fast."""

    queue_name: str = Field(default="jobs", pattern=r"^[A-Za-z0-9_.:-]{1,64}$")
    """Prefix of the queue's Redis keys (stream, job records, lease); API and worker share it."""

    result_ttl_s: int = Field(default=86_400, ge=1)
    """Seconds a job record is kept after it is accepted or finishes; then GET answers 404."""

    model_uri: str = "models/model.onnx"
    """Where model.onnx is: a path, file:// or http(s):// URL; metadata.json is its sibling."""

    model_sha256: str | None = Field(default=None, pattern=SHA256_PATTERN)
    """Optional pin: the model's sha256 must also equal this (64 lower-case hex digits)."""

    model_download_timeout_s: float = Field(default=30.0, gt=0)
    """Timeout of each HTTP request made while downloading the model and its metadata."""

    inference_threads: int = Field(default=1, ge=1)
    """ONNX Runtime threads per model call."""


class JobApiSettings(QueueSettings):
    """The job API: every field is read from `JOB_API_<FIELD>`."""

    model_config = SettingsConfigDict(env_prefix="JOB_API_")

    max_batch_size: int = Field(default=1024, ge=1)
    """The most rows one job (or one POST /predict) may hold; larger requests get 413."""

    max_body_bytes: int = Field(default=16 * 1024 * 1024, ge=1024)
    """The largest request body accepted; larger bodies get 413 before being parsed."""

    max_queue_length: int = Field(default=10_000, ge=1)
    """POST /jobs answers 503 while this many jobs wait or run: the queue's bound."""

    sync_predict: bool = False
    """Time-lag: also serve POST /predict, answered by this API's (fast) model, plus a job."""


class WorkerSettings(QueueSettings):
    """The queue worker: every field is read from `WORKER_<FIELD>`."""

    model_config = SettingsConfigDict(env_prefix="WORKER_")

    ordering: Ordering = "unordered"
    """unordered: every replica takes jobs; fifo: one active worker (a lease), strict order."""

    batch_size: int = Field(default=32, ge=1, le=10_000)
    """Jobs taken from the queue together and run through the model in one call."""

    max_attempts: int = Field(default=3, ge=1, le=100)
    """Attempts per job, the first included; then the job is failed with its last error."""

    max_job_age_s: float = Field(default=600.0, gt=0)
    """A job accepted longer ago than this when a worker takes it is not run: it expires."""

    visibility_timeout_s: float = Field(default=30.0, gt=0)
    """A job taken but not finished within this time is taken over by another worker."""

    lease_ttl_s: float = Field(default=10.0, gt=0)
    """fifo: a standby takes over this long after the active worker stops renewing its lease."""

    block_s: float = Field(default=1.0, gt=0, le=30)
    """Longest wait for new jobs in one read: also how soon SIGTERM or a lapsed lease is seen."""

    health_port: int = Field(default=8000, ge=1, le=65_535)
    """Port of /v2/health/live, /v2/health/ready and /metrics."""

    consumer_name: str | None = None
    """This worker's name in the consumer group; unset: host name and process id."""

    test_delay_s: float = Field(default=0.0, ge=0, le=60)
    """Test only: hold every batch back this long before running it. Keep 0."""

    test_fail_value: float | None = None
    """Test only: a job whose first value equals this fails every attempt. Keep unset."""

    @model_validator(mode="after")
    def _lease_outlives_a_read(self) -> "WorkerSettings":
        # The lease is renewed between reads: one read blocking longer than the lease lives
        # would hand it to a standby while this worker is still active.
        if self.ordering == "fifo" and self.block_s >= self.lease_ttl_s:
            raise ValueError(
                f"WORKER_BLOCK_S ({self.block_s}) must be shorter than "
                f"WORKER_LEASE_TTL_S ({self.lease_ttl_s}) with fifo ordering"
            )
        return self
