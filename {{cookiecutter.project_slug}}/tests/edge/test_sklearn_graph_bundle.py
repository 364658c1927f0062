"""The project's scikit-learn graph (model format onnx) ships to devices as fp32, unchanged."""

import json
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

from app.edge.bundle import BUNDLE_MODEL_FILE_NAME, MANIFEST_FILE_NAME, BundleManifest
from app.edge.export import held_out_data
from app.model.source import sha256_hex


def session(model: bytes) -> ort.InferenceSession:
    return ort.InferenceSession(model, providers=["CPUExecutionProvider"])


def test_scikit_learn_graph_ships_fp32_and_says_why(bundled_model_dir: Path):
    manifest = BundleManifest.model_validate_json(
        (bundled_model_dir / "edge" / MANIFEST_FILE_NAME).read_bytes()
    )
    metadata = json.loads((bundled_model_dir / "metadata.json").read_text())
    bundle = (bundled_model_dir / "edge" / BUNDLE_MODEL_FILE_NAME).read_bytes()

    assert manifest.quantization.precision == "fp32"
    assert "scikit-learn graph ships fp32" in manifest.quantization.reason
    assert (manifest.name, manifest.version) == (metadata["name"], metadata["version"])
    assert manifest.model.sha256 == sha256_hex(bundle)
    assert manifest.model.bytes == len(bundle)
    assert manifest.source_model.sha256 == metadata["model_sha256"]
    assert manifest.signature == metadata["signature"]
    assert manifest.labels == metadata["labels"]
    assert manifest.size_ratio == pytest.approx(len(bundle) / manifest.source_model.bytes, abs=1e-4)
    assert manifest.accuracy.change == 0.0
    assert manifest.accuracy.float_model == pytest.approx(metadata["metrics"]["accuracy"], abs=1e-4)


def test_ort_bundle_answers_like_the_float_model(bundled_model_dir: Path):
    rows = held_out_data().rows
    float_model = session((bundled_model_dir / "model.onnx").read_bytes())
    bundle = session((bundled_model_dir / "edge" / BUNDLE_MODEL_FILE_NAME).read_bytes())
    float_labels, float_probabilities = float_model.run(None, {"input": rows})
    labels, probabilities = bundle.run(None, {"input": rows})
    assert np.array_equal(labels, float_labels)
    np.testing.assert_allclose(probabilities, float_probabilities, atol=1e-6)
