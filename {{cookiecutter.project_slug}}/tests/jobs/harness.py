"""The job services as deployments run them: a job API and workers, real processes on Redis."""

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import redis

from tests.processes import RunningService, start_process, start_service
from tests.redis_server import RedisServer
from tests.support import free_port, wait_until

JOB_API = "app.jobs.api:create_app"
WORKER = [sys.executable, "-m", "app.jobs.worker"]
TERMINAL = {"done", "failed", "expired"}

# Short times, so crashes, retries and expiry play out in about a second.
FAST_WORKER = {
    "WORKER_VISIBILITY_TIMEOUT_S": "1",
    "WORKER_BLOCK_S": "0.2",
    "WORKER_LEASE_TTL_S": "1",
}


@dataclass
class JobStack:
    """One queue (its own key prefix on a test Redis) and the processes serving it."""

    redis: RedisServer
    queue: str
    db: int
    log_dir: Path
    model: Path
    services: list[RunningService] = field(default_factory=list)
    _workers: int = 0

    def start_api(self, **env: str) -> RunningService:
        """Start a job API on this queue, `env` naming its extra settings; no wait."""
        settings = {"MODEL_URI": str(self.model)}
        api_env = {**self._env("JOB_API_", settings), **env}
        api = start_service("job-api", JOB_API, api_env, self.log_dir)
        self.services.append(api)
        return api

    def start_worker(self, model: Path | None = None, **env: str) -> RunningService:
        """Start a worker (`python -m app.jobs.worker`) on this queue, `env` naming its
        extra settings; no wait."""
        self._workers += 1
        port = free_port()
        name = f"worker-{self._workers}"
        settings = {
            "MODEL_URI": str(model or self.model),
            "HEALTH_PORT": str(port),
            "CONSUMER_NAME": name,
        }
        worker_env = {**self._env("WORKER_", settings), **FAST_WORKER, **env}
        worker = start_process(name, WORKER, worker_env, self.log_dir, port)
        self.services.append(worker)
        return worker

    def client(self) -> "redis.Redis":
        """A Redis client on this stack's database."""
        return self.redis.client(self.db)

    def key(self, suffix: str) -> str:
        """One of this queue's Redis keys."""
        return f"{self.queue}:{suffix}"

    def _env(self, prefix: str, settings: dict[str, str]) -> dict[str, str]:
        base = {"REDIS_URL": self.redis.url(self.db), "QUEUE_NAME": self.queue, "LOG_LEVEL": "INFO"}
        return {f"{prefix}{name.upper()}": value for name, value in {**base, **settings}.items()}


@contextmanager
def job_stack(redis: RedisServer, db: int, log_dir: Path, model: Path) -> Iterator[JobStack]:
    """A stack whose processes are all stopped (SIGTERM) at the end."""
    stack = JobStack(redis, f"q{db}", db, log_dir, model)
    try:
        yield stack
    finally:
        for service in stack.services:
            service.stop()


def submit(api: RunningService, rows: list[Any]) -> str:
    """POST /jobs; returns the job id (and checks the 202 and its Location)."""
    response = httpx.post(f"{api.base_url}/jobs", json={"rows": rows}, timeout=5)
    assert response.status_code == 202, response.text
    job_id: str = response.json()["job_id"]
    assert response.headers["Location"] == f"/jobs/{job_id}"
    return job_id


def read(api: RunningService, job_id: str) -> dict[str, Any]:
    """GET /jobs/{job_id}'s body (which must answer 200)."""
    response = httpx.get(f"{api.base_url}/jobs/{job_id}", timeout=5)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def wait_for_all(
    api: RunningService,
    job_ids: list[str],
    timeout_s: float = 30.0,
    on_poll: Callable[[dict[str, dict[str, Any]]], None] | None = None,
) -> dict[str, dict[str, Any]]:
    """Poll every job until each is terminal, as a client would; returns the last bodies."""
    latest: dict[str, dict[str, Any]] = {}

    def all_terminal() -> bool:
        for job_id in job_ids:
            if latest.get(job_id, {}).get("status") not in TERMINAL:
                latest[job_id] = read(api, job_id)
        if on_poll is not None:
            on_poll(latest)
        return all(body["status"] in TERMINAL for body in latest.values())

    wait_until(all_terminal, timeout_s, what=f"{len(job_ids)} jobs to finish")
    return latest


def metric(service: RunningService, name: str) -> float:
    """The sum of one metric's samples in /metrics (0 when absent)."""
    text = httpx.get(f"{service.base_url}/metrics", timeout=5).text
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith((f"{name} ", f"{name}{{"))
    )


def pause(seconds: float) -> None:
    """Let time pass on purpose (a job's age), not to wait for something to happen."""
    time.sleep(seconds)
