"""What a job is in Redis: its status, its record's fields, and the keys of one queue."""

import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ClassVar


class JobStatus(StrEnum):
    """Where a job is; the last three are terminal: once written, never changed."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    EXPIRED = "expired"


TERMINAL = frozenset({JobStatus.DONE, JobStatus.FAILED, JobStatus.EXPIRED})

GROUP = "workers"
"""The consumer group every worker of a queue reads through."""


@dataclass(frozen=True)
class QueueKeys:
    """The Redis keys of one queue, all under one prefix."""

    prefix: str

    @property
    def stream(self) -> str:
        """The stream of job ids waiting or running (acknowledged entries are deleted)."""
        return f"{self.prefix}:stream"

    @property
    def lease(self) -> str:
        """fifo ordering: the name of the one active worker, expiring unless renewed."""
        return f"{self.prefix}:lease"

    def job(self, job_id: str) -> str:
        """The hash holding one job's rows, status, attempts, result or error."""
        return f"{self.prefix}:job:{job_id}"


@dataclass(frozen=True)
class JobRecord:
    """One job as a client sees it."""

    job_id: str
    status: JobStatus
    created_at: float
    attempts: int
    finished_at: float | None = None
    result: dict[str, Any] | None = None
    error: str | None = None
    worker: str | None = None

    HASH_FIELDS: ClassVar[list[str]] = [
        "status", "created_at", "attempts", "finished_at", "result", "error", "worker",
    ]  # fmt: skip
    """The job hash's fields a record is read from (the hash also holds the rows)."""

    @classmethod
    def from_hash(cls, job_id: str, fields: Mapping[bytes | str, bytes | str]) -> "JobRecord":
        """Read the hash Redis returns; the rows are left out."""
        text = {_text(key): _text(value) for key, value in fields.items()}
        status = JobStatus(text["status"])
        finished = text.get("finished_at")
        return cls(
            job_id=job_id,
            status=status,
            created_at=float(text["created_at"]),
            attempts=int(text.get("attempts", "0")),
            finished_at=float(finished) if finished else None,
            result=json.loads(text["result"]) if "result" in text else None,
            # A queued job's error is its last failed attempt's, shown while it waits to retry.
            error=text.get("error"),
            worker=text.get("worker"),
        )


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
