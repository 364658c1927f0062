"""Build a pattern's services for a test: predictors as real processes, and the proxy
either as a real process too (end to end) or in-process on the test's event loop, where
each test can give it its own policy against the same running predictors."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from fastapi import FastAPI

from tests.processes import PREDICTOR, RunningService, start_service
from tests.support import free_port

GATEWAY = "app.proxy.gateway.app:create_app"
PREPROCESS = "app.preprocess.app:create_app"
SERIAL = "app.proxy.serial.app:create_app"
PARALLEL = "app.proxy.parallel.app:create_app"


def start_predictor(name: str, model: Path, log_dir: Path, **settings: object) -> RunningService:
    """A predictor process serving `model`; `settings` become PREDICTOR_<NAME> variables."""
    env = {"PREDICTOR_MODEL_URI": str(model)}
    env |= {f"PREDICTOR_{key.upper()}": str(value) for key, value in settings.items()}
    return start_service(name, PREDICTOR, env, log_dir)


def nowhere() -> str:
    """The URL of a port nothing listens on: a backend that is down."""
    return f"http://127.0.0.1:{free_port()}"


def named(*services: RunningService) -> str:
    """`name=url,...` for a proxy's backends setting."""
    return ",".join(f"{service.name}={service.base_url}" for service in services)


@asynccontextmanager
async def in_process(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """Run `app` with its lifespan (backend pools open) and yield a client for it."""
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://proxy") as client,
    ):
        yield client


async def wait_ready(client: httpx.AsyncClient, timeout_s: float = 15.0) -> None:
    """Wait, without blocking the event loop, until the app reports ready."""
    async with asyncio.timeout(timeout_s):
        while (await client.get("/v2/health/ready")).status_code != 200:
            await asyncio.sleep(0.02)


async def wait_check(client: httpx.AsyncClient, check: str, timeout_s: float = 15.0) -> None:
    """Wait until one readiness check passes (the service may still be unready overall)."""
    async with asyncio.timeout(timeout_s):
        while (await client.get("/v2/health/ready")).json()["checks"].get(check) != "ready":
            await asyncio.sleep(0.02)


def metric(text: str, prefix: str) -> float:
    """Sum of the samples whose line starts with `prefix` (0 when there are none)."""
    return sum(
        float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(prefix)
    )


def logged_request_ids(service: RunningService) -> set[str]:
    """Every request id in the service's JSON log lines."""
    return {line["request_id"] for line in service.log_lines() if "request_id" in line}
