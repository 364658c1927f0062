"""Fixtures: one started predictor app per test module, its model loaded."""

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from app.settings import PredictorSettings
from tests.service.harness import MAX_BATCH_SIZE, MAX_BODY_BYTES, running_app, wait_until_ready


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
async def client(model_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """A started app whose model has loaded; small limits make them easy to exceed."""
    settings = PredictorSettings(
        model_uri=str(model_path), max_batch_size=MAX_BATCH_SIZE, max_body_bytes=MAX_BODY_BYTES
    )
    async with running_app(settings) as started:
        await wait_until_ready(started)
        yield started
