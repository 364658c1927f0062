"""The project's scikit-learn graph (model format onnx) ships to devices as fp32, unchanged."""

import numpy as np
import pytest

from app.edge.export import cpu_session, held_out_data
from app.model.source import sha256_hex
from tests.edge.bundles import ShippedBundle


def test_scikit_learn_graph_ships_fp32_and_says_why(shipped: ShippedBundle):
    manifest, metadata, bundle = shipped.manifest, shipped.metadata, shipped.model

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


def test_ort_bundle_answers_like_the_float_model(shipped: ShippedBundle):
    rows = held_out_data().rows
    float_model = cpu_session(shipped.float_model)
    bundle = cpu_session(shipped.model)
    float_labels, float_probabilities = float_model.run(None, {"input": rows})
    labels, probabilities = bundle.run(None, {"input": rows})
    assert np.array_equal(labels, float_labels)
    np.testing.assert_allclose(probabilities, float_probabilities, atol=1e-6)
