"""Convert fitted scikit-learn models to ONNX and check the export against scikit-learn."""

from typing import Any, cast

import numpy as np
import numpy.typing as npt
import onnxruntime as ort
import skl2onnx
from skl2onnx.common.data_types import FloatTensorType

from app.model.signature import InferenceSession

INPUT_NAME = "input"
# A fixed opset keeps the exported graph identical whatever skl2onnx defaults to.
TARGET_OPSET = {"": 17, "ai.onnx.ml": 3}


def export_onnx(
    model: Any,  # noqa: ANN401 - any fitted scikit-learn estimator or pipeline
    n_features: int,
    name: str,
    *,
    classifier: bool,
) -> bytes:
    """Input FP32 [-1, n]; classifiers answer `label` and `probabilities` (no zipmap)."""
    onnx_model = skl2onnx.convert_sklearn(
        model,
        initial_types=[(INPUT_NAME, FloatTensorType([None, n_features]))],
        options={type(_final_step(model)): {"zipmap": False}} if classifier else None,
        target_opset=TARGET_OPSET,
        # skl2onnx names the graph with a random uuid unless told; a fixed name keeps
        # the file's bytes, and so its sha256, reproducible.
        name=name,
    )
    return bytes(onnx_model.SerializeToString())


def open_session(onnx_bytes: bytes) -> InferenceSession:
    """An ONNX Runtime session over the exported bytes."""
    session = ort.InferenceSession(onnx_bytes, providers=["CPUExecutionProvider"])
    return cast("InferenceSession", session)


def check_labels(
    session: InferenceSession, expected: npt.NDArray[Any], sample: npt.NDArray[np.float64]
) -> None:
    """Refuse a classifier export whose labels differ from scikit-learn's on held-out rows."""
    labels = session.run(["label"], {INPUT_NAME: sample.astype(np.float32)})[0]
    if not np.array_equal(labels, expected):
        raise RuntimeError("the ONNX export disagrees with scikit-learn on held-out rows")


def check_values(
    session: InferenceSession, expected: npt.NDArray[Any], sample: npt.NDArray[np.float64]
) -> None:
    """Refuse a regression or transform export that strays from scikit-learn's values."""
    (values,) = session.run(None, {INPUT_NAME: sample.astype(np.float32)})
    if not np.allclose(values.reshape(expected.shape), expected, atol=1e-4):
        raise RuntimeError("the ONNX export disagrees with scikit-learn on held-out rows")


def _final_step(model: Any) -> Any:  # noqa: ANN401
    steps = getattr(model, "steps", None)
    return steps[-1][1] if steps else model
