"""Services as deployments run them: `uvicorn <factory> --factory` in its own process.

Every role's tests start real processes on free ports through this module, several at
once when a pattern needs them, and can kill one mid-test to play a crashed backend.
"""

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.support import PROJECT_ROOT, free_port, json_lines, wait_until

PREDICTOR = "app.http.predictor:create_app"
# Only a test's own settings count, whatever the developer's shell exports.
_ROLE_PREFIXES = (
    "PREDICTOR_",
    "GATEWAY_",
    "PREPROCESS_",
    "SERIAL_PROXY_",
    "PARALLEL_PROXY_",
    "JOB_API_",
    "WORKER_",
)


@dataclass
class RunningService:
    """A live service process and where its output goes."""

    name: str
    base_url: str
    stdout_path: Path
    stderr_path: Path
    process: subprocess.Popen[bytes] = field(repr=False)

    def log_lines(self) -> list[dict[str, Any]]:
        """Every whole line the service wrote to stdout, parsed as JSON.

        A last line without its newline is still being written (the read can land between
        two writes of one line): it is left for the next read.
        """
        text = self.stdout_path.read_text()
        return json_lines(text[: text.rfind("\n") + 1])

    def wait_until_live(self, timeout_s: float = 20.0) -> None:
        """Block until /v2/health/live answers; fail at once if the process exited."""

        def live_or_exited() -> bool:
            return (
                self.process.poll() is not None or status(f"{self.base_url}/v2/health/live") == 200
            )

        wait_until(live_or_exited, timeout_s, what=f"{self.name} to answer")
        if self.process.poll() is not None:
            raise AssertionError(f"{self.name} exited early:\n{self.stderr_path.read_text()}")

    def wait_until_ready(self, timeout_s: float = 20.0) -> None:
        """Block until /v2/health/ready answers 200."""
        self.wait_until_live(timeout_s)
        url = f"{self.base_url}/v2/health/ready"
        wait_until(lambda: status(url) == 200, timeout_s, what=f"{self.name} readiness")

    def kill(self) -> None:
        """SIGKILL, as a crash or an OOM kill would: no graceful shutdown."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it does not exit within 10 s."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


def start_service(
    name: str, factory: str, env: dict[str, str], log_dir: Path, port: int | None = None
) -> RunningService:
    """Start `uvicorn factory --factory` on 127.0.0.1 (a free port unless given); no wait."""
    port = port or free_port()
    command = [sys.executable, "-m", "uvicorn", factory, "--factory"]
    command += ["--host", "127.0.0.1", "--port", str(port)]
    return start_process(name, command, env, log_dir, port)


def start_process(
    name: str, command: list[str], env: dict[str, str], log_dir: Path, port: int
) -> RunningService:
    """Start any service command whose probes answer on `port` (e.g. `python -m ...`)."""
    clean_env = {k: v for k, v in os.environ.items() if not k.startswith(_ROLE_PREFIXES)}
    log_dir.mkdir(parents=True, exist_ok=True)
    stdout_path, stderr_path = log_dir / f"{name}.out.log", log_dir / f"{name}.err.log"
    with stdout_path.open("wb") as stdout, stderr_path.open("wb") as stderr:
        process = subprocess.Popen(
            command, cwd=PROJECT_ROOT, env={**clean_env, **env}, stdout=stdout, stderr=stderr
        )
    return RunningService(name, f"http://127.0.0.1:{port}", stdout_path, stderr_path, process)


@contextmanager
def running(*services: RunningService, ready: bool = True) -> Iterator[list[RunningService]]:
    """Wait for already started services (ready, or just live), and stop them all on exit."""
    try:
        for service in services:
            if ready:
                service.wait_until_ready()
            else:
                service.wait_until_live()
        yield list(services)
    finally:
        for service in services:
            service.stop()


def status(url: str) -> int | None:
    """The status of a GET, or None when nothing answers."""
    try:
        return httpx.get(url, timeout=1.0).status_code
    except httpx.TransportError:
        return None
