"""The pytorch format: a network trained with torch, served from its ONNX export.

Kata ships this module only in projects whose model format is pytorch.
"""

import copy
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from app.model import ModelRunner
from app.training.data import Split, load_dataset, split
from app.training.onnx_export import open_session
from app.training.torch_export import (
    HYPERPARAMETERS,
    ServedNetwork,
    check_export,
    export_to_onnx,
    train_network,
)


@pytest.fixture(scope="module")
def rows() -> Split:
    return split(load_dataset())


@pytest.fixture(scope="module")
def network(rows: Split) -> Any:
    """The network as the training script trains it, trained again here independently."""
    return train_network(rows.train_x, rows.train_y, classes=3)


def test_metadata_records_the_network_and_its_accuracy(metadata: dict[str, Any]):
    assert metadata.get("format", "onnx") == "onnx"  # served by ONNX Runtime
    assert metadata["framework"] == "pytorch"
    assert metadata["libraries"]["torch"] == torch.__version__
    assert metadata["hyperparameters"]["epochs"] == HYPERPARAMETERS["epochs"]
    assert metadata["metrics"]["accuracy"] >= 0.9


def test_the_served_model_answers_what_torch_answers(model_path: Path, network: Any, rows: Split):
    runner = ModelRunner()
    runner.load(str(model_path))
    with torch.no_grad():
        labels, probabilities = ServedNetwork(network)(torch.from_numpy(rows.test_x.astype("f4")))

    served = runner.predict_matrix(rows.test_x)

    np.testing.assert_allclose(served, probabilities.numpy(), atol=1e-5)
    assert [answer.label_index for answer in runner.answer_matrix(rows.test_x)] == (labels.tolist())


def test_training_is_deterministic(model_path: Path, network: Any, rows: Split):
    assert export_to_onnx(network, rows.train_x.shape[1]) == model_path.read_bytes()


def test_an_export_that_strays_from_torch_is_refused(network: Any, rows: Split):
    exported = open_session(export_to_onnx(network, rows.train_x.shape[1]))
    changed = copy.deepcopy(network)
    with torch.no_grad():
        changed.layers[0].bias += 1.0  # the graph no longer matches this network

    with pytest.raises(RuntimeError, match=r"disagrees with torch|stray from torch"):
        check_export(exported, changed, rows.test_x)
