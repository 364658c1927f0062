"""The transport-agnostic model core: load, verify, validate, predict.

Nothing here imports a web framework, so HTTP, queue and batch adapters share it.
"""

from app.model.errors import (
    BatchTooLargeError,
    ChecksumMismatchError,
    InvalidInputError,
    ModelError,
    ModelLoadError,
    ModelNotReadyError,
    UnknownModelError,
)
from app.model.metadata import ModelMetadata
from app.model.runner import (
    Answer,
    FeaturesPrediction,
    InferenceObserver,
    ModelRunner,
    Prediction,
    ValuePrediction,
)
from app.model.signature import ModelSignature, TensorSpec
from app.model.tensors import InputTensor, OutputTensor

__all__ = [
    "Answer",
    "BatchTooLargeError",
    "ChecksumMismatchError",
    "FeaturesPrediction",
    "InferenceObserver",
    "InputTensor",
    "InvalidInputError",
    "ModelError",
    "ModelLoadError",
    "ModelMetadata",
    "ModelNotReadyError",
    "ModelRunner",
    "ModelSignature",
    "OutputTensor",
    "Prediction",
    "TensorSpec",
    "UnknownModelError",
    "ValuePrediction",
]
