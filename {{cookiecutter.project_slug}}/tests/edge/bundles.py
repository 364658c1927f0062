"""A device bundle as `make bundle` leaves it in a model folder, read back for the tests."""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.edge.bundle import (
    BUNDLE_DIR_NAME,
    BUNDLE_MODEL_FILE_NAME,
    MANIFEST_FILE_NAME,
    BundleManifest,
)
from app.model.source import METADATA_FILE_NAME


@dataclass(frozen=True)
class ShippedBundle:
    """What `make bundle` leaves in a model folder, read back."""

    manifest: BundleManifest
    metadata: dict[str, Any]
    """The training run's metadata.json beside the float model."""
    model: bytes
    """The bundle's model file (ORT format), as devices download it."""
    float_model: bytes
    """The model.onnx the bundle was exported from."""


def shipped_bundle(model_folder: Path) -> ShippedBundle:
    edge = model_folder / BUNDLE_DIR_NAME
    return ShippedBundle(
        manifest=BundleManifest.model_validate_json((edge / MANIFEST_FILE_NAME).read_bytes()),
        metadata=json.loads((model_folder / METADATA_FILE_NAME).read_text()),
        model=(edge / BUNDLE_MODEL_FILE_NAME).read_bytes(),
        float_model=(model_folder / "model.onnx").read_bytes(),
    )
