"""The queue worker: takes jobs from Redis in batches and runs the model on them.

Run it with:
    python -m app.jobs.worker

SIGTERM (or Ctrl-C) lets the current batch finish, hands a fifo lease back, and exits 0.
"""

import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Sequence
from contextlib import nullcontext, suppress

import redis
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from redis.retry import Retry

from app.jobs.consumer import ConsumerConfig, Entry, FifoLease, JobConsumer
from app.jobs.health import HealthServer
from app.jobs.inference import Fault, fail_on_first_value, no_fault, run_jobs
from app.jobs.metrics import WorkerMetrics
from app.jobs.model import load_model
from app.jobs.records import QueueKeys
from app.jobs.settings import WorkerSettings
from app.logs import configure_logging
from app.model.runner import ModelRunner

logger = logging.getLogger("app.jobs.worker")  # not __main__ under `python -m`

# The API bounds each job's rows; the worker runs whatever it accepted, many jobs at once.
_UNBOUNDED_ROWS = 2**31
_REDIS_RETRY_S = 1.0


class Worker:
    """The loop: hold the lease (fifo), take a batch, start, run and settle its jobs."""

    def __init__(
        self,
        settings: WorkerSettings,
        runner: ModelRunner,
        consumer: JobConsumer,
        metrics: WorkerMetrics,
        lease: FifoLease | None = None,
    ) -> None:
        self.settings = settings
        self.runner = runner
        self.consumer = consumer
        self.metrics = metrics
        self.lease = lease
        self.redis_ok = False
        self._outage = False
        self._group_ready = False
        self._fault: Fault = no_fault
        if settings.test_fail_value is not None:
            self._fault = fail_on_first_value(settings.test_fail_value)

    @property
    def ready(self) -> bool:
        """The model is loaded and Redis answered the last call."""
        return self.runner.ready and self.redis_ok

    def run(self, stop: threading.Event) -> None:
        """Work until `stop` is set; a Redis outage pauses the loop, never ends it."""
        while not stop.is_set():
            try:
                self.step(stop)
                self._redis_answered()
            except RedisError as error:
                if "NOGROUP" in str(error):  # Redis lost its data (restarted without it)
                    self._group_ready = False
                self._redis_answered(error)
                stop.wait(_REDIS_RETRY_S)
        if self.lease is not None:
            with suppress(RedisError):  # unreleased, it lapses by itself
                self.lease.release()

    def step(self, stop: threading.Event) -> None:
        """One turn of the loop: at most one batch."""
        if not self._group_ready:
            self.consumer.ensure_group()
            self._group_ready = True
        if self.lease is not None and not self.lease.hold():
            stop.wait(self.settings.block_s)  # standby: another worker is active
            return
        entries = self.consumer.take(self.settings.batch_size, claim_all=self.lease is not None)
        if not entries:
            return
        # Jobs claimed from a worker that stopped run one at a time: if one of them is what
        # killed it (a crash, an OOM kill), it must not spend its batch-mates' attempts too.
        batches = [[entry] for entry in entries] if entries[0].redelivered else [entries]
        with self.lease.kept() if self.lease is not None else nullcontext():
            for batch in batches:
                self.process(batch)

    def process(self, entries: Sequence[Entry]) -> None:
        """Start, run and settle one batch."""
        started, skipped = self.consumer.start(entries)
        for action in skipped:
            self.metrics.count(action)
        if not started:
            return
        self.metrics.batch_size.observe(len(started))
        if self.settings.test_delay_s:
            time.sleep(self.settings.test_delay_s)
        outcomes = run_jobs(self.runner, started, self.settings.max_attempts, self._fault)
        written = self.consumer.settle(outcomes)
        done = sum(1 for outcome in outcomes if outcome.result is not None)
        retried = sum(1 for outcome in outcomes if outcome.retry)
        failed = len(outcomes) - done - retried
        self.metrics.count("done", done)
        self.metrics.count("failed", failed)
        self.metrics.count("retried", retried)
        self.metrics.count("duplicate", done + failed - written)
        logger.info(
            "batch of %d jobs: %d done, %d failed, %d to retry",
            len(outcomes),
            done,
            failed,
            retried,
            extra={"jobs": len(outcomes), "done": done, "failed": failed, "retried": retried},
        )

    def _redis_answered(self, error: RedisError | None = None) -> None:
        # One line when an outage starts and one when it ends, not one per retry.
        if error is None and self._outage:
            logger.info("redis answers again; taking jobs")
        elif error is not None and not self._outage:
            logger.error("redis does not answer, retrying every %gs: %s", _REDIS_RETRY_S, error)
        self._outage = error is not None
        self.redis_ok = error is None
        self.metrics.redis_up.set(1 if self.redis_ok else 0)


def build_worker(settings: WorkerSettings, client: "redis.Redis") -> Worker:
    """A worker and its parts, from settings."""
    metrics = WorkerMetrics()
    runner = ModelRunner(
        max_batch_size=_UNBOUNDED_ROWS,
        inference_threads=settings.inference_threads,
        observer=metrics,
    )
    keys = QueueKeys(settings.queue_name)
    name = settings.consumer_name or f"{socket.gethostname()}-{os.getpid()}"
    config = ConsumerConfig(
        name=name,
        visibility_timeout_ms=round(settings.visibility_timeout_s * 1000),
        max_age_ms=round(settings.max_job_age_s * 1000),
        max_attempts=settings.max_attempts,
        ttl_s=settings.result_ttl_s,
        block_ms=round(settings.block_s * 1000),
    )
    lease = None
    if settings.ordering == "fifo":
        lease = FifoLease(client, keys, name, round(settings.lease_ttl_s * 1000))
    return Worker(settings, runner, JobConsumer(client, keys, config), metrics, lease)


def main() -> int:
    """Serve the probes, load the model, work until SIGTERM; 1 if the model cannot load."""
    settings = WorkerSettings()
    configure_logging(settings.log_level)
    for variable in WorkerSettings.unknown_variables():
        logger.warning("ignoring %s: no setting has that name (a typo?)", variable)
    client = redis.Redis.from_url(
        settings.redis_url,
        socket_timeout=settings.redis_timeout_s + settings.block_s,  # a read blocks block_s
        socket_connect_timeout=settings.redis_timeout_s,
        # No silent retries inside the client: the loop retries every second and says so,
        # and a script pipeline sent twice would count a job's attempt twice.
        retry=Retry(NoBackoff(), 0),
    )
    worker = build_worker(settings, client)
    # Every interface: the probes come from outside the container.
    host = "0.0.0.0"  # noqa: S104
    health = HealthServer(host, settings.health_port, lambda: worker.ready, worker.metrics.registry)
    health.start()
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda _signum, _frame: stop.set())
    try:
        if not load_model(worker.runner, settings, worker.metrics.model.model_loaded):
            return 1
        logger.info(
            "worker %s taking jobs from %s (%s)",
            worker.consumer.name,
            settings.queue_name,
            settings.ordering,
        )
        worker.run(stop)
        logger.info("stopped")
        return 0
    finally:
        health.stop()
        client.close()


if __name__ == "__main__":
    raise SystemExit(main())
