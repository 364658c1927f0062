"""A private redis-server for the benchmarks: a free port, no persistence, stopped after."""

import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import redis

from bench.predictor import free_port


@contextmanager
def private_redis(work_dir: Path) -> Iterator[str]:
    """A redis-server of our own on a free port; yields its URL, redis://127.0.0.1:<port>
    (database 0; append /<n> for another)."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit(
            "redis-server not found: apt-get install redis-server / brew install redis"
        )
    port = free_port()
    command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    command += ["--appendonly", "no", "--dir", str(work_dir)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis.from_url(url).ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
