"""Time-lag: the fast model answers in the response; the slow model's answer comes by job."""

from pathlib import Path

import httpx

from tests.jobs.harness import JobStack, wait_for_all
from tests.processes import running
from tests.support import VIRGINICA


def test_the_fast_answer_comes_at_once_and_the_slow_one_through_the_job(
    stack: JobStack, model_dir: Path
):
    api = stack.start_api(JOB_API_SYNC_PREDICT="true")
    worker = stack.start_worker(model=model_dir / "iris-forest" / "model.onnx")
    with running(api, worker):
        response = httpx.post(f"{api.base_url}/predict", json={"rows": [VIRGINICA]})
        body = response.json()
        job = body["job"]
        slow = wait_for_all(api, [job["job_id"]])[job["job_id"]]
        bad = httpx.post(f"{api.base_url}/predict", json={"rows": [[1.0]]})

    assert response.status_code == 200
    assert body["model_name"] == "iris-classifier"
    assert body["predictions"][0]["label"] == "virginica"
    assert job["status"] == "queued"
    assert job["status_url"] == f"/jobs/{job['job_id']}"
    assert slow["status"] == "done"
    assert slow["result"]["model_name"] == "iris-forest"
    assert slow["result"]["predictions"][0]["label"] == "virginica"
    assert bad.status_code == 422
    assert stack.client().xlen(stack.key("stream")) == 0
