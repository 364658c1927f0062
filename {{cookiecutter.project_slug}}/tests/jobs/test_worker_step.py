"""One turn of the worker's loop, in-process against a real Redis and the real model."""

import json
import threading
import time
from pathlib import Path

from app.jobs.records import QueueKeys
from app.jobs.scripts import ENQUEUE, job_script
from app.jobs.settings import WorkerSettings
from app.jobs.worker import build_worker
from tests.redis_server import RedisServer
from tests.support import SETOSA


def test_jobs_claimed_from_a_stopped_worker_run_one_batch_each(
    redis: RedisServer, db: int, model_path: Path
):
    # A poison job that kills its worker must not spend its batch-mates' attempts as well:
    # what was claimed after a crash is started and run one job at a time.
    client = redis.client(db)
    settings = WorkerSettings(
        redis_url=redis.url(db), queue_name="step", batch_size=8, visibility_timeout_s=0.05
    )
    enqueue = client.register_script(job_script(ENQUEUE))
    keys = QueueKeys("step")
    for index in range(3):
        job_id = f"job-{index}"
        enqueue(keys=[keys.job(job_id), keys.stream], args=[job_id, json.dumps([SETOSA]), 100, 99])

    crashed = build_worker(settings.model_copy(update={"consumer_name": "crashed"}), client)
    crashed.consumer.ensure_group()
    assert len(crashed.consumer.take(8)) == 3  # read, never settled: it "died" here
    time.sleep(0.1)  # past the visibility timeout

    survivor = build_worker(settings.model_copy(update={"consumer_name": "survivor"}), client)
    survivor.runner.load(str(model_path))
    survivor.step(threading.Event())

    batches = survivor.metrics.batch_size.collect()[0].samples
    count = next(sample.value for sample in batches if sample.name.endswith("_count"))
    assert count == 3  # three batches of one, not one of three
    statuses = {client.hget(keys.job(f"job-{index}"), "status") for index in range(3)}
    assert statuses == {b"done"}
