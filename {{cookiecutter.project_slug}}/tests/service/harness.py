"""Run the predictor app in-process over httpx's ASGI transport, lifespan included.

(starlette's TestClient now asks for the httpx2 package; httpx's own ASGI transport
needs nothing beyond the pinned dependencies.)
"""

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import httpx

from app.http.predictor import create_app
from app.settings import PredictorSettings

MAX_BATCH_SIZE = 8
MAX_BODY_BYTES = 8192


@asynccontextmanager
async def running_app(settings: PredictorSettings) -> AsyncIterator[httpx.AsyncClient]:
    """Start an app (its lifespan begins loading the model) and yield a client for it."""
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://predictor") as client,
    ):
        yield client


async def eventually(condition: Callable[[], bool], what: str, timeout_s: float = 15.0) -> None:
    """Wait, without blocking the event loop the app runs on, until `condition` holds."""
    try:
        async with asyncio.timeout(timeout_s):
            while not condition():
                await asyncio.sleep(0.01)
    except TimeoutError:
        raise AssertionError(f"timed out after {timeout_s}s waiting for {what}") from None


async def wait_until_ready(client: httpx.AsyncClient, timeout_s: float = 15.0) -> None:
    """Wait for the background load to finish."""
    async with asyncio.timeout(timeout_s):
        while (await client.get("/v2/health/ready")).status_code != 200:
            await asyncio.sleep(0.01)
