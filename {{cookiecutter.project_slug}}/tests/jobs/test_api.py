"""The job API's contract: 202 and a place to poll, 4xx naming bad input, 503 without Redis."""

from pathlib import Path

import httpx

from tests.jobs.harness import JobStack, job_stack, read, submit
from tests.processes import running, status
from tests.redis_server import redis_server
from tests.support import SETOSA, wait_until


def test_an_accepted_job_is_queued_until_a_worker_runs_it(stack: JobStack):
    api = stack.start_api()
    with running(api):
        response = httpx.post(f"{api.base_url}/jobs", json={"rows": [SETOSA, SETOSA]})
        job_id = response.json()["job_id"]
        body = read(api, job_id)

    assert response.status_code == 202
    assert response.json() == {
        "job_id": job_id,
        "status": "queued",
        "status_url": f"/jobs/{job_id}",
    }
    assert response.headers["Location"] == f"/jobs/{job_id}"
    assert body["status"] == "queued"
    assert body["result"] is None
    assert body["attempts"] == 0


def test_bad_requests_are_refused_with_the_reason_and_nothing_is_queued(stack: JobStack):
    api = stack.start_api(JOB_API_MAX_BATCH_SIZE="2")
    with running(api):
        short_row = httpx.post(f"{api.base_url}/jobs", json={"rows": [[5.1, 3.5, 1.4]]})
        text = httpx.post(f"{api.base_url}/jobs", json={"rows": [[5.1, "x", 1.4, 0.2]]})
        too_many = httpx.post(f"{api.base_url}/jobs", json={"rows": [SETOSA] * 3})
        not_json = httpx.post(
            f"{api.base_url}/jobs", content=b"{", headers={"Content-Type": "application/json"}
        )
        unknown = httpx.get(f"{api.base_url}/jobs/0123456789abcdef")

    assert short_row.status_code == 422
    assert short_row.json()["error"] == "rows[0] has 3 values but the model expects 4"
    assert text.status_code == 422
    assert "rows[0][1] must be a number" in text.json()["error"]
    assert too_many.status_code == 413
    assert not_json.status_code == 400
    assert unknown.status_code == 404
    assert "'0123456789abcdef'" in unknown.json()["error"]
    assert stack.client().dbsize() == 0  # no job record, no stream entry


def test_a_full_queue_refuses_new_jobs_with_503(stack: JobStack):
    api = stack.start_api(JOB_API_MAX_QUEUE_LENGTH="2")
    with running(api):
        submit(api, [SETOSA])
        submit(api, [SETOSA])
        refused = httpx.post(f"{api.base_url}/jobs", json={"rows": [SETOSA]})

    assert refused.status_code == 503
    assert "maximum of 2 jobs" in refused.json()["error"]
    assert refused.headers["Retry-After"] == "1"


def test_without_redis_the_api_is_not_ready_and_answers_503(tmp_path: Path, model_path: Path):
    with (
        redis_server(tmp_path, private=True) as redis,
        job_stack(redis, 0, tmp_path / "logs", model_path) as stack,
    ):
        api = stack.start_api(JOB_API_REDIS_TIMEOUT_S="0.5")
        with running(api):
            job_id = submit(api, [SETOSA])
            redis.kill()
            wait_until(lambda: status(f"{api.base_url}/v2/health/ready") == 503, what="not ready")
            refused = httpx.post(f"{api.base_url}/jobs", json={"rows": [SETOSA]})
            lookup = httpx.get(f"{api.base_url}/jobs/{job_id}")
            live = status(f"{api.base_url}/v2/health/live")

    assert refused.status_code == 503
    assert "the queue (Redis) is unavailable" in refused.json()["error"]
    assert lookup.status_code == 503
    assert live == 200
