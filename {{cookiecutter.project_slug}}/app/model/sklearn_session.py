"""A scikit-learn classifier served natively, behind the same session protocol as ONNX Runtime.

The model file is a skops archive. skops rebuilds objects from a schema instead of running
pickle's byte code, and refuses any type it does not trust, so a model fetched from a URL
cannot execute code while it loads (see docs/decisions in Kata: 0020).
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import skops.io

from app.model.errors import ModelLoadError

INPUT_NAME = "input"
LABEL_OUTPUT = "label"
PROBABILITIES_OUTPUT = "probabilities"

TRUSTED_TYPES: tuple[str, ...] = ()
"""Types trusted on top of skops' defaults (scikit-learn's estimators, numpy, builtins).

Empty on purpose: the pipeline the training script writes needs none, and every type added
here is code a model file may make the server run. `python -m app.training` checks that a
freshly saved model needs nothing more, so a new estimator fails training, not serving.
"""


@dataclass(frozen=True)
class TensorArg:
    """One input or output, described the way ONNX Runtime describes its graph's."""

    name: str
    type: str
    shape: Sequence[object]


def untrusted_types(model_bytes: bytes) -> list[str]:
    """The types in a skops file that the server would refuse to load."""
    found = skops.io.get_untrusted_types(data=model_bytes)
    return sorted(set(found) - set(TRUSTED_TYPES))


class SklearnSession:
    """A fitted classifier answering `label` (INT64 [-1]) and `probabilities` (FP32 [-1, k]).

    scikit-learn's `predict` and `predict_proba` only read the fitted state, so concurrent
    `run` calls are safe, as they are on an ONNX Runtime session.
    """

    def __init__(self, model: Any) -> None:  # noqa: ANN401 - any fitted scikit-learn classifier
        self._model = model
        self._features = int(model.n_features_in_)
        self._classes = len(model.classes_)

    def get_inputs(self) -> Sequence[TensorArg]:
        """One float matrix: a row per example, a column per feature."""
        return [TensorArg(INPUT_NAME, "tensor(float)", [None, self._features])]

    def get_outputs(self) -> Sequence[TensorArg]:
        """The predicted class index per row, then every class's probability per row."""
        return [
            TensorArg(LABEL_OUTPUT, "tensor(int64)", [None]),
            TensorArg(PROBABILITIES_OUTPUT, "tensor(float)", [None, self._classes]),
        ]

    def run(self, output_names: list[str] | None, input_feed: dict[str, Any]) -> list[Any]:
        """Answer the requested outputs (all when None) for the rows in `input_feed`."""
        rows = self._rows(input_feed)
        outputs: dict[str, Callable[[], npt.NDArray[Any]]] = {
            # The class's index (the column of `probabilities`), whatever the class values are.
            LABEL_OUTPUT: lambda: np.asarray(
                self._model.predict_proba(rows).argmax(axis=1), dtype=np.int64
            ),
            PROBABILITIES_OUTPUT: lambda: np.asarray(
                self._model.predict_proba(rows), dtype=np.float32
            ),
        }
        names = output_names or list(outputs)
        unknown = [name for name in names if name not in outputs]
        if unknown:
            raise ValueError(f"no output {unknown[0]!r}; outputs are {list(outputs)}")
        return [outputs[name]() for name in names]

    def _rows(self, input_feed: dict[str, Any]) -> npt.NDArray[np.float64]:
        if set(input_feed) != {INPUT_NAME}:
            raise ValueError(f"expected the one input {INPUT_NAME!r}, got {sorted(input_feed)}")
        rows = np.asarray(input_feed[INPUT_NAME])
        if rows.ndim != 2 or rows.shape[1] != self._features:
            raise ValueError(f"input must be [rows, {self._features}], it is {list(rows.shape)}")
        # The pipeline was fitted on float64; float32 rows widen exactly.
        return rows.astype(np.float64)


def open_sklearn_session(model_bytes: bytes, location: str) -> SklearnSession:
    """Load a skops file with only trusted types; refuse anything else before building it."""
    try:
        refused = untrusted_types(model_bytes)
    except Exception as error:  # skops raises zip, JSON and key errors for damaged files
        raise ModelLoadError(f"{location} is not a readable skops file: {error}") from error
    if refused:
        raise ModelLoadError(
            f"{location} holds types this server does not trust, refused before loading: "
            f"{', '.join(refused)}"
        )
    try:
        model = skops.io.loads(model_bytes, trusted=list(TRUSTED_TYPES))
    except Exception as error:  # as above: any failure here means an unusable file
        raise ModelLoadError(f"skops cannot load {location}: {error}") from error
    if not all(hasattr(model, name) for name in ("predict_proba", "classes_", "n_features_in_")):
        raise ModelLoadError(
            f"{location} holds a {type(model).__name__}, not a fitted classifier with predict_proba"
        )
    return SklearnSession(model)
