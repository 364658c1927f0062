"""What does a proxy add? Each proxy of this project against its backends called directly.

    python bench/proxies.py [--requests 400]

Trains the models into a temporary folder, starts every service as `make run` does (one
uvicorn process each, on free ports) and times POST /predict, one request at a time over
a keep-alive connection, alternating between the proxy and its backends called directly
so both see the same machine. Prints, for each proxy role this project holds:

- gateway: its latency against calling the predictor directly;
- serial proxy: its latency against the sum of its steps called directly (all three steps
  run: the confidence threshold is 1.0), and the overhead per hop (target: at most 2 ms);
- parallel proxy: its latency against the slowest predictor alone (target: at most 2 ms
  more), with the models as trained and with them held back 5, 10 and 20 ms.

Medians of per-request figures (the sum or maximum is taken per request, then the median).
Not a test: it prints numbers; they depend on the machine.
"""

import argparse
import http.client
import importlib.util
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from app.training.formats import MODEL_FILE_NAMES, declared_format
from app.training.train import train_and_export

PROJECT_ROOT = Path(__file__).resolve().parents[1]
# The primary model's file depends on the project's model format (model.onnx or model.skops).
PRIMARY_MODEL_FILE = MODEL_FILE_NAMES[declared_format(PROJECT_ROOT / "pyproject.toml")]
ROW = [6.0, 2.7, 5.1, 1.6]
TARGET_MS = 2.0
MODELS = ["iris-classifier", "iris-tree", "iris-bayes", "iris-pca", "iris-pca-classifier"]
MODELS += ["iris-pca-refiner"]


class Client:
    """POSTs JSON over one keep-alive connection and returns the latency in ms."""

    def __init__(self, base_url: str) -> None:
        host, port = base_url.removeprefix("http://").split(":")
        self._connection = http.client.HTTPConnection(host, int(port), timeout=10)

    def post(self, body: dict[str, object]) -> tuple[float, dict[str, object]]:
        """Latency in ms and the decoded answer (which must be a 200)."""
        encoded = json.dumps(body).encode()
        headers = {"Content-Type": "application/json"}
        started = time.perf_counter()
        self._connection.request("POST", "/predict", body=encoded, headers=headers)
        response = self._connection.getresponse()
        payload = response.read()
        elapsed = (time.perf_counter() - started) * 1000
        if response.status != 200:
            raise SystemExit(f"POST /predict answered {response.status}: {payload[:300]!r}")
        answer: dict[str, object] = json.loads(payload)
        return elapsed, answer


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def services(specs: list[tuple[str, dict[str, str]]]) -> Iterator[list[str]]:
    """Start (factory, env) services on free ports; yield their base URLs; stop them."""
    processes, urls = [], []
    for factory, env in specs:
        port = free_port()
        command = [sys.executable, "-m", "uvicorn", factory, "--factory", "--port", str(port)]
        command += ["--host", "127.0.0.1", "--log-level", "warning"]
        processes.append(
            subprocess.Popen(
                command,
                cwd=PROJECT_ROOT,
                env={**os.environ, **env, "PREDICTOR_LOG_LEVEL": "WARNING"},
                stdout=subprocess.DEVNULL,
            )
        )
        urls.append(f"http://127.0.0.1:{port}")
    try:
        for url in urls:
            wait_until_ready(url)
        yield urls
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=10)


def wait_until_ready(base_url: str, timeout_s: float = 60) -> None:
    """Poll readiness until the service (and so its backends) can answer."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base_url}/v2/health/ready", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise SystemExit(f"{base_url} did not become ready in {timeout_s} s")


def rounds(calls: list[Callable[[], float]], requests: int) -> list[list[float]]:
    """Call each in turn per round after a warm-up; latencies per call, per round."""
    for _ in range(50):
        for call in calls:
            call()
    return [[call() for call in calls] for _ in range(requests)]


def predictor(models: Path, model: str, delay_s: float = 0.0) -> tuple[str, dict[str, str]]:
    """A predictor service spec serving `model` (a path under the models folder)."""
    env = {"PREDICTOR_MODEL_URI": str(models / model), "PREDICTOR_TEST_DELAY_S": str(delay_s)}
    return ("app.http.predictor:create_app", env)


def verdict(extra_ms: float) -> str:
    """PASS when the overhead is within the target."""
    return "PASS" if extra_ms <= TARGET_MS else "OVER"


def bench_gateway(models: Path, requests: int) -> None:
    """The gateway against the predictor alone."""
    with services([predictor(models, PRIMARY_MODEL_FILE)]) as (backend,):
        gateway = ("app.proxy.gateway.app:create_app", {"GATEWAY_PREDICTOR_URL": backend})
        with services([gateway]) as (front,):
            body = {"rows": [ROW]}
            direct, proxied = Client(backend), Client(front)
            timings = rounds(
                [lambda: direct.post(body)[0], lambda: proxied.post(body)[0]], requests
            )
    alone = statistics.median(t[0] for t in timings)
    through = statistics.median(t[1] for t in timings)
    print(
        f"gateway   predictor alone {alone:.2f} ms | through the gateway {through:.2f} ms | "
        f"overhead {through - alone:+.2f} ms"
    )


def bench_serial(models: Path, requests: int) -> None:
    """The chain against the sum of its three steps called directly."""
    steps = ["iris-pca/model.onnx", "iris-pca-classifier/model.onnx", "iris-pca-refiner/model.onnx"]
    with services([predictor(models, step) for step in steps]) as urls:
        chain = ",".join(f"step-{i}={url}" for i, url in enumerate(urls, start=1))
        env = {
            "SERIAL_PROXY_STEPS": chain,
            "SERIAL_PROXY_CONDITIONAL_STEPS": "step-3",
            "SERIAL_PROXY_CONFIDENCE_THRESHOLD": "1.0",
        }
        with services([("app.proxy.serial.app:create_app", env)]) as (front,):
            clients = [Client(url) for url in urls]
            features = clients[0].post({"rows": [ROW]})[1]["predictions"][0]["features"]  # type: ignore[index]
            inputs = [{"rows": [ROW]}, {"rows": [features]}, {"rows": [features]}]
            calls = [lambda c=c, b=b: c.post(b)[0] for c, b in zip(clients, inputs, strict=True)]
            proxied = Client(front)
            calls.append(lambda: proxied.post({"rows": [ROW]})[0])
            timings = rounds(calls, requests)
    summed = statistics.median(sum(t[:3]) for t in timings)
    through = statistics.median(t[3] for t in timings)
    per_hop = (through - summed) / len(steps)
    print(
        f"serial    sum of the 3 steps alone {summed:.2f} ms | through the proxy {through:.2f} ms "
        f"| {per_hop:+.2f} ms per hop (target <= {TARGET_MS:g} ms) {verdict(per_hop)}"
    )


def bench_parallel(models: Path, requests: int, delays: list[float]) -> None:
    """The fan-out against the slowest of its predictors alone."""
    files = ["model.onnx", "iris-tree/model.onnx", "iris-bayes/model.onnx"]
    specs = [predictor(models, f, delay) for f, delay in zip(files, delays, strict=True)]
    with services(specs) as urls:
        backends = ",".join(f"model-{name}={url}" for name, url in zip("abc", urls, strict=True))
        env = {"PARALLEL_PROXY_BACKENDS": backends, "PARALLEL_PROXY_DEADLINE_S": "5"}
        with services([("app.proxy.parallel.app:create_app", env)]) as (front,):
            body = {"rows": [ROW]}
            clients = [Client(url) for url in [*urls, front]]
            calls = [lambda c=c: c.post(body)[0] for c in clients]
            timings = rounds(calls, requests)
    slowest = statistics.median(max(t[:3]) for t in timings)
    one_by_one = statistics.median(sum(t[:3]) for t in timings)
    through = statistics.median(t[3] for t in timings)
    held = (
        "as trained"
        if not any(delays)
        else "held back " + ", ".join(f"{delay * 1000:g}" for delay in delays) + " ms"
    )
    extra = through - slowest
    print(
        f"parallel  ({held}) slowest predictor alone {slowest:.2f} ms (all three one by one "
        f"{one_by_one:.2f} ms) | through the proxy {through:.2f} ms | {extra:+.2f} ms "
        f"(target <= {TARGET_MS:g} ms) {verdict(extra)}"
    )


def present(module: str) -> bool:
    """Whether this project holds a proxy role's code."""
    return importlib.util.find_spec(module) is not None


def main() -> None:
    """Command line: `python bench/proxies.py [--requests N]`."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400, help="timed rounds per comparison")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-models-") as scratch:
        models = Path(scratch)
        train_and_export(models, MODELS, log=lambda _line: None)
        cpus = os.cpu_count()
        print(f"{arguments.requests} sequential requests per service, medians, {cpus} CPUs")
        if present("app.proxy.gateway"):
            bench_gateway(models, arguments.requests)
        if present("app.proxy.serial"):
            bench_serial(models, arguments.requests)
        if present("app.proxy.parallel"):
            bench_parallel(models, arguments.requests, [0.0, 0.0, 0.0])
            bench_parallel(models, arguments.requests, [0.005, 0.010, 0.020])


if __name__ == "__main__":
    main()
