"""Session fixtures: the project's own models, trained once into a temporary directory."""

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from app.training.train import train_and_export
from tests.support import MODEL_FORMAT, PRIMARY_MODEL_FILE


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The primary model (model.onnx or model.skops) and metadata.json, trained by the
    project's script, with every other artefact it can train (one run: a folder each, and
    records.json) beside them."""
    out_dir = tmp_path_factory.mktemp("model")
    train_and_export(out_dir, ["all"], log=lambda _line: None, model_format=MODEL_FORMAT)
    return out_dir


@pytest.fixture(scope="session")
def model_path(model_dir: Path) -> Path:
    return model_dir / PRIMARY_MODEL_FILE


@pytest.fixture
def metadata(model_dir: Path) -> dict[str, Any]:
    """metadata.json as a fresh dict that a test may change freely."""
    return json.loads((model_dir / "metadata.json").read_text())


@pytest.fixture
def model_copy(model_dir: Path, tmp_path: Path) -> Path:
    """A private copy of the model directory, for tests that tamper with it."""
    copy = tmp_path / "model"
    shutil.copytree(model_dir, copy)
    return copy
