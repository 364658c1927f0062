"""Fixtures every proxy role's tests share."""

from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def log_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where this module's service processes write their stdout and stderr."""
    return tmp_path_factory.mktemp("logs")
