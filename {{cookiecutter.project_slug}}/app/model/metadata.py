"""metadata.json: what the training script records beside the model file."""

from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.model.documents import parse_document

SHA256_PATTERN = r"^[0-9a-f]{64}$"

StoredFormat = Literal["onnx", "sklearn"]
"""How the model file is stored: an ONNX graph, or a scikit-learn estimator saved with skops."""

Task = Literal["classification", "regression", "transform"]
"""What /predict answers per row: a class, a number, or a feature vector for a next model."""


class ModelMetadata(BaseModel):
    """The fields the server relies on; anything else the file holds is kept as is."""

    model_config = ConfigDict(extra="allow", frozen=True)

    name: str = Field(min_length=1)
    """The model's name: the `{name}` of the v2 routes."""
    version: str = Field(min_length=1)
    """Content-derived version: the same data, hyperparameters and libraries give the same one."""
    task: Task = "classification"
    """classification (label + probabilities), regression (a value) or transform (features)."""
    labels: list[str] | None = Field(default=None, min_length=1)
    """Class names, indexed by the columns of the `probabilities` output (classifiers only)."""
    feature_names: list[str] | None = None
    """Names accepted as keys when a row is sent as an object; None allows list rows only."""
    format: StoredFormat = "onnx"
    """How to open the model file; files written before the field existed are ONNX."""
    model_sha256: str = Field(pattern=SHA256_PATTERN)
    """sha256 of the model file, checked on every load."""
    signature: dict[str, Any] | None = None
    """The model's inputs and outputs as recorded at export; must match the opened model."""
    predict_output: str | None = Field(default=None, min_length=1)
    """The output /predict reads, for an imported model whose outputs are named otherwise;
    None: `probabilities` for a classifier, the one float output for the other tasks."""

    @model_validator(mode="after")
    def _classifiers_name_their_classes(self) -> Self:
        if self.task == "classification" and self.labels is None:
            raise ValueError("labels: a classification model must list its class names")
        return self


def parse_metadata(raw: bytes, source: str) -> ModelMetadata:
    """Parse metadata.json, naming the file and the offending field on failure."""
    return parse_document(ModelMetadata, raw, source, "valid model metadata")
