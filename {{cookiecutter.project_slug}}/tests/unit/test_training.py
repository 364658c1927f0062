"""The training script: a real, reproducible model with honest metadata."""

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pytest

from app.training.artefacts import ARTEFACTS
from app.training.train import main
from tests.support import PRIMARY_MODEL_FILE


def test_metadata_describes_the_exported_model(model_path: Path, metadata: dict[str, Any]):
    assert metadata["name"] == "iris-classifier"
    assert re.fullmatch(r"[0-9a-f]{12}", metadata["version"])
    assert metadata["model_sha256"] == hashlib.sha256(model_path.read_bytes()).hexdigest()
    assert metadata["labels"] == ["setosa", "versicolor", "virginica"]
    assert metadata["feature_names"] == [
        "sepal_length",
        "sepal_width",
        "petal_length",
        "petal_width",
    ]
    assert metadata["training_data"]["rows"] == 150
    assert re.fullmatch(r"[0-9a-f]{64}", metadata["training_data"]["sha256"])
    assert metadata["hyperparameters"]["random_state"] == 42
    assert metadata["metrics"]["accuracy"] >= 0.9


def test_signature_matches_the_documented_contract(metadata: dict[str, Any]):
    assert metadata["signature"] == {
        "inputs": [{"name": "input", "datatype": "FP32", "shape": [-1, 4]}],
        "outputs": [
            {"name": "label", "datatype": "INT64", "shape": [-1]},
            {"name": "probabilities", "datatype": "FP32", "shape": [-1, 3]},
        ],
    }


def test_command_line_reproduces_the_same_bytes_and_version(
    tmp_path: Path, model_dir: Path, capsys: pytest.CaptureFixture[str]
):
    assert main(["--out", str(tmp_path)]) == 0

    retrained = (tmp_path / PRIMARY_MODEL_FILE).read_bytes()
    assert retrained == (model_dir / PRIMARY_MODEL_FILE).read_bytes()
    assert (tmp_path / "metadata.json").read_text() == (model_dir / "metadata.json").read_text()
    progress = capsys.readouterr().out
    assert "held-out accuracy" in progress
    assert "wrote iris-classifier" in progress


def test_one_run_gives_every_artefact_the_same_version(model_dir: Path):
    versions = {
        json.loads(path.read_text())["version"] for path in model_dir.glob("**/metadata.json")
    }

    assert len(versions) == 1
    assert {path.parent.name for path in model_dir.glob("*/metadata.json")} == {
        name for name, artefact in ARTEFACTS.items() if artefact.folder
    }


def test_the_version_does_not_depend_on_which_models_were_asked_for(
    tmp_path: Path, metadata: dict[str, Any]
):
    assert main(["--out", str(tmp_path), "--models", "iris-tree"]) == 0

    tree = json.loads((tmp_path / "iris-tree" / "metadata.json").read_text())
    assert tree["version"] == metadata["version"]
    assert not (tmp_path / PRIMARY_MODEL_FILE).exists()


def test_each_model_records_what_it_answers(model_dir: Path):
    pca = json.loads((model_dir / "iris-pca" / "metadata.json").read_text())
    records = json.loads((model_dir / "records.json").read_text())

    assert (pca["task"], pca["output_names"]) == ("transform", ["pc1", "pc2"])
    assert pca["metrics"]["explained_variance_ratio"] > 0.9
    assert records["records"]["0"] == [5.1, 3.5, 1.4, 0.2]


def test_unknown_models_are_refused_by_name(tmp_path: Path):
    with pytest.raises(SystemExit, match="unknown models \\['iris-cnn'\\]"):
        main(["--out", str(tmp_path), "--models", "iris-cnn"])
