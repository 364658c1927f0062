"""At-least-once delivery, exactly-once answers: crashes, retries and expiry, end to end."""

from typing import Any

from tests.jobs.harness import JobStack, metric, pause, read, submit, wait_for_all
from tests.processes import running
from tests.support import SETOSA, VIRGINICA, wait_until


def test_a_worker_killed_mid_batch_loses_no_job_and_no_answer_ever_changes(stack: JobStack):
    api = stack.start_api()
    # Each batch is held 4 s before it runs: far longer than one poll of every job takes,
    # even on a loaded machine, so the SIGKILL lands while the batch seen running is still
    # in the worker's hands (checked below, once the worker is dead).
    first = stack.start_worker(WORKER_BATCH_SIZE="4", WORKER_TEST_DELAY_S="4")
    with running(api, first):
        job_ids = [submit(api, [SETOSA if index % 2 else VIRGINICA]) for index in range(24)]
        # A client's view: the first terminal answer seen for each job.
        seen: dict[str, dict[str, Any]] = {}
        running_when_killed: list[str] = []

        def remember(latest: dict[str, dict[str, Any]]) -> None:
            for job_id, body in latest.items():
                if body["status"] == "done":
                    assert seen.setdefault(job_id, body) == body, "an answer changed"

        def some_done_and_more_running() -> bool:
            bodies = {job_id: read(api, job_id) for job_id in job_ids}
            remember(bodies)
            running_when_killed[:] = [
                job_id for job_id, body in bodies.items() if body["status"] == "running"
            ]
            statuses = [body["status"] for body in bodies.values()]
            return "done" in statuses and bool(running_when_killed)

        wait_until(some_done_and_more_running, 20, what="a batch to be running")
        first.kill()  # SIGKILL while it holds a batch: no chance to hand anything back
        # What the dead worker held: still running, with nobody left to finish it.
        held = [job for job in running_when_killed if read(api, job)["status"] == "running"]
        assert held, "the batch seen running finished before the kill landed"

        second = stack.start_worker(WORKER_BATCH_SIZE="4")
        with running(second):
            final = wait_for_all(api, job_ids, on_poll=remember)

    assert {body["status"] for body in final.values()} == {"done"}
    assert all(seen[job_id] == final[job_id] for job_id in job_ids)
    labels = [final[job_id]["result"]["predictions"][0]["label"] for job_id in job_ids]
    assert labels == ["virginica" if index % 2 == 0 else "setosa" for index in range(24)]
    # The killed batch was claimed after the visibility timeout and ran again.
    assert {final[job_id]["attempts"] for job_id in held} == {2}
    assert stack.client().xlen(stack.key("stream")) == 0  # settled entries are deleted


def test_a_job_older_than_the_maximum_age_is_expired_not_run(stack: JobStack):
    api = stack.start_api()
    with running(api):
        job_id = submit(api, [SETOSA])
        assert read(api, job_id)["status"] == "queued"
        wait_until(lambda: metric(api, "job_api_queue_depth") == 1, what="the depth gauge")
        assert metric(api, "job_api_queue_oldest_job_age_seconds") > 0
        pause(1.2)  # no worker runs: the job ages past WORKER_MAX_JOB_AGE_S

        worker = stack.start_worker(WORKER_MAX_JOB_AGE_S="1")
        with running(worker):
            body = wait_for_all(api, [job_id])[job_id]

    assert body["status"] == "expired"
    assert body["result"] is None
    assert "more than the maximum age of 1.0 s" in body["error"]
    assert body["attempts"] == 0


def test_a_job_failing_every_attempt_is_failed_with_its_error_and_others_still_run(
    stack: JobStack,
):
    api = stack.start_api()
    worker = stack.start_worker(WORKER_TEST_FAIL_VALUE="9.5", WORKER_MAX_ATTEMPTS="2")
    with running(api, worker):
        doomed = submit(api, [[9.5, 3.0, 5.2, 2.3]])
        fine = submit(api, [SETOSA])
        final = wait_for_all(api, [doomed, fine])

        assert final[fine]["status"] == "done"
        assert final[doomed]["status"] == "failed"
        assert final[doomed]["attempts"] == 2
        assert final[doomed]["error"].startswith("gave up after 2 attempts: test fault")
        assert metric(worker, "worker_jobs_total") == 3  # done, retried, failed
    assert stack.client().xlen(stack.key("stream")) == 0


def test_sigterm_lets_the_batch_in_hand_finish_then_exits_0(stack: JobStack):
    api = stack.start_api()
    worker = stack.start_worker(WORKER_TEST_DELAY_S="1", WORKER_ORDERING="fifo")
    with running(api, worker):
        job_id = submit(api, [SETOSA])
        wait_until(lambda: read(api, job_id)["status"] == "running", what="the job to run")
        worker.process.terminate()
        exit_code = worker.process.wait(timeout=10)
        body = read(api, job_id)

    assert exit_code == 0
    assert body["status"] == "done"
    assert body["attempts"] == 1
    assert stack.client().exists(stack.key("lease")) == 0  # handed back for a standby
