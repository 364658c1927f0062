"""POST /jobs and GET /jobs/{job_id}; POST /predict for the time-lag pattern."""

import logging

from fastapi import APIRouter, HTTPException, Path, Response, status

from app.http.errors import documented_errors
from app.http.predict_routes import prediction_body
from app.http.schemas import PredictRequest
from app.jobs.errors import QueueError
from app.jobs.queue import JobQueue
from app.jobs.records import JobStatus
from app.jobs.schemas import JobLink, JobResponse, TimeLagResponse
from app.model.runner import ModelRunner

logger = logging.getLogger(__name__)

_SUBMIT_ERRORS = documented_errors(
    {
        400: "The body is not valid JSON.",
        413: "More rows than JOB_API_MAX_BATCH_SIZE, or a body over JOB_API_MAX_BODY_BYTES.",
        422: "A row does not fit the model's signature; the message says which and why.",
        503: "The model is not loaded yet, Redis does not answer, or the queue is full.",
    }
)
_READ_ERRORS = documented_errors(
    {
        404: "No such job: never accepted, or expired from the store (JOB_API_RESULT_TTL_S).",
        503: "Redis does not answer.",
    }
)
JOB_ID = Path(description="The id POST /jobs answered with.")


def build_jobs_router(runner: ModelRunner, queue: JobQueue) -> APIRouter:
    """Accept jobs checked against `runner`'s model; read them back from `queue`."""
    router = APIRouter(tags=["jobs"])

    @router.post("/jobs", status_code=status.HTTP_202_ACCEPTED, responses=_SUBMIT_ERRORS)
    async def submit(request: PredictRequest, response: Response) -> JobLink:
        """Queue rows for the worker; poll the `Location` (also `status_url`) for the answer.

        The rows are checked against the model's signature first: a bad row is refused
        here, with the reason, and nothing is queued.
        """
        runner.check_rows(request.rows)
        link = await _enqueue(queue, request)
        response.headers["Location"] = link.status_url
        return link

    @router.get("/jobs/{job_id}", responses=_READ_ERRORS)
    async def read_job(job_id: str = JOB_ID) -> JobResponse:
        """The job's status: queued, running, done (with the result), failed or expired
        (with the error)."""
        record = await queue.get(job_id)
        if record is None:
            raise HTTPException(
                status.HTTP_404_NOT_FOUND,
                f"no job {job_id!r}: it was never accepted, or it expired from the store",
            )
        return JobResponse.from_record(record)

    return router


def build_time_lag_router(runner: ModelRunner, queue: JobQueue) -> APIRouter:
    """POST /predict: `runner` (the fast model) answers now; the worker's model gets a job."""
    router = APIRouter(tags=["predict"])

    # On the event loop, as the predictor's /predict is: a small model answers in µs.
    @router.post("/predict", responses=_SUBMIT_ERRORS)
    async def predict(request: PredictRequest) -> TimeLagResponse:
        """The fast model's answer, and a job for the slow model's (`job.status_url`)."""
        answers = runner.predict(request.rows)
        try:
            job: JobLink | None = await _enqueue(queue, request)
        except QueueError as error:
            logger.warning("answered without a job for the slow model: %s", error)
            job = None
        metadata = runner.metadata
        return TimeLagResponse(
            model_name=metadata.name,
            model_version=metadata.version,
            predictions=[prediction_body(answer) for answer in answers],
            job=job,
        )

    return router


async def _enqueue(queue: JobQueue, request: PredictRequest) -> JobLink:
    job_id = await queue.enqueue(request.rows)
    return JobLink(job_id=job_id, status=JobStatus.QUEUED, status_url=f"/jobs/{job_id}")
