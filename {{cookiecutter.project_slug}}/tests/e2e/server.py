"""Start the predictor exactly as deployments do: uvicorn in its own process, real HTTP."""

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.support import PROJECT_ROOT, free_port, json_lines, wait_until

APP_FACTORY = "app.http.predictor:create_app"


@dataclass(frozen=True)
class RunningServer:
    """A live server process and where its output goes."""

    base_url: str
    stdout_path: Path
    stderr_path: Path

    def log_lines(self) -> list[dict[str, Any]]:
        """Every line the server wrote to stdout, parsed as JSON."""
        return json_lines(self.stdout_path.read_text())

    def wait_until_ready(self) -> None:
        """Block until /v2/health/ready answers 200."""
        wait_until(lambda: _status(f"{self.base_url}/v2/health/ready") == 200, what="readiness")


@contextmanager
def uvicorn_server(env: dict[str, str], log_dir: Path) -> Iterator[RunningServer]:
    """Run `uvicorn app.http.predictor:create_app --factory` on a free port until exit."""
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", APP_FACTORY, "--factory"]
    command += ["--host", "127.0.0.1", "--port", str(port)]
    # Only the test's PREDICTOR_ settings count, whatever the developer's shell exports.
    clean_env = {
        key: value for key, value in os.environ.items() if not key.startswith("PREDICTOR_")
    }
    server = RunningServer(
        f"http://127.0.0.1:{port}", log_dir / "stdout.log", log_dir / "stderr.log"
    )
    with server.stdout_path.open("wb") as stdout, server.stderr_path.open("wb") as stderr:
        process = subprocess.Popen(
            command, cwd=PROJECT_ROOT, env={**clean_env, **env}, stdout=stdout, stderr=stderr
        )
        try:
            _wait_until_live(server, process)
            yield server
        finally:
            _stop(process)


def _wait_until_live(server: RunningServer, process: subprocess.Popen[bytes]) -> None:
    def live_or_exited() -> bool:
        return process.poll() is not None or _status(f"{server.base_url}/v2/health/live") == 200

    wait_until(live_or_exited, what="the server to answer")
    if process.poll() is not None:
        raise AssertionError(f"the server exited early:\n{server.stderr_path.read_text()}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _status(url: str) -> int | None:
    try:
        return httpx.get(url, timeout=1.0).status_code
    except httpx.TransportError:
        return None
