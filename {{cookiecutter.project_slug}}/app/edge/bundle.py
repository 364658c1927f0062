"""The device bundle's layout and manifest, shared by the exporter and the server.

A bundle is a folder: `manifest.json` and the model file it names (`model.ort`). The
manifest is the contract with devices: they compare its sha256 with what they hold and
download the model only when it changed. The Python device client (app/edge/client.py)
reads the same JSON without this module, so it needs nothing but numpy and onnxruntime.
"""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.model.documents import parse_document
from app.model.metadata import SHA256_PATTERN

BUNDLE_DIR_NAME = "edge"
"""Where `make bundle` writes the bundle: this folder beside model.onnx."""
MANIFEST_FILE_NAME = "manifest.json"
BUNDLE_MODEL_FILE_NAME = "model.ort"
MANIFEST_FORMAT = "kata-edge-bundle/1"

Precision = Literal["fp32", "int8"]


class FileFacts(BaseModel):
    """One file of the bundle (or the model it came from): name, checksum and size."""

    model_config = ConfigDict(frozen=True)

    # A plain file name: devices and the server join it to a folder, so no separators.
    file: str = Field(pattern=r"^[A-Za-z0-9_-][A-Za-z0-9._-]*$")
    sha256: str = Field(pattern=SHA256_PATTERN)
    bytes: int = Field(gt=0)


class Accuracy(BaseModel):
    """Held-out accuracy of the float model and of the bundle, on the same rows."""

    model_config = ConfigDict(frozen=True)

    held_out_rows: int = Field(gt=0)
    float_model: float = Field(ge=0, le=1)
    bundle: float = Field(ge=0, le=1)
    change: float
    """bundle - float_model: negative when quantization cost accuracy."""
    max_drop: float = Field(ge=0)
    """The export refuses a bundle that loses more than this."""


class Quantization(BaseModel):
    """What was done to the weights, and why."""

    model_config = ConfigDict(frozen=True)

    precision: Precision
    method: str
    reason: str
    calibration_rows: int | None = None


class BundleManifest(BaseModel):
    """manifest.json: what a device needs to decide, fetch, verify and run the bundle."""

    model_config = ConfigDict(extra="allow", frozen=True)

    format: Literal["kata-edge-bundle/1"]
    name: str = Field(min_length=1)
    version: str = Field(min_length=1)
    """The trained model's version (metadata.json): devices show it, the server matches it."""
    producer: str
    """What made the float graph (scikit-learn through skl2onnx, or a PyTorch network)."""
    model: FileFacts
    """The file devices download and run (ORT format)."""
    source_model: FileFacts
    """The float model.onnx the bundle was exported from: the one the server runs."""
    quantization: Quantization
    accuracy: Accuracy
    size_ratio: float = Field(gt=0)
    """Bundle bytes / float model.onnx bytes."""
    sizes: dict[str, int]
    """Bytes of each form the export made: float_onnx, float_ort, int8_onnx and int8_ort
    (networks), bundle."""
    signature: dict[str, Any]
    labels: list[str] | None = None
    feature_names: list[str] | None = None
    onnxruntime: str
    """The ONNX Runtime version that converted it (the browser page runs onnxruntime-web as
    pinned in package.json; the ORT format loads across these versions, as the tests check)."""


def parse_manifest(raw: bytes, source: str) -> BundleManifest:
    """Parse manifest.json, naming the file and the offending field on failure."""
    return parse_document(BundleManifest, raw, source, "a valid bundle manifest")
