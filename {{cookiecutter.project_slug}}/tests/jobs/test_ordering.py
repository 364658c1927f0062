"""Ordering: fifo (one active worker under a lease, strict order) and unordered (scaled)."""

from tests.jobs.harness import JobStack, metric, submit, wait_for_all
from tests.processes import running
from tests.support import SETOSA, wait_until


def _finish_order(stack: JobStack, job_ids: list[str]) -> list[tuple[float, str]]:
    client = stack.client()
    return [
        (float(client.hget(stack.key(f"job:{job_id}"), "finished_at")), job_id)
        for job_id in job_ids
    ]


def _workers(stack: JobStack, job_ids: list[str]) -> set[str]:
    client = stack.client()
    return {client.hget(stack.key(f"job:{job_id}"), "worker").decode() for job_id in job_ids}


def test_fifo_runs_jobs_in_acceptance_order_on_one_worker_and_a_standby_takes_over(
    stack: JobStack,
):
    fifo = {"WORKER_ORDERING": "fifo", "WORKER_BATCH_SIZE": "2", "WORKER_TEST_DELAY_S": "0.05"}
    api = stack.start_api()
    first, second = stack.start_worker(**fifo), stack.start_worker(**fifo)
    with running(api, first, second):
        before = [submit(api, [SETOSA]) for _ in range(12)]
        wait_for_all(api, before)
        (active,) = _workers(stack, before)  # the standby ran nothing
        survivor = second if active == first.name else first
        (first if active == first.name else second).kill()

        after = [submit(api, [SETOSA]) for _ in range(8)]
        final = wait_for_all(api, after)

    assert {body["status"] for body in final.values()} == {"done"}
    assert _workers(stack, after) == {survivor.name}
    order = _finish_order(stack, before + after)
    assert [job_id for _time, job_id in sorted(order)] == before + after


def test_unordered_workers_share_the_queue_and_run_each_job_once(stack: JobStack):
    scaled = {"WORKER_BATCH_SIZE": "1", "WORKER_TEST_DELAY_S": "0.05"}
    api = stack.start_api()
    first, second = stack.start_worker(**scaled), stack.start_worker(**scaled)
    with running(api, first, second):
        job_ids = [submit(api, [SETOSA]) for _ in range(20)]
        final = wait_for_all(api, job_ids)
        wait_until(
            lambda: metric(first, "worker_jobs_total") + metric(second, "worker_jobs_total") == 20,
            what="both workers' counters",
        )
        assert metric(first, "worker_jobs_total") > 0
        assert metric(second, "worker_jobs_total") > 0

    assert {body["status"] for body in final.values()} == {"done"}
    assert {body["attempts"] for body in final.values()} == {1}
    assert _workers(stack, job_ids) == {first.name, second.name}


def test_fifo_keeps_its_lease_through_a_batch_slower_than_the_lease(stack: JobStack):
    # Each batch is held 2.5 s, more than the 1 s lease: the lease is renewed while it runs,
    # so the standby never takes over jobs the active worker still holds.
    slow = {
        "WORKER_ORDERING": "fifo",
        "WORKER_BATCH_SIZE": "2",
        "WORKER_LEASE_TTL_S": "1",
        "WORKER_BLOCK_S": "0.2",
        "WORKER_TEST_DELAY_S": "2.5",
    }
    api = stack.start_api()
    first, second = stack.start_worker(**slow), stack.start_worker(**slow)
    with running(api, first, second):
        job_ids = [submit(api, [SETOSA]) for _ in range(4)]
        final = wait_for_all(api, job_ids)

    assert {body["attempts"] for body in final.values()} == {1}  # nothing was taken over
    assert len(_workers(stack, job_ids)) == 1
    order = _finish_order(stack, job_ids)
    assert [job_id for _time, job_id in sorted(order)] == job_ids


def test_a_fifo_worker_recreates_the_queue_when_redis_lost_its_data(stack: JobStack):
    api = stack.start_api()
    worker = stack.start_worker(WORKER_ORDERING="fifo")
    with running(api, worker):
        wait_for_all(api, [submit(api, [SETOSA])])
        stack.client().flushdb()  # as a restart without persistence would leave it

        job_id = submit(api, [SETOSA])
        final = wait_for_all(api, [job_id])

    assert final[job_id]["status"] == "done"
