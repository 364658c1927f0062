"""Run inside a generated project's virtualenv: answer example requests locally.

Reads a JSON object on stdin, ``{"requests": [...], "ports": {"PORT": 8000, ...}}``, starts
every service of the project with its own ``make run`` (each a real uvicorn process, on the
given free ports, wired to the others exactly as the Makefile wires them), waits until the
front door reports ready, sends each request to it and prints the answers as JSON, so the
container tier can check that the images answer exactly the same. Then it stops them all.
The requests go out through Kata's own ``send_examples`` (loaded by path: Kata itself is not
installed in the project's environment), so both sides follow a job's id the same way.
"""

import importlib.util
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType
from typing import IO

import httpx

READY_TIMEOUT_S = 90.0


def start(ports: dict[str, int], log: IO[bytes]) -> subprocess.Popen[bytes]:
    """`make run` in its own process group, so stopping it stops every service."""
    assignments = [f"{variable}={port}" for variable, port in ports.items()]
    return subprocess.Popen(
        ["make", "--no-print-directory", "run", "HOST=127.0.0.1", *assignments],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def wait_ready(base_url: str, services: subprocess.Popen[bytes], log: IO[bytes]) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if services.poll() is not None:
            log.seek(0)
            raise SystemExit(f"make run exited early:\n{log.read().decode()[-4000:]}")
        try:
            if httpx.get(f"{base_url}/v2/health/ready", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"{base_url} was not ready after {READY_TIMEOUT_S} s")


def kata_examples() -> ModuleType:
    """generator/_examples.py, imported by path (standard library only)."""
    path = Path(__file__).resolve().parents[1] / "generator" / "_examples.py"
    spec = importlib.util.spec_from_file_location("kata_examples", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


def main() -> None:
    given = json.load(sys.stdin)
    base_url = f"http://127.0.0.1:{given['ports']['PORT']}"
    with tempfile.TemporaryFile() as log:
        services = start(given["ports"], log)
        try:
            wait_ready(base_url, services, log)
            print(json.dumps(kata_examples().send_examples(base_url, given["requests"])))
        finally:
            os.killpg(services.pid, signal.SIGTERM)
            services.wait(timeout=20)


if __name__ == "__main__":
    main()
