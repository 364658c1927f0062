"""The Redis side of a job, driven directly: what each script guarantees."""

import json
import time

import pytest
import redis

from app.jobs.consumer import ConsumerConfig, FifoLease, JobConsumer, Outcome
from app.jobs.records import GROUP, JobRecord, JobStatus, QueueKeys
from app.jobs.scripts import ENQUEUE, job_script
from tests.redis_server import RedisServer

KEYS = QueueKeys("unit")


@pytest.fixture
def client(redis: RedisServer, db: int) -> redis.Redis:
    return redis.client(db)


def consumer(client: redis.Redis, name: str = "w1", **overrides: int) -> JobConsumer:
    config = {
        "visibility_timeout_ms": 60_000,
        "max_age_ms": 60_000,
        "max_attempts": 3,
        "ttl_s": 100,
        "block_ms": 10,
        **overrides,
    }
    taker = JobConsumer(client, KEYS, ConsumerConfig(name=name, **config))
    taker.ensure_group()
    return taker


def enqueue(client: redis.Redis, job_id: str, rows: list[list[float]] | None = None) -> None:
    script = client.register_script(job_script(ENQUEUE))
    args = [job_id, json.dumps(rows or [[1.0, 2.0, 3.0, 4.0]]), 100, 1000]
    assert script(keys=[KEYS.job(job_id), KEYS.stream], args=args) == 1


def record(client: redis.Redis, job_id: str) -> JobRecord:
    return JobRecord.from_hash(job_id, client.hgetall(KEYS.job(job_id)))


def test_the_first_terminal_answer_wins_over_a_redelivered_copy(client: redis.Redis):
    enqueue(client, "a")
    first = consumer(client, "w1")
    (entry,) = first.take(10)
    (job,), _ = first.start([entry])
    # w1 is presumed dead; w2 claims the entry and answers first.
    second = consumer(client, "w2", visibility_timeout_ms=0)
    (again,) = second.take(10)
    (copy,), _ = second.start([again])

    assert second.settle([Outcome(copy, result='{"answer": 1}')]) == 1
    assert first.settle([Outcome(job, result='{"answer": 2}')]) == 0
    assert record(client, "a").result == {"answer": 1}
    assert record(client, "a").attempts == 2
    assert client.xlen(KEYS.stream) == 0
    assert client.xpending(KEYS.stream, GROUP)["pending"] == 0


def test_a_finished_job_delivered_again_is_settled_without_running(client: redis.Redis):
    enqueue(client, "a")
    first = consumer(client, "w1")
    (entry,) = first.take(10)
    (job,), _ = first.start([entry])
    first.settle([Outcome(job, result="{}")])

    started, skipped = first.start([entry])

    assert started == []
    assert skipped == ["duplicate"]


def test_a_failed_attempt_stays_pending_and_shows_its_error_while_queued(client: redis.Redis):
    enqueue(client, "a")
    taker = consumer(client, visibility_timeout_ms=0)
    (entry,) = taker.take(10)
    (job,), _ = taker.start([entry])
    taker.settle([Outcome(job, error="boom", retry=True)])

    assert record(client, "a").status == JobStatus.QUEUED
    assert record(client, "a").error == "boom"
    (again,) = taker.take(10)  # claimed again
    assert (again.entry_id, again.redelivered) == (entry.entry_id, True)


def test_a_job_whose_worker_died_during_its_last_attempt_is_failed(client: redis.Redis):
    enqueue(client, "a")
    taker = consumer(client, max_attempts=1, visibility_timeout_ms=0)
    (entry,) = taker.take(10)
    taker.start([entry])  # ... and the worker dies

    started, skipped = taker.start(taker.take(10))

    assert started == []
    assert skipped == ["failed"]
    failed = record(client, "a")
    assert failed.status == JobStatus.FAILED
    assert failed.error == "gave up after 1 attempts: its worker stopped during the attempt"
    assert client.ttl(KEYS.job("a")) > 0


def test_a_job_past_its_maximum_age_expires_when_taken(client: redis.Redis):
    enqueue(client, "a")
    taker = consumer(client, max_age_ms=1)
    time.sleep(0.01)

    started, skipped = taker.start(taker.take(10))

    assert (started, skipped) == ([], ["expired"])
    assert record(client, "a").status == JobStatus.EXPIRED
    assert client.xlen(KEYS.stream) == 0


def test_a_job_whose_record_expired_from_the_store_is_dropped(client: redis.Redis):
    enqueue(client, "a")
    client.delete(KEYS.job("a"))
    taker = consumer(client)

    assert taker.start(taker.take(10)) == ([], ["gone"])
    assert client.exists(KEYS.job("a")) == 0  # not written back by the settle


def test_the_enqueue_script_refuses_a_full_queue(client: redis.Redis):
    script = client.register_script(job_script(ENQUEUE))
    keys = [KEYS.job("b"), KEYS.stream]
    enqueue(client, "a")

    assert script(keys=keys, args=["b", "[]", 100, 1]) == 0
    assert client.exists(KEYS.job("b")) == 0


def test_the_fifo_lease_has_one_holder_until_released_or_lapsed(client: redis.Redis):
    active = FifoLease(client, KEYS, "w1", ttl_ms=200)
    standby = FifoLease(client, KEYS, "w2", ttl_ms=200)

    assert active.hold()
    assert not standby.hold()
    assert active.hold()  # renewed
    active.release()
    assert standby.hold()
    time.sleep(0.3)  # w2 stops renewing: the lease lapses
    assert active.hold()
