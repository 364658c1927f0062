"""Settings of the batch job, read from `BATCH_*` environment variables."""

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from app.batch.policy import RetryPolicy
from app.model.metadata import SHA256_PATTERN
from app.settings import ServiceSettings


class BatchSettings(ServiceSettings):
    """The batch job: every field is read from `BATCH_<FIELD>`."""

    model_config = SettingsConfigDict(env_prefix="BATCH_")

    database_url: str = "sqlite:///batch.db"
    """SQLAlchemy URL of the data store: sqlite:///path or postgresql://user@host:5432/db."""

    database_password: SecretStr | None = None
    """Password for database_url, kept out of the URL (a Kubernetes or compose secret)."""

    database_wait_s: float = Field(default=30.0, ge=0)
    """How long to wait for the database to accept connections at start-up."""

    model_uri: str = "models/model.onnx"
    """Where model.onnx is: a path, file:// or http(s):// URL; metadata.json is its sibling."""

    model_sha256: str | None = Field(default=None, pattern=SHA256_PATTERN)
    """Optional pin: the model's sha256 must also equal this (64 lower-case hex digits)."""

    model_download_timeout_s: float = Field(default=30.0, gt=0)
    """Timeout of each HTTP request made while downloading the model and its metadata."""

    inference_threads: int = Field(default=1, ge=1)
    """ONNX Runtime threads per model call."""

    chunk_size: int = Field(default=1000, ge=1, le=100_000)
    """Records read, predicted and written together; memory grows with it, not with the range."""

    retry_policy: RetryPolicy = RetryPolicy.PARTIAL
    """all: retry the whole range, commit nothing on failure; partial: retry the failed
    records; none: record failures for the next run."""

    max_attempts: int = Field(default=3, ge=1, le=20)
    """Attempts per range (all) or per failed record (partial), the first included."""

    retry_backoff_s: float = Field(default=1.0, ge=0)
    """Wait before the second attempt; doubles before each further one."""

    progress_interval_s: float = Field(default=5.0, gt=0)
    """Seconds between progress lines (records/s, ETA) on long runs."""

    shard_count: int = Field(default=1, ge=1)
    """Split the range into this many shards by record id (one per pod of an Indexed Job)."""

    shard_index: int = Field(
        default=0, ge=0, validation_alias=AliasChoices("BATCH_SHARD_INDEX", "JOB_COMPLETION_INDEX")
    )
    """This process's shard, 0-based; Kubernetes Indexed Jobs set JOB_COMPLETION_INDEX."""

    @field_validator("database_password", mode="before")
    @classmethod
    def _empty_password_is_unset(cls, value: object) -> object:
        return None if value == "" else value
