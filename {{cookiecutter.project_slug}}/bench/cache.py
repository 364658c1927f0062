"""What does a cache hit cost? The cached predictors against the plain one, over real HTTP.

    python bench/cache.py [--model models/model.onnx] [--seconds 3]

Starts its own redis-server (on a free port, nothing saved) and the services with their
run commands (uvicorn, one process each), then measures, one request at a time:
- prediction cache: POST /predict answered from the cache (a hit) against the same request
  to a plain predictor on the same model, and one bare Redis GET from Python; the target
  is a hit costing no more than the uncached request plus one GET;
- data cache: POST /predict/by-id for one record on a hit and on a miss (the cache is
  flushed, untimed, before each), and the data store's read time (SQLite, 10,000 records).
The client shares the machine: figures are for comparing with each other, not capacity.
Not a test: it prints numbers and checks nothing.
"""

import argparse
import http.client
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import numpy as np
import redis

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `python bench/cache.py` works

from app.training.formats import MODEL_FILE_NAMES, declared_format
from bench.predictor import free_port, wait_until_ready
from bench.redis_server import private_redis

PROJECT_ROOT = Path(__file__).resolve().parents[1]
# The primary model's file depends on the project's model format (model.onnx or model.skops).
PRIMARY_MODEL_FILE = MODEL_FILE_NAMES[declared_format(PROJECT_ROOT / "pyproject.toml")]
ROW = [5.1, 3.5, 1.4, 0.2]
HEADERS = {"Content-Type": "application/json"}
RECORDS = 10_000
ROUNDS = 5


def p50_us(latencies: list[float]) -> float:
    """Median latency in microseconds."""
    return float(np.percentile(latencies, 50)) * 1e6


def time_calls(
    call: Callable[[], object], seconds: float, before: Callable[[], object] | None = None
) -> list[float]:
    """Latencies of `call` repeated for `seconds` after a warm-up; `before` runs untimed."""
    for _ in range(100):
        if before:
            before()
        call()
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        if before:
            before()
        started = time.perf_counter()
        call()
        latencies.append(time.perf_counter() - started)
    return latencies


def interleaved(calls: dict[str, Callable[[], object]], seconds: float) -> dict[str, float]:
    """Each call's best p50 (µs) over ROUNDS rounds taken in turn, so that a busy
    spell of a shared machine cannot favour one of them."""
    best = dict.fromkeys(calls, float("inf"))
    for _ in range(ROUNDS):
        for name, call in calls.items():
            best[name] = min(best[name], p50_us(time_calls(call, seconds / ROUNDS)))
    return best


def poster(
    port: int, path: str, body: bytes, expect_cache: str | None = None
) -> Callable[[], None]:
    """POST `body` to `path` on one keep-alive connection, checking status (and X-Cache)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)

    def post() -> None:
        connection.request("POST", path, body=body, headers=HEADERS)
        response = connection.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"POST {path} answered {response.status}")
        if expect_cache and response.getheader("X-Cache") != expect_cache:
            raise RuntimeError(
                f"expected X-Cache {expect_cache}, got {response.getheader('X-Cache')}"
            )

    return post


@contextmanager
def service(factory: str, env: dict[str, str]) -> Iterator[int]:
    """`uvicorn factory --factory` on a free port until ready; yields the port."""
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", factory, "--factory", "--port", str(port)]
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PREDICTOR_")}
    process = subprocess.Popen(
        command,
        cwd=PROJECT_ROOT,
        env={**clean, "PREDICTOR_LOG_LEVEL": "WARNING", **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_ready(f"http://127.0.0.1:{port}")
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


def bench_prediction_cache(model: Path, redis_url: str, seconds: float) -> None:
    """A hit against the plain predictor, and a bare GET."""
    body = json.dumps({"rows": [ROW]}).encode()
    cache_url = f"{redis_url}/0"
    with ExitStack() as stack:
        plain = stack.enter_context(
            service("app.http.predictor:create_app", {"PREDICTOR_MODEL_URI": str(model)})
        )
        cached = stack.enter_context(
            service(
                "app.cache.prediction.app:create_app",
                {"PREDICTOR_MODEL_URI": str(model), "PREDICTOR_CACHE_URL": cache_url},
            )
        )
        poster(cached, "/predict", body)()  # stores the entry
        client = redis.Redis.from_url(cache_url)
        (key,) = client.keys("prediction:*")
        scenarios = {
            "uncached": poster(plain, "/predict", body),
            "hit": poster(cached, "/predict", body, "hit"),
            "get": lambda: client.get(key),
        }
        uncached, hit, get = interleaved(scenarios, seconds).values()
    verdict = "meets" if hit <= uncached + get else "MISSES"
    print("\nprediction cache (POST /predict, one row, p50)")
    print(f"  plain predictor, no cache        {uncached:>9.0f} µs")
    print(f"  cached predictor, hit            {hit:>9.0f} µs")
    print(f"  one bare Redis GET (redis-py)    {get:>9.0f} µs")
    print(
        f"  hit - uncached = {hit - uncached:+.0f} µs: {verdict} the target "
        f"(hit <= uncached + one GET = {uncached + get:.0f} µs)"
    )


def bench_data_cache(model: Path, redis_url: str, work_dir: Path, seconds: float) -> None:
    """By-id on a hit and on a miss, and the store's own read time."""
    from app.cache.records.store import RecordTable
    from app.store.database import ensure_schema, open_engine
    from app.store.schema import metadata
    from app.store.seed import seed_records

    database_url = f"sqlite:///{work_dir / 'records.db'}"
    engine = open_engine(database_url)
    ensure_schema(engine, metadata)
    end = datetime.now(UTC)
    seed_records(engine, RECORDS, end - timedelta(days=1), end)
    table = RecordTable(engine)
    store = p50_us(time_calls(lambda: table.read([4242]), seconds))
    engine.dispose()

    client = redis.Redis.from_url(f"{redis_url}/1")
    env = {
        "PREDICTOR_MODEL_URI": str(model),
        "PREDICTOR_DATABASE_URL": database_url,
        "PREDICTOR_CACHE_URL": f"{redis_url}/1",
    }
    body = json.dumps({"ids": ["4242"]}).encode()
    with service("app.cache.records.app:create_app", env) as port:
        post = poster(port, "/predict/by-id", body)
        miss = min(
            p50_us(time_calls(post, seconds / ROUNDS, client.flushdb)) for _ in range(ROUNDS)
        )
        hit = min(p50_us(time_calls(post, seconds / ROUNDS)) for _ in range(ROUNDS))
        metrics = httpx.get(f"http://127.0.0.1:{port}/metrics").text
    print(f"\ndata cache (POST /predict/by-id, one id, SQLite with {RECORDS:,} records, p50)")
    print(f"  hit                              {hit:>9.0f} µs")
    print(f"  miss (read from the store)       {miss:>9.0f} µs   ({miss - hit:+.0f} µs)")
    print(f"  store read in-process            {store:>9.0f} µs   (RecordTable.read, one id)")
    print(f"  store read in the service, mean  {_mean_store_read_us(metrics):>9.0f} µs")


def _mean_store_read_us(metrics: str) -> float:
    values = {
        line.split(" ")[0]: float(line.rsplit(" ", 1)[1])
        for line in metrics.splitlines()
        if line.startswith("predictor_record_store_read_duration_seconds_")
    }
    total = values["predictor_record_store_read_duration_seconds_sum"]
    return total / values["predictor_record_store_read_duration_seconds_count"] * 1e6


def main() -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--model", type=Path, default=PROJECT_ROOT / "models" / PRIMARY_MODEL_FILE)
    parser.add_argument("--seconds", type=float, default=3.0, help="per scenario")
    arguments = parser.parse_args()
    model = arguments.model.resolve()
    if not model.exists():
        print(f"{model} not found: train it first with `python -m app.training --out models`")
        return 2
    print(f"model {model}, {os.cpu_count()} CPUs, {arguments.seconds:g} s per scenario")
    with tempfile.TemporaryDirectory() as work, private_redis(Path(work)) as redis_url:
        if (PROJECT_ROOT / "app" / "cache" / "prediction").is_dir():
            bench_prediction_cache(model, redis_url, arguments.seconds)
        if (PROJECT_ROOT / "app" / "cache" / "records").is_dir():
            bench_data_cache(model, redis_url, Path(work), arguments.seconds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
