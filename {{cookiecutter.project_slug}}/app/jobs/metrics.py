"""Prometheus metrics of the job API (HTTP traffic, the backlog) and of the worker."""

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from app.http.metrics import HttpMetrics
from app.jobs.queue import QueueStats

_BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)
_INFERENCE_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25, 1.0)


class ModelInfo:
    """The `<prefix>_model_info` gauge: 1 for the model loaded, labelled name and version."""

    def __init__(self, prefix: str, registry: CollectorRegistry) -> None:
        self.gauge = Gauge(
            f"{prefix}_model_info",
            "1 for the model loaded, labelled with its name and version.",
            ["name", "version"],
            registry=registry,
        )

    def model_loaded(self, name: str, version: str) -> None:
        """Mark the model now loaded."""
        self.gauge.labels(name, version).set(1)


class JobApiMetrics(HttpMetrics):
    """HTTP traffic, the model, and the queue's backlog as the API last measured it."""

    def __init__(self) -> None:
        super().__init__("job_api")
        self.model = ModelInfo("job_api", self.registry)
        self.queue_depth = Gauge(
            "job_api_queue_depth",
            "Jobs in the queue, waiting or running (measured every second).",
            registry=self.registry,
        )
        self.oldest_job_age = Gauge(
            "job_api_queue_oldest_job_age_seconds",
            "How long ago the oldest job still in the queue was accepted; 0 when empty.",
            registry=self.registry,
        )
        self.redis_up = Gauge(
            "job_api_redis_up", "1 while Redis answers, else 0.", registry=self.registry
        )

    def observe_queue(self, stats: QueueStats | None) -> None:
        """Record a measurement, or None when Redis did not answer."""
        self.redis_up.set(0 if stats is None else 1)
        if stats is not None:
            self.queue_depth.set(stats.depth)
            self.oldest_job_age.set(stats.oldest_age_s)


class WorkerMetrics:
    """What the worker did with the jobs it took; also the runner's InferenceObserver."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.model = ModelInfo("worker", self.registry)
        self.jobs = Counter(
            "worker_jobs",
            "Jobs taken, by outcome: done, failed, expired, retried, duplicate (a finished "
            "job delivered again), gone (its record expired first).",
            ["outcome"],
            registry=self.registry,
        )
        self.batch_size = Histogram(
            "worker_batch_jobs",
            "Jobs per batch taken from the queue.",
            buckets=_BATCH_BUCKETS,
            registry=self.registry,
        )
        self.inference_duration = Histogram(
            "worker_model_inference_duration_seconds",
            "Time spent inside the model for one batch.",
            buckets=_INFERENCE_BUCKETS,
            registry=self.registry,
        )
        self.redis_up = Gauge(
            "worker_redis_up", "1 while Redis answers, else 0.", registry=self.registry
        )

    def observe_inference(self, seconds: float, batch_size: int) -> None:
        """Record one model call (InferenceObserver)."""
        del batch_size  # rows per call: the jobs per batch say more here
        self.inference_duration.observe(seconds)

    def count(self, outcome: str, jobs: int = 1) -> None:
        """Count jobs that ended (or were skipped) one way."""
        if jobs:
            self.jobs.labels(outcome).inc(jobs)
