"""Response bodies of the job API (requests are the predictor's PredictRequest)."""

from datetime import UTC, datetime

from pydantic import BaseModel

from app.http.schemas import PredictResponse
from app.jobs.records import JobRecord, JobStatus


class JobLink(BaseModel):
    """A queued job and where to poll it."""

    job_id: str
    status: JobStatus
    status_url: str


class JobResponse(BaseModel):
    """Body of GET /jobs/{job_id}: the result when done, the error when failed or expired."""

    job_id: str
    status: JobStatus
    created_at: datetime
    finished_at: datetime | None = None
    attempts: int
    result: PredictResponse | None = None
    error: str | None = None

    @classmethod
    def from_record(cls, record: JobRecord) -> "JobResponse":
        """The client's view of a stored job."""
        finished = record.finished_at
        return cls(
            job_id=record.job_id,
            status=record.status,
            created_at=datetime.fromtimestamp(record.created_at, UTC),
            finished_at=None if finished is None else datetime.fromtimestamp(finished, UTC),
            attempts=record.attempts,
            result=None if record.result is None else PredictResponse(**record.result),
            error=record.error,
        )


class TimeLagResponse(PredictResponse):
    """POST /predict in the time-lag pattern: the fast model's answer, and the slow one's job.

    `job` is null when the queue is unavailable: the fast answer still stands.
    """

    job: JobLink | None
