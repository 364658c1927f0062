"""A predictor process serving the session's model, shared by a module's tests."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.server import RunningServer, uvicorn_server


@pytest.fixture(scope="module")
def server(model_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    env = {"PREDICTOR_MODEL_URI": str(model_path), "PREDICTOR_MAX_BATCH_SIZE": "16"}
    with uvicorn_server(env, tmp_path_factory.mktemp("server")) as running:
        running.wait_until_ready()
        yield running
