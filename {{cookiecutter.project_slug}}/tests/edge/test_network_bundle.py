"""The project's PyTorch network (model format pytorch) ships to devices as static int8:
smaller than its fp32 forms, within the accuracy bound, answering like the float model."""

import numpy as np

from app.edge.export import MAX_ACCURACY_DROP, cpu_session, held_out_data
from app.model.source import sha256_hex
from app.training.data import load_dataset, split
from tests.edge.bundles import ShippedBundle

# int8 activations move in steps of 1/255: a few steps, compounded through two hidden layers
# and the softmax.
INT8_PROBABILITY_TOLERANCE = 0.05


def test_trained_network_ships_static_int8_smaller_within_the_bound(shipped: ShippedBundle):
    manifest, metadata, bundle = shipped.manifest, shipped.metadata, shipped.model

    assert manifest.quantization.precision == "int8"
    assert manifest.quantization.calibration_rows == len(split(load_dataset()).train_y)
    assert manifest.producer.startswith("PyTorch ")
    assert manifest.model.sha256 == sha256_hex(bundle)
    assert manifest.sizes["bundle"] == manifest.sizes["int8_ort"] == len(bundle)
    assert len(bundle) < 0.6 * manifest.sizes["float_ort"]
    assert len(bundle) < 0.6 * manifest.source_model.bytes
    assert abs(manifest.accuracy.float_model - metadata["metrics"]["accuracy"]) < 1e-4
    assert manifest.accuracy.change >= -MAX_ACCURACY_DROP


def test_int8_bundle_answers_close_to_the_float_model(shipped: ShippedBundle):
    rows = held_out_data().rows
    float_model = cpu_session(shipped.float_model)
    bundle = cpu_session(shipped.model)
    float_labels, float_probabilities = float_model.run(None, {"input": rows})
    labels, probabilities = bundle.run(None, {"input": rows})
    # The accuracy bound in words: at most one of the 38 held-out rows changes its label.
    assert np.mean(labels == float_labels) >= 1 - MAX_ACCURACY_DROP
    # Most rows answer within the tolerance; a row near a class boundary may move further.
    drift = np.abs(probabilities - float_probabilities).max(axis=1)
    assert np.quantile(drift, 0.9) <= INT8_PROBABILITY_TOLERANCE
