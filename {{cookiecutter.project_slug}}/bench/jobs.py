"""What does the queue cost? Enqueue latency, and the worker against bare Redis.

    python bench/jobs.py [--jobs 5000] [--seconds 3] [--batch-size 32]

Starts its own redis-server (on a free port, no persistence) and the services with their
run commands, then prints:
- per-row latency of the time-lag pattern's two models (iris-classifier, iris-forest);
- POST /jobs latency over real HTTP (one keep-alive client, no worker running);
- the worker's jobs/s draining a queue of `--jobs` jobs, against the bare Redis limit for
  the same work: a pipelined loop of the same stream read, acknowledgement and result
  write, with no model and no checks, at the same batch size.
Targets: enqueue p99 <= 5 ms; worker >= 50 % of the bare limit. The client, Redis and the
services share the machine's CPUs, so the figures are floors. Not a test: checks nothing.
"""

import argparse
import http.client
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path

import numpy as np
import redis

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `python bench/jobs.py` works

from app.jobs.records import GROUP, QueueKeys
from app.model.runner import ModelRunner
from app.training.formats import MODEL_FILE_NAMES, declared_format
from bench.predictor import IRIS_ROW, Result, free_port, time_calls, wait_until_ready
from bench.redis_server import private_redis

PROJECT_ROOT = Path(__file__).resolve().parents[1]
# The primary model's file depends on the project's model format (model.onnx or model.skops).
PRIMARY_MODEL_FILE = MODEL_FILE_NAMES[declared_format(PROJECT_ROOT / "pyproject.toml")]
HEADERS = {"Content-Type": "application/json"}


@contextmanager
def service(command: list[str], env: dict[str, str], port: int) -> Iterator[str]:
    """Start a service with its run command; yield its base URL once ready."""
    process = subprocess.Popen(
        command,
        cwd=PROJECT_ROOT,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(base_url)
        yield base_url
    finally:
        process.terminate()
        process.wait(timeout=10)


def model_latency(models: Path, seconds: float) -> None:
    """Per-row latency of the fast and the slow model, at batch 1 and 32."""
    print(f"{'model':<18} {'batch':>6} {'p50 µs/row':>12} {'p99 µs/row':>12}")
    for name, path in [
        ("iris-classifier", models / PRIMARY_MODEL_FILE),
        ("iris-forest", models / "iris-forest" / "model.onnx"),
    ]:
        runner = ModelRunner()
        runner.load(str(path))
        for batch in (1, 32):
            matrix = np.asarray([IRIS_ROW] * batch, dtype=np.float32)
            latencies, _rate = time_calls(partial(runner.predict_matrix, matrix), seconds / 4)
            result = Result(name, [latency / batch for latency in latencies], 0)
            print(
                f"{name:<18} {batch:>6} {result.percentile(50) * 1e6:>12.1f} "
                f"{result.percentile(99) * 1e6:>12.1f}"
            )


def bench_enqueue(port: int, jobs: int) -> Result:
    """POST /jobs `jobs` times on one keep-alive connection."""
    body = json.dumps({"rows": [IRIS_ROW]}).encode()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    latencies: list[float] = []
    started = time.perf_counter()
    for _ in range(jobs):
        before = time.perf_counter()
        connection.request("POST", "/jobs", body=body, headers=HEADERS)
        response = connection.getresponse()
        response.read()
        latencies.append(time.perf_counter() - before)
        if response.status != 202:
            raise RuntimeError(f"POST /jobs answered {response.status}")
    connection.close()
    return Result("HTTP POST /jobs", latencies, jobs / (time.perf_counter() - started))


def drain_rate(client: redis.Redis, keys: QueueKeys, jobs: int) -> float:
    """Wait until the worker has settled every job; jobs/s between first and last answer."""
    deadline = time.monotonic() + 300
    while client.xlen(keys.stream) and time.monotonic() < deadline:
        time.sleep(0.05)
    with client.pipeline(transaction=False) as pipe:
        for key in client.scan_iter(match=keys.job("*"), count=1000):
            pipe.hget(key, "finished_at")
        finished = sorted(float(value) for value in pipe.execute() if value)
    if len(finished) != jobs:
        raise RuntimeError(f"{len(finished)} of {jobs} jobs finished")
    return (jobs - 1) / (finished[-1] - finished[0])


def bare_rate(client: redis.Redis, jobs: int, batch_size: int) -> float:
    """The same stream read, acknowledgement and result write, pipelined, no model."""
    stream, result = "bare:stream", json.dumps({"predictions": [{"label": "setosa"}]})
    with client.pipeline(transaction=False) as pipe:
        for index in range(jobs):
            pipe.hset(f"bare:job:{index}", mapping={"status": "queued", "rows": "[]"})
            pipe.xadd(stream, {"job": str(index)})
        pipe.execute()
    client.xgroup_create(stream, GROUP, id="0")
    started = time.perf_counter()
    done = 0
    while done < jobs:
        answer = client.xreadgroup(GROUP, "bare", {stream: ">"}, count=batch_size)
        entries = answer[0][1]
        with client.pipeline(transaction=False) as pipe:
            for entry_id, fields in entries:
                pipe.hset(f"bare:job:{fields[b'job'].decode()}", mapping={"result": result})
                pipe.xack(stream, GROUP, entry_id)
                pipe.xdel(stream, entry_id)
            pipe.execute()
        done += len(entries)
    return jobs / (time.perf_counter() - started)


def main() -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=Path, default=PROJECT_ROOT / "models")
    parser.add_argument("--jobs", type=int, default=5000)
    parser.add_argument("--seconds", type=float, default=3.0, help="per model latency scenario")
    parser.add_argument("--batch-size", type=int, default=32)
    arguments = parser.parse_args()
    models = arguments.models.resolve()
    if not (models / "iris-forest" / "model.onnx").exists():
        print(f"{models} lacks the models: python -m app.training --out models --models all")
        return 2
    print(f"{os.cpu_count()} CPUs, {arguments.jobs} jobs of one row, batch {arguments.batch_size}")
    model_latency(models, arguments.seconds)
    with tempfile.TemporaryDirectory() as work_dir, private_redis(Path(work_dir)) as url:
        client = redis.Redis.from_url(url)
        keys = QueueKeys("bench")
        common = {"REDIS_URL": url, "QUEUE_NAME": "bench", "LOG_LEVEL": "WARNING"}
        api_env = {f"JOB_API_{k}": v for k, v in common.items()}
        api_env |= {"JOB_API_MODEL_URI": str(models / PRIMARY_MODEL_FILE)}
        api_env |= {"JOB_API_MAX_QUEUE_LENGTH": str(arguments.jobs * 2)}
        api_port = free_port()
        api_command = [sys.executable, "-m", "uvicorn", "app.jobs.api:create_app", "--factory"]
        api_command += ["--host", "127.0.0.1", "--port", str(api_port)]
        with service(api_command, api_env, api_port):
            enqueue = bench_enqueue(api_port, arguments.jobs)
        worker_port = free_port()
        worker_env = {f"WORKER_{k}": v for k, v in common.items()}
        worker_env |= {
            "WORKER_MODEL_URI": str(models / PRIMARY_MODEL_FILE),
            "WORKER_HEALTH_PORT": str(worker_port),
            "WORKER_BATCH_SIZE": str(arguments.batch_size),
        }
        with service([sys.executable, "-m", "app.jobs.worker"], worker_env, worker_port):
            worker = drain_rate(client, keys, arguments.jobs)
        bare = bare_rate(client, arguments.jobs, arguments.batch_size)
    print(
        f"\nenqueue (POST /jobs over HTTP): p50 {enqueue.percentile(50) * 1e3:.2f} ms, "
        f"p99 {enqueue.percentile(99) * 1e3:.2f} ms, {enqueue.per_second:.0f} jobs/s "
        f"(target p99 <= 5 ms)"
    )
    print(
        f"worker: {worker:.0f} jobs/s; bare Redis loop: {bare:.0f} jobs/s; "
        f"ratio {100 * worker / bare:.0f} % (target >= 50 %)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
