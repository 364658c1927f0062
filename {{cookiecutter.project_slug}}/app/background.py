"""Work a service runs beside itself while it serves: model loading, health monitors."""

import asyncio
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager, suppress
from typing import Any


@asynccontextmanager
async def in_background(*work: Coroutine[Any, Any, object]) -> AsyncIterator[None]:
    """Run each coroutine as a task while the block runs; cancel and await them all on exit.

    For app lifespans: loading beside the server lets liveness answer at once and readiness
    tell the truth while a large model downloads; a shutdown never leaves a task behind.
    """
    tasks = [asyncio.create_task(coroutine) for coroutine in work]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with suppress(asyncio.CancelledError):
                await task
