"""The fitted preprocessing transformer: fetched, verified, rebuilt, and applied to rows."""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field
from sklearn.pipeline import Pipeline

from app.features import pipeline_from_state
from app.model.documents import parse_document
from app.model.errors import ModelLoadError
from app.model.metadata import SHA256_PATTERN
from app.model.source import fetch_model_files, verify_sha256
from app.model.validation import cast_finite, rows_to_matrix


class TransformerMetadata(BaseModel):
    """metadata.json beside transformer.json: what the training run recorded."""

    model_config = ConfigDict(extra="allow", frozen=True)

    name: str = Field(min_length=1)
    version: str = Field(min_length=1)
    """The training run's version: the predictor's model must carry the same one."""
    task: Literal["preprocess"]
    feature_names: list[str] = Field(min_length=1)
    """The raw features each row holds, in order (rows may also be keyed by these names)."""
    output_names: list[str] = Field(min_length=1)
    predictor_model: str = Field(min_length=1)
    """The model this transformer was fitted for: its name on the predictor's v2 routes."""
    model_sha256: str = Field(pattern=SHA256_PATTERN)


@dataclass(frozen=True)
class Transformer:
    """A loaded transformer and its metadata."""

    metadata: TransformerMetadata
    pipeline: Pipeline
    max_batch_size: int

    def transform(self, rows: Sequence[object]) -> list[list[float]]:
        """Validate rows like the predictor does, then apply the fitted pipeline."""
        names = self.metadata.feature_names
        matrix = rows_to_matrix(rows, names, len(names), self.max_batch_size)
        features = cast_finite(matrix, np.dtype(np.float64), "rows")
        transformed: list[list[float]] = self.pipeline.transform(features).tolist()
        return transformed


def load_transformer(
    uri: str, pinned_sha256: str | None, timeout_s: float, max_batch_size: int
) -> Transformer:
    """Fetch transformer.json and metadata.json, verify the checksum, rebuild the pipeline."""
    files = fetch_model_files(uri, timeout_s)
    metadata = parse_document(
        TransformerMetadata, files.metadata, files.metadata_location, "valid transformer metadata"
    )
    if pinned_sha256 is not None:
        verify_sha256(files.model, pinned_sha256, files.model_location, "the pinned checksum")
    verify_sha256(files.model, metadata.model_sha256, files.model_location, "metadata.json")
    try:
        pipeline = pipeline_from_state(json.loads(files.model))
    except (ValueError, KeyError, TypeError) as error:
        raise ModelLoadError(
            f"{files.model_location} is not a usable transformer: {error}"
        ) from error
    return Transformer(metadata, pipeline, max_batch_size)
