"""Verify fetched model files and open them: ONNX Runtime, or scikit-learn through skops."""

import importlib
from dataclasses import dataclass
from typing import cast

import onnxruntime as ort

from app.model.errors import ModelLoadError
from app.model.metadata import ModelMetadata, parse_metadata
from app.model.signature import (
    DYNAMIC,
    InferenceSession,
    ModelSignature,
    TensorSpec,
    signature_from_session,
)
from app.model.source import ModelFiles, verify_sha256

PROBABILITIES_OUTPUT = "probabilities"
"""The output /predict reads from a classifier: one row of class probabilities per input row."""

_FLOAT_DATATYPES = ("FP16", "FP32", "FP64")


@dataclass(frozen=True)
class LoadedModel:
    """An open inference session with the facts the server needs about it."""

    session: InferenceSession
    signature: ModelSignature
    metadata: ModelMetadata
    features: TensorSpec
    """The single 2-D input that /predict fills with rows."""
    output: TensorSpec
    """The output /predict reads: class probabilities, a value, or a feature vector per row."""


def open_model(
    files: ModelFiles, pinned_sha256: str | None = None, inference_threads: int = 1
) -> LoadedModel:
    """Check the files' integrity and the graph's shape, then open a session."""
    metadata = parse_metadata(files.metadata, files.metadata_location)
    if pinned_sha256 is not None:
        verify_sha256(files.model, pinned_sha256, files.model_location, "the pinned checksum")
    verify_sha256(
        files.model,
        metadata.model_sha256,
        files.model_location,
        f"{files.metadata_location} (model_sha256)",
    )
    if metadata.format == "sklearn":
        session = _open_sklearn_session(files)
    else:
        session = _open_session(files, inference_threads)
    signature = signature_from_session(session)
    _check_recorded_signature(metadata, signature, files.metadata_location)
    return LoadedModel(
        session=session,
        signature=signature,
        metadata=metadata,
        features=_features_input(signature, metadata),
        output=_predict_output(signature, metadata),
    )


def _open_session(files: ModelFiles, inference_threads: int) -> InferenceSession:
    options = ort.SessionOptions()
    # Small tabular models run fastest on one thread: spreading microseconds of work
    # over a thread pool costs more than it saves, and replicas scale out instead.
    options.intra_op_num_threads = inference_threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    try:
        session = ort.InferenceSession(
            files.model, sess_options=options, providers=["CPUExecutionProvider"]
        )
    except Exception as error:  # ONNX Runtime raises several unrelated types for bad graphs
        raise ModelLoadError(f"ONNX Runtime cannot open {files.model_location}: {error}") from error
    return cast("InferenceSession", session)


def _open_sklearn_session(files: ModelFiles) -> InferenceSession:
    # The module, and skops with it, ships only in projects whose model format is sklearn.
    try:
        backend = importlib.import_module("app.model.sklearn_session")
    except ModuleNotFoundError as error:
        if error.name != "app.model.sklearn_session":  # skops or scikit-learn missing
            raise ModelLoadError(f"cannot open a scikit-learn model: {error}") from error
        raise ModelLoadError(
            f"{files.metadata_location} says format 'sklearn', but this project serves ONNX "
            "models only (generate it with model_format=sklearn to serve scikit-learn)"
        ) from error
    session = backend.open_sklearn_session(files.model, files.model_location)
    return cast("InferenceSession", session)


def _check_recorded_signature(
    metadata: ModelMetadata, signature: ModelSignature, location: str
) -> None:
    if metadata.signature is not None and metadata.signature != signature.as_dict():
        raise ModelLoadError(
            f"the signature recorded in {location} does not match the model graph: "
            f"recorded {metadata.signature}, graph {signature.as_dict()}"
        )


def _features_input(signature: ModelSignature, metadata: ModelMetadata) -> TensorSpec:
    if len(signature.inputs) != 1:
        raise ModelLoadError(f"the model must have one input, it has {len(signature.inputs)}")
    spec = signature.inputs[0]
    if len(spec.shape) != 2 or spec.shape[1] == DYNAMIC or spec.datatype not in _FLOAT_DATATYPES:
        raise ModelLoadError(
            f"input {spec.name!r} must be a float matrix [batch, features] with a fixed "
            f"number of features, it is {spec.datatype} {list(spec.shape)}"
        )
    names = metadata.feature_names
    if names is not None and len(names) != spec.shape[1]:
        raise ModelLoadError(
            f"metadata lists {len(names)} feature names but the model takes {spec.shape[1]}"
        )
    return spec


def _predict_output(signature: ModelSignature, metadata: ModelMetadata) -> TensorSpec:
    if metadata.task == "classification":
        name = metadata.predict_output or PROBABILITIES_OUTPUT
        return _probabilities_output(signature, name, metadata.labels or [])
    return _value_output(signature, metadata)


def _probabilities_output(signature: ModelSignature, name: str, labels: list[str]) -> TensorSpec:
    spec = signature.output_named(name)
    if spec is None or len(spec.shape) != 2 or spec.datatype not in _FLOAT_DATATYPES:
        raise ModelLoadError(
            f"the model must have a 2-D float output named {name!r} "
            "(export classifiers with zipmap disabled)"
        )
    if spec.shape[1] not in (DYNAMIC, len(labels)):
        raise ModelLoadError(
            f"metadata lists {len(labels)} labels but {name!r} has {spec.shape[1]} columns"
        )
    return spec


def _value_output(signature: ModelSignature, metadata: ModelMetadata) -> TensorSpec:
    """Regressors and transforms answer with one float output: [batch] or [batch, k] (the one
    metadata names, or the graph's only float output)."""
    floats = [spec for spec in signature.outputs if spec.datatype in _FLOAT_DATATYPES]
    if metadata.predict_output is not None:
        floats = [spec for spec in floats if spec.name == metadata.predict_output]
    if len(floats) != 1:
        raise ModelLoadError(
            f"a {metadata.task} model must have exactly one float output"
            f"{' named ' + repr(metadata.predict_output) if metadata.predict_output else ''}, "
            f"it has {[spec.name for spec in floats]}"
        )
    spec = floats[0]
    regression = metadata.task == "regression"
    if not (spec.shape[1:] in ((), (1,)) if regression else len(spec.shape) == 2):
        raise ModelLoadError(
            f"output {spec.name!r} of a {metadata.task} model cannot have shape {list(spec.shape)}"
            " (a regression answers [batch] or [batch, 1], a transform [batch, features])"
        )
    return spec
