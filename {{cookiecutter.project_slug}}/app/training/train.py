"""Train the sample iris classifier, export it to ONNX, and write its metadata.

Deterministic: the same data, hyperparameters and library versions give the same version.
"""

import argparse
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import numpy as np
import numpy.typing as npt
import onnx
import onnxruntime as ort
import skl2onnx
import sklearn
from skl2onnx.common.data_types import FloatTensorType
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from app.model.signature import InferenceSession, signature_from_session
from app.model.source import METADATA_FILE_NAME, sha256_hex

MODEL_NAME = "iris-classifier"
MODEL_FILE_NAME = "model.onnx"
INPUT_NAME = "input"
RANDOM_STATE = 42
HYPERPARAMETERS: dict[str, object] = {
    "scaler": "StandardScaler",
    "classifier": "LogisticRegression",
    "C": 1.0,
    "max_iter": 500,
    "test_size": 0.25,
    "random_state": RANDOM_STATE,
}
# A fixed opset keeps the exported graph identical whatever skl2onnx defaults to.
TARGET_OPSET = {"": 17, "ai.onnx.ml": 3}


@dataclass(frozen=True)
class Dataset:
    """The training table with its names and a hash of its content."""

    features: npt.NDArray[np.float64]
    targets: npt.NDArray[np.int64]
    feature_names: list[str]
    labels: list[str]
    sha256: str


def load_dataset() -> Dataset:
    """Iris as shipped inside scikit-learn: nothing is downloaded."""
    iris = load_iris()
    features = np.ascontiguousarray(iris.data, dtype="<f8")
    targets = np.ascontiguousarray(iris.target, dtype="<i8")
    digest = hashlib.sha256(features.tobytes() + targets.tobytes()).hexdigest()
    return Dataset(
        features=features,
        targets=targets,
        # "sepal length (cm)" -> "sepal_length": easy to type as a JSON key.
        feature_names=[name.removesuffix(" (cm)").replace(" ", "_") for name in iris.feature_names],
        labels=[str(name) for name in iris.target_names],
        sha256=digest,
    )


def fit(dataset: Dataset) -> tuple[Pipeline, float, npt.NDArray[np.float64]]:
    """Fit the pipeline; return it, its held-out accuracy, and the held-out features."""
    train_x, test_x, train_y, test_y = train_test_split(
        dataset.features,
        dataset.targets,
        test_size=HYPERPARAMETERS["test_size"],
        random_state=RANDOM_STATE,
        stratify=dataset.targets,
    )
    classifier = LogisticRegression(
        C=HYPERPARAMETERS["C"], max_iter=HYPERPARAMETERS["max_iter"], random_state=RANDOM_STATE
    )
    pipeline = Pipeline([("scaler", StandardScaler()), ("classifier", classifier)])
    pipeline.fit(train_x, train_y)
    return pipeline, float(pipeline.score(test_x, test_y)), test_x


def export_onnx(pipeline: Pipeline, n_features: int) -> bytes:
    """Convert to ONNX: input FP32 [-1, n], outputs label INT64 [-1], probabilities FP32."""
    model = skl2onnx.convert_sklearn(
        pipeline,
        initial_types=[(INPUT_NAME, FloatTensorType([None, n_features]))],
        options={LogisticRegression: {"zipmap": False}},
        target_opset=TARGET_OPSET,
        # skl2onnx names the graph with a random uuid unless told; a fixed name keeps
        # the file's bytes, and so its sha256, reproducible.
        name=MODEL_NAME,
    )
    return bytes(model.SerializeToString())


def check_export(
    onnx_bytes: bytes, pipeline: Pipeline, sample: npt.NDArray[np.float64]
) -> InferenceSession:
    """Refuse an export whose labels differ from scikit-learn's; return the ORT session."""
    session = ort.InferenceSession(onnx_bytes, providers=["CPUExecutionProvider"])
    onnx_labels = session.run(["label"], {INPUT_NAME: sample.astype(np.float32)})[0]
    if not np.array_equal(onnx_labels, pipeline.predict(sample)):
        raise RuntimeError("the ONNX export disagrees with scikit-learn on held-out rows")
    return cast("InferenceSession", session)


def library_versions() -> dict[str, str]:
    """The libraries whose versions can change the trained model."""
    return {
        "numpy": np.__version__,
        "scikit-learn": sklearn.__version__,
        "skl2onnx": skl2onnx.__version__,
        "onnx": onnx.__version__,
    }


def model_version(data_sha256: str, libraries: dict[str, str]) -> str:
    """First 12 hex digits of a hash over data, hyperparameters and library versions."""
    identity = {"data": data_sha256, "hyperparameters": HYPERPARAMETERS, "libraries": libraries}
    return sha256_hex(json.dumps(identity, sort_keys=True).encode())[:12]


def build_metadata(
    dataset: Dataset, accuracy: float, onnx_bytes: bytes, session: InferenceSession
) -> dict[str, object]:
    """Everything the server and a reader need to know about the exported model."""
    libraries = library_versions()
    return {
        "name": MODEL_NAME,
        "version": model_version(dataset.sha256, libraries),
        "training_data": {
            "name": "iris (bundled with scikit-learn)",
            "sha256": dataset.sha256,
            "rows": len(dataset.targets),
        },
        "hyperparameters": HYPERPARAMETERS,
        "libraries": libraries,
        "metrics": {"accuracy": round(accuracy, 4)},
        "labels": dataset.labels,
        "feature_names": dataset.feature_names,
        "signature": signature_from_session(session).as_dict(),
        "model_sha256": sha256_hex(onnx_bytes),
    }


def train_and_export(out_dir: Path, log: Callable[[str], None] = print) -> Path:
    """Train, export and write model.onnx and metadata.json into `out_dir`."""
    dataset = load_dataset()
    log(f"loaded {MODEL_NAME} data: {len(dataset.targets)} rows, sha256 {dataset.sha256[:12]}")
    pipeline, accuracy, held_out = fit(dataset)
    log(f"trained {HYPERPARAMETERS['classifier']}: held-out accuracy {accuracy:.4f}")
    onnx_bytes = export_onnx(pipeline, dataset.features.shape[1])
    session = check_export(onnx_bytes, pipeline, held_out)
    log("exported ONNX; its labels match scikit-learn on the held-out rows")
    metadata = build_metadata(dataset, accuracy, onnx_bytes, session)
    out_dir.mkdir(parents=True, exist_ok=True)
    model_path = out_dir / MODEL_FILE_NAME
    model_path.write_bytes(onnx_bytes)
    (out_dir / METADATA_FILE_NAME).write_text(json.dumps(metadata, indent=2) + "\n")
    log(f"wrote {model_path} and {METADATA_FILE_NAME} (version {metadata['version']})")
    return model_path


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: `python -m app.training --out models`."""
    parser = argparse.ArgumentParser(prog="python -m app.training", description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("models"), help="output directory")
    arguments = parser.parse_args(argv)
    train_and_export(arguments.out)
    return 0
