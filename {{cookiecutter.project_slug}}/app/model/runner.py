"""ModelRunner: the one object every transport asks for predictions."""

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from app.model.errors import InvalidInputError, ModelNotReadyError, UnknownModelError
from app.model.loading import LoadedModel, open_model
from app.model.metadata import ModelMetadata
from app.model.signature import NUMPY_DTYPES, ModelSignature, TensorSpec
from app.model.source import fetch_model_files
from app.model.tensors import InputTensor, OutputTensor, tensor_from_wire, tensor_to_wire
from app.model.validation import cast_finite, check_matrix, rows_to_matrix


@dataclass(frozen=True)
class Prediction:
    """A classifier's answer for one row: the most probable class and every class's probability."""

    label: str
    label_index: int
    probabilities: dict[str, float]


@dataclass(frozen=True)
class ValuePrediction:
    """A regressor's answer for one row."""

    value: float


@dataclass(frozen=True)
class FeaturesPrediction:
    """A transform's answer for one row: features for the next model (e.g. an embedding)."""

    features: list[float]


Answer = Prediction | ValuePrediction | FeaturesPrediction
"""One row's answer, shaped by the model's task."""


class InferenceObserver(Protocol):
    """Told how long each model call took; metrics implement it."""

    def observe_inference(self, seconds: float, batch_size: int) -> None:
        """Record one call of the model on `batch_size` rows."""


class ModelRunner:
    """Loads one model, reports readiness, and runs validated batches through it.

    `load` is blocking (it may download); transports call it off their event loop.
    Predictions are thread-safe: ONNX Runtime sessions allow concurrent `run` calls.
    """

    def __init__(
        self,
        *,
        max_batch_size: int = 1024,
        inference_threads: int = 1,
        observer: InferenceObserver | None = None,
    ) -> None:
        self.max_batch_size = max_batch_size
        self._inference_threads = inference_threads
        self._observer = observer
        self._model: LoadedModel | None = None

    @property
    def ready(self) -> bool:
        """True once a model has loaded and verified."""
        return self._model is not None

    @property
    def metadata(self) -> ModelMetadata:
        """The loaded model's metadata; raises ModelNotReadyError before that."""
        return self._require_model().metadata

    @property
    def signature(self) -> ModelSignature:
        """The loaded model's graph signature; raises ModelNotReadyError before that."""
        return self._require_model().signature

    def load(
        self, uri: str, *, expected_sha256: str | None = None, timeout_s: float = 30.0
    ) -> ModelMetadata:
        """Fetch, verify and open the model at `uri`; raises ModelLoadError on any failure."""
        files = fetch_model_files(uri, timeout_s)
        self._model = open_model(files, expected_sha256, self._inference_threads)
        return self._model.metadata

    def check_model_name(self, name: str) -> None:
        """Raise UnknownModelError unless `name` is the loaded model's name."""
        served = self.metadata.name
        if name != served:
            raise UnknownModelError(f"unknown model {name!r}; this server serves {served!r}")

    def predict(self, rows: Sequence[object]) -> list[Answer]:
        """Answer rows given as arrays of numbers or objects keyed by feature name."""
        return self.answer_matrix(self.rows_matrix(rows))

    def rows_matrix(self, rows: Sequence[object]) -> npt.NDArray[np.float64]:
        """Rows checked against the model's signature, as a [rows, features] float matrix.

        Rows given as arrays and as objects keyed by feature name give the same matrix, so a
        cache keyed by it answers both alike.
        """
        model = self._require_model()
        return rows_to_matrix(
            rows, model.metadata.feature_names, model.features.shape[1], self.max_batch_size
        )

    def answer_matrix(self, matrix: npt.NDArray[Any]) -> list[Answer]:
        """One answer per row of a [rows, features] matrix (see `predict_matrix`)."""
        return _decode(self.predict_matrix(matrix), self.metadata)

    def check_rows(self, rows: Sequence[object]) -> None:
        """Raise what `predict` would for rows that do not fit the model, without running it.

        For adapters that accept work now and predict later (a job queue): a bad row is
        refused while the client is still there to hear why.
        """
        datatype = self._require_model().features.datatype
        cast_finite(self.rows_matrix(rows), NUMPY_DTYPES[datatype], "rows")

    def predict_matrix(self, matrix: npt.NDArray[Any]) -> npt.NDArray[Any]:
        """The model's main output, one row per row of a [rows, features] matrix: class
        probabilities (columns follow `metadata.labels`), a value, or a feature vector.

        For adapters that already hold numbers in the model's feature order (a batch job
        reading columns): the same checks as `predict` (batch size, feature count, finite
        values) without building a Python object per row.
        """
        model = self._require_model()
        check_matrix(matrix, model.features.shape[1], self.max_batch_size)
        features = cast_finite(matrix, NUMPY_DTYPES[model.features.datatype], "rows")
        (output,) = self._run(model, [model.output.name], {model.features.name: features})
        return output

    def infer(
        self, inputs: Sequence[InputTensor], output_names: Sequence[str] | None = None
    ) -> list[OutputTensor]:
        """Run Open Inference Protocol tensors; returns the requested outputs (all by default)."""
        model = self._require_model()
        arrays = self._input_arrays(model, inputs)
        specs = [self._output_spec(model, name) for name in output_names or []]
        specs = specs or list(model.signature.outputs)
        try:
            results = self._run(model, [spec.name for spec in specs], arrays)
        except Exception as error:  # inputs valid one by one may still disagree (batch sizes)
            raise InvalidInputError(f"the model could not run on these inputs: {error}") from error
        return [tensor_to_wire(array, spec) for array, spec in zip(results, specs, strict=True)]

    def _input_arrays(
        self, model: LoadedModel, inputs: Sequence[InputTensor]
    ) -> dict[str, npt.NDArray[Any]]:
        names = [tensor.name for tensor in inputs]
        expected = [spec.name for spec in model.signature.inputs]
        if len(set(names)) != len(names):
            raise InvalidInputError(f"inputs repeat a name: {names}")
        unknown = [name for name in names if name not in expected]
        if unknown:
            raise InvalidInputError(
                f"the model has no input {unknown[0]!r}; its inputs are {expected}"
            )
        missing = [name for name in expected if name not in names]
        if missing:
            raise InvalidInputError(f"missing inputs {missing}; the model's inputs are {expected}")
        return {
            tensor.name: tensor_from_wire(
                tensor, model.signature.inputs[expected.index(tensor.name)], self.max_batch_size
            )
            for tensor in inputs
        }

    @staticmethod
    def _output_spec(model: LoadedModel, name: str) -> TensorSpec:
        spec = model.signature.output_named(name)
        if spec is None:
            expected = [output.name for output in model.signature.outputs]
            raise InvalidInputError(f"the model has no output {name!r}; its outputs are {expected}")
        return spec

    def _run(
        self, model: LoadedModel, output_names: list[str], feeds: Mapping[str, npt.NDArray[Any]]
    ) -> list[npt.NDArray[Any]]:
        started = time.perf_counter()
        results: list[npt.NDArray[Any]] = model.session.run(output_names, dict(feeds))
        if self._observer is not None:
            first = next(iter(feeds.values()))
            batch_size = int(first.shape[0]) if first.ndim else 1
            self._observer.observe_inference(time.perf_counter() - started, batch_size)
        return results

    def _require_model(self) -> LoadedModel:
        model = self._model
        if model is None:
            raise ModelNotReadyError("the model is not loaded yet")
        return model


def _decode(output: npt.NDArray[Any], metadata: ModelMetadata) -> list[Answer]:
    if metadata.task == "regression":
        return [ValuePrediction(value) for value in output.reshape(len(output)).tolist()]
    if metadata.task == "transform":
        return [FeaturesPrediction(row) for row in output.tolist()]
    return _classes(output, metadata.labels or [])


def _classes(probabilities: npt.NDArray[Any], labels: Sequence[str]) -> list[Answer]:
    winners = probabilities.argmax(axis=1).tolist()
    return [
        Prediction(
            label=labels[winner],
            label_index=winner,
            probabilities=dict(zip(labels, row, strict=True)),
        )
        for winner, row in zip(winners, probabilities.tolist(), strict=True)
    ]
