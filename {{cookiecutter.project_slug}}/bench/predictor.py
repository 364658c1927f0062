"""How much does serving cost? Raw ONNX Runtime vs the predictor over real HTTP.

    python -m bench.predictor [--model models/model.onnx] [--seconds 4]

Prints per-call latency of the bare inference session and of the model core at batch 1,
then starts the predictor with its run command (uvicorn, one process, on a free port)
and measures POST /predict at concurrency 1 and 16. The client runs on the same machine
and takes its share of the CPU, so HTTP figures are a floor, not a capacity plan.
Not a test: it prints numbers and checks nothing.
"""

import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np

from app.model.loading import open_model
from app.model.runner import ModelRunner
from app.model.signature import NUMPY_DTYPES
from app.model.source import fetch_model_files
from app.training.formats import MODEL_FILE_NAMES, declared_format

PROJECT_ROOT = Path(__file__).resolve().parents[1]
# The primary model's file depends on the project's model format (model.onnx or model.skops).
PRIMARY_MODEL_FILE = MODEL_FILE_NAMES[declared_format(PROJECT_ROOT / "pyproject.toml")]
IRIS_ROW = [5.1, 3.5, 1.4, 0.2]
HEADERS = {"Content-Type": "application/json"}


@dataclass(frozen=True)
class Result:
    """Latencies of one scenario, in seconds, and its throughput."""

    name: str
    latencies: list[float]
    per_second: float

    def percentile(self, q: float) -> float:
        """Latency at quantile `q` (0-100), in seconds."""
        return float(np.percentile(self.latencies, q))


def time_calls(call: Callable[[], object], seconds: float) -> tuple[list[float], float]:
    """Call repeatedly for `seconds` after a warm-up; return latencies and calls per second."""
    for _ in range(200):
        call()
    latencies: list[float] = []
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        before = time.perf_counter()
        call()
        latencies.append(time.perf_counter() - before)
    return latencies, len(latencies) / (time.perf_counter() - started)


def sample_row(model_path: Path) -> list[float]:
    """An iris row for models of the four measurements; zeros for any other input width
    (a model of your own: any finite row fits its signature)."""
    model = open_model(fetch_model_files(str(model_path), timeout_s=10))
    width = model.features.shape[1]
    return IRIS_ROW if width == len(IRIS_ROW) else [0.0] * width


def bench_in_process(model_path: Path, seconds: float, row: list[float]) -> list[Result]:
    """The bare session, then the core (validation, session, decoding) at batch 1."""
    model = open_model(fetch_model_files(str(model_path), timeout_s=10))
    features = np.asarray([row], dtype=NUMPY_DTYPES[model.features.datatype])
    feeds = {model.features.name: features}
    outputs = [model.output.name]
    raw = time_calls(lambda: model.session.run(outputs, feeds), seconds)
    runner = ModelRunner()
    runner.load(str(model_path))
    core = time_calls(lambda: runner.predict([row]), seconds)
    return [
        Result(f"raw {model.metadata.format} session.run", *raw),
        Result("ModelRunner.predict (core)", *core),
    ]


def _post_predict_until(port: int, deadline: float, latencies: list[float], body: bytes) -> None:
    # One keep-alive connection per caller, like a pooled client.
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        while time.perf_counter() < deadline:
            before = time.perf_counter()
            connection.request("POST", "/predict", body=body, headers=HEADERS)
            response = connection.getresponse()
            response.read()
            latencies.append(time.perf_counter() - before)
            if response.status != 200:
                raise RuntimeError(f"POST /predict answered {response.status}")
    finally:
        connection.close()


def bench_http(port: int, concurrency: int, seconds: float, body: bytes) -> Result:
    """POST /predict from `concurrency` threads, each on its own connection, for `seconds`.

    Threads with the standard library's client: httpx's async client costs more CPU per
    request than the server here, and on a small machine it would measure itself.
    """
    _post_predict_until(port, time.perf_counter() + 0.5, [], body)
    per_thread: list[list[float]] = [[] for _ in range(concurrency)]
    started = time.perf_counter()
    deadline = started + seconds
    threads = [
        threading.Thread(target=_post_predict_until, args=(port, deadline, latencies, body))
        for latencies in per_thread
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    latencies = [latency for chunk in per_thread for latency in chunk]
    return Result(
        f"HTTP POST /predict, concurrency {concurrency}", latencies, len(latencies) / elapsed
    )


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(model_path: Path, port: int) -> subprocess.Popen[bytes]:
    """The run command of the Dockerfile and Makefile, on a free local port."""
    command = [sys.executable, "-m", "uvicorn", "app.http.predictor:create_app", "--factory"]
    command += ["--host", "127.0.0.1", "--port", str(port)]
    env = {**os.environ, "PREDICTOR_MODEL_URI": str(model_path)}
    return subprocess.Popen(
        command, cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def wait_until_ready(base_url: str, timeout_s: float = 30) -> None:
    """Poll readiness until the model has loaded."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base_url}/v2/health/ready", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise SystemExit(f"the predictor at {base_url} did not become ready in {timeout_s}s")


def run_http_benchmarks(model_path: Path, seconds: float, body: bytes) -> list[Result]:
    """Start the predictor, measure it at concurrency 1 and 16, stop it."""
    port = free_port()
    server = start_server(model_path, port)
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(base_url)
        return [bench_http(port, level, seconds, body) for level in (1, 16)]
    finally:
        server.terminate()
        server.wait(timeout=10)


def report(results: list[Result]) -> None:
    """Print the table and each scenario's cost relative to the bare session."""
    print(f"{'scenario':<40} {'p50 µs':>10} {'p99 µs':>10} {'calls/s':>10} {'p50 / raw':>10}")
    raw_p50 = results[0].percentile(50)
    for result in results:
        p50, p99 = result.percentile(50), result.percentile(99)
        ratio = p50 / raw_p50
        print(
            f"{result.name:<40} {p50 * 1e6:>10.1f} {p99 * 1e6:>10.1f} "
            f"{result.per_second:>10.0f} {ratio:>9.1f}x"
        )
    http_one = results[2]
    print(
        f"\nHTTP adds {(http_one.percentile(50) - raw_p50) * 1e6:.0f} µs at p50 per single-row "
        f"request; concurrency 16 reaches {results[3].per_second / http_one.per_second:.1f}x "
        "the throughput of concurrency 1."
    )


def main() -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=PROJECT_ROOT / "models" / PRIMARY_MODEL_FILE)
    parser.add_argument("--seconds", type=float, default=4.0, help="per scenario")
    arguments = parser.parse_args()
    model_path = arguments.model.resolve()
    if not model_path.exists():
        print(f"{model_path} not found: train it first with `python -m app.training --out models`")
        return 2
    print(
        f"model {model_path}, batch 1, {os.cpu_count()} CPUs, {arguments.seconds:g}s per scenario"
    )
    row = sample_row(model_path)
    results = bench_in_process(model_path, arguments.seconds, row)
    results += run_http_benchmarks(
        model_path, arguments.seconds, json.dumps({"rows": [row]}).encode()
    )
    report(results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
