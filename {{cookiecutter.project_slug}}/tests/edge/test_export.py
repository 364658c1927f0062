"""The bundle export: scikit-learn graphs ship fp32, networks get static int8; both are
converted to the ORT format, checked against held-out rows and described by the manifest.

What the project's own trained model becomes is checked per model format:
test_sklearn_graph_bundle.py (onnx) and test_network_bundle.py (pytorch)."""

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from app.edge.bundle import BUNDLE_MODEL_FILE_NAME
from app.edge.export import (
    MAX_ACCURACY_DROP,
    ExportError,
    compare_accuracy,
    cpu_session,
    export_bundle,
    held_out_data,
)
from app.model.source import sha256_hex
from app.training.data import load_dataset, split
from tests.edge.networks import mlp_onnx, trained_mlp


def network_model(folder: Path, weights: list[Any], biases: list[Any]) -> Path:
    """An iris MLP as model.onnx with its metadata.json, as a training run writes them."""
    mean, scale, _ = trained_mlp()
    onnx_bytes = mlp_onnx(mean, scale, weights, biases)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "model.onnx").write_bytes(onnx_bytes)
    metadata = {
        "name": "iris-mlp",
        "version": "test",
        "architecture": "network",
        "libraries": {"scikit-learn": "1.9.1"},
        "task": "classification",
        "labels": ["setosa", "versicolor", "virginica"],
        "model_sha256": sha256_hex(onnx_bytes),
        "signature": {
            "inputs": [{"name": "input", "datatype": "FP32", "shape": [-1, 4]}],
            "outputs": [{"name": "probabilities", "datatype": "FP32", "shape": [-1, 3]}],
        },
    }
    (folder / "metadata.json").write_text(json.dumps(metadata))
    return folder / "model.onnx"


def test_network_gets_static_int8_within_the_accuracy_bound(tmp_path: Path):
    _, _, mlp = trained_mlp()
    model = network_model(tmp_path, mlp.coefs_, mlp.intercepts_)

    manifest = export_bundle(model, log=lambda _line: None)

    assert manifest.quantization.precision == "int8"
    assert manifest.quantization.calibration_rows == len(split(load_dataset()).train_y)
    assert manifest.model.bytes < 0.5 * manifest.source_model.bytes
    assert manifest.model.bytes < 0.5 * manifest.sizes["float_ort"]
    assert manifest.accuracy.change >= -MAX_ACCURACY_DROP
    assert manifest.accuracy.float_model >= 0.9
    bundle = (tmp_path / "edge" / BUNDLE_MODEL_FILE_NAME).read_bytes()
    (probabilities,) = cpu_session(bundle).run(None, {"input": held_out_data().rows})
    # The softmax's output is quantized too (uint8: steps of 1/255), so sums drift slightly.
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=3 / 255)


def test_export_refuses_a_bundle_that_loses_too_much_accuracy(
    bundled_model_dir: Path, tmp_path: Path
):
    # A "network" that always answers setosa: right on a third of the held-out rows.
    weights = [np.zeros((4, 3))]
    biases = [np.array([5.0, 0.0, 0.0])]
    always_setosa = network_model(tmp_path, weights, biases).read_bytes()
    float_model = (bundled_model_dir / "model.onnx").read_bytes()

    with pytest.raises(ExportError, match=r"more than the 0\.0300 allowed"):
        compare_accuracy(float_model, always_setosa, held_out_data(), MAX_ACCURACY_DROP)


def test_export_refuses_a_model_that_does_not_match_its_metadata(
    bundled_model_dir: Path, tmp_path: Path
):
    for name in ("model.onnx", "metadata.json"):
        (tmp_path / name).write_bytes((bundled_model_dir / name).read_bytes())
    (tmp_path / "model.onnx").write_bytes((tmp_path / "model.onnx").read_bytes() + b"\0")
    with pytest.raises(ExportError, match="does not match the model_sha256"):
        export_bundle(tmp_path / "model.onnx", log=lambda _line: None)
