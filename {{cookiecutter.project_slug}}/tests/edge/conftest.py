"""The edge tests' fixtures: the session's model with its device bundle, and an edge server."""

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.edge.export import export_bundle
from app.model.source import METADATA_FILE_NAME
from tests.edge.bundles import ShippedBundle, shipped_bundle
from tests.processes import RunningService, running, start_service
from tests.support import PROJECT_ROOT

EDGE_SERVER = "app.edge.app:create_app"
RUNTIME_DIR = PROJECT_ROOT / "node_modules" / "onnxruntime-web" / "dist"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def bundled_model_dir(model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """model.onnx and metadata.json with the bundle `make bundle` exports (edge/)."""
    folder = tmp_path_factory.mktemp("bundled")
    for name in ("model.onnx", METADATA_FILE_NAME):
        shutil.copy(model_dir / name, folder / name)
    export_bundle(folder / "model.onnx", log=lambda _line: None)
    return folder


@pytest.fixture(scope="session")
def shipped(bundled_model_dir: Path) -> ShippedBundle:
    """The session model's bundle (bundled_model_dir), read back."""
    return shipped_bundle(bundled_model_dir)


def edge_env(model_folder: Path) -> dict[str, str]:
    return {
        "PREDICTOR_MODEL_URI": str(model_folder / "model.onnx"),
        "PREDICTOR_EDGE_WEB_DIR": str(PROJECT_ROOT / "web"),
        "PREDICTOR_EDGE_RUNTIME_DIR": str(RUNTIME_DIR),
    }


@pytest.fixture(scope="module")
def edge_server(
    bundled_model_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningService]:
    """The edge server as deployments run it (uvicorn, real HTTP), ready."""
    env = edge_env(bundled_model_dir)
    service = start_service("edge-server", EDGE_SERVER, env, tmp_path_factory.mktemp("edge"))
    with running(service) as (server,):
        yield server
