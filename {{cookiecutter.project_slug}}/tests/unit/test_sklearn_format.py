"""The sklearn format: the pipeline served natively from a skops file, never unpickled.

Kata ships this module only in projects whose model format is sklearn.
"""

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import skops.io
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from app.model import InputTensor, ModelLoadError, ModelRunner
from app.model.source import sha256_hex
from app.training.artefacts import iris_pipeline
from app.training.data import load_dataset, split

CODE_RAN: list[str] = []


class SelfRegistering(LogisticRegression):
    """A classifier whose class lives outside scikit-learn: a stand-in for arbitrary code."""

    def __setstate__(self, state: dict[str, Any]) -> None:
        CODE_RAN.append("__setstate__")
        super().__setstate__(state)


@pytest.fixture(scope="module")
def held_out() -> tuple[np.ndarray, np.ndarray]:
    rows = split(load_dataset())
    return rows.test_x, rows.test_y


@pytest.fixture(scope="module")
def pipeline() -> Any:
    """The pipeline as the training script fits it, fitted again here independently."""
    rows = split(load_dataset())
    return iris_pipeline().fit(rows.train_x, rows.train_y)


@pytest.fixture(scope="module")
def served(model_path: Path) -> ModelRunner:
    runner = ModelRunner()
    runner.load(str(model_path))
    return runner


def test_training_writes_a_skops_file_and_says_so(model_path: Path, metadata: dict[str, Any]):
    assert model_path.name == "model.skops"
    assert metadata["format"] == "sklearn"
    assert metadata["libraries"]["skops"] == skops.__version__
    assert skops.io.get_untrusted_types(file=model_path) == []


def test_labels_and_probabilities_match_the_pipeline_on_held_out_rows(
    served: ModelRunner, pipeline: Any, held_out: tuple[np.ndarray, np.ndarray]
):
    rows, _ = held_out

    answers = served.predict(rows.tolist())
    probabilities = served.predict_matrix(rows)

    assert [answer.label_index for answer in answers] == pipeline.predict(rows).tolist()
    np.testing.assert_allclose(probabilities, pipeline.predict_proba(rows), atol=1e-6)


def test_the_v2_label_output_is_the_pipelines_predict(
    served: ModelRunner, pipeline: Any, held_out: tuple[np.ndarray, np.ndarray]
):
    rows, _ = held_out
    flat = rows.astype(np.float32).ravel().tolist()
    tensor = InputTensor(name="input", datatype="FP32", shape=list(rows.shape), data=flat)

    (labels,) = served.infer([tensor], ["label"])

    assert (labels.datatype, labels.shape) == ("INT64", [len(rows)])
    assert labels.data == pipeline.predict(rows).tolist()


def test_a_file_with_an_untrusted_type_is_refused_before_it_is_built(
    model_copy: Path, metadata: dict[str, Any], held_out: tuple[np.ndarray, np.ndarray]
):
    rows, targets = held_out
    sneaky = SelfRegistering(max_iter=500).fit(rows, targets)
    _replace_model(model_copy, metadata, skops.io.dumps(sneaky))

    with pytest.raises(ModelLoadError, match=r"does not trust.*SelfRegistering"):
        ModelRunner().load(str(model_copy / "model.skops"))
    assert CODE_RAN == []


def test_a_file_holding_no_classifier_is_refused(
    model_copy: Path, metadata: dict[str, Any], held_out: tuple[np.ndarray, np.ndarray]
):
    scaler = StandardScaler().fit(held_out[0])
    _replace_model(model_copy, metadata, skops.io.dumps(scaler))

    with pytest.raises(ModelLoadError, match="holds a StandardScaler, not a fitted classifier"):
        ModelRunner().load(str(model_copy / "model.skops"))


def test_a_pickle_is_not_a_skops_file(model_copy: Path, metadata: dict[str, Any]):
    # A pickle that would run a shell command when unpickled: skops never unpickles it.
    payload = b"cos\nsystem\n(S'echo pwned'\ntR."
    _replace_model(model_copy, metadata, payload)

    with pytest.raises(ModelLoadError, match="is not a readable skops file"):
        ModelRunner().load(str(model_copy / "model.skops"))


def _replace_model(folder: Path, metadata: dict[str, Any], content: bytes) -> None:
    (folder / "model.skops").write_bytes(content)
    metadata["model_sha256"] = sha256_hex(content)
    metadata["signature"] = None
    (folder / "metadata.json").write_text(json.dumps(metadata))
