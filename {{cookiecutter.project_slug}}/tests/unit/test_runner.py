"""ModelRunner: load and verify, report readiness, predict and infer."""

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.linear_model import LinearRegression

from app.model import (
    ChecksumMismatchError,
    FeaturesPrediction,
    InputTensor,
    InvalidInputError,
    ModelLoadError,
    ModelNotReadyError,
    ModelRunner,
    UnknownModelError,
    ValuePrediction,
)
from app.model.source import sha256_hex
from app.training.onnx_export import export_onnx
from tests.support import PRIMARY_MODEL_FILE, SETOSA, VIRGINICA


class RecordingObserver:
    """Collects what the runner reports, as the metrics do."""

    def __init__(self) -> None:
        self.calls: list[tuple[float, int]] = []

    def observe_inference(self, seconds: float, batch_size: int) -> None:
        self.calls.append((seconds, batch_size))


@pytest.fixture(scope="module")
def runner(model_path: Path) -> ModelRunner:
    loaded = ModelRunner(max_batch_size=200)
    loaded.load(str(model_path))
    return loaded


def _rewrite_metadata(model_dir: Path, **changes: Any) -> None:
    path = model_dir / "metadata.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), **changes}))


def test_not_ready_until_loaded(model_path: Path):
    runner = ModelRunner()

    assert not runner.ready
    with pytest.raises(ModelNotReadyError):
        runner.predict([SETOSA])
    runner.load(str(model_path))
    assert runner.ready


def test_load_returns_the_metadata(model_path: Path, metadata: dict[str, Any]):
    loaded = ModelRunner().load(str(model_path))

    assert (loaded.name, loaded.version) == (metadata["name"], metadata["version"])


def test_predicts_labels_and_probabilities(runner: ModelRunner):
    setosa, virginica = runner.predict([SETOSA, VIRGINICA])

    assert (setosa.label, setosa.label_index) == ("setosa", 0)
    assert virginica.label == "virginica"
    assert list(setosa.probabilities) == ["setosa", "versicolor", "virginica"]
    assert sum(setosa.probabilities.values()) == pytest.approx(1.0, abs=1e-5)
    assert setosa.probabilities["setosa"] > 0.9


def test_object_rows_give_the_same_answer(runner: ModelRunner, metadata: dict[str, Any]):
    row = dict(zip(metadata["feature_names"], VIRGINICA, strict=True))

    assert runner.predict([row]) == runner.predict([VIRGINICA])


def test_whole_dataset_in_one_batch_is_accurate(runner: ModelRunner):
    iris = load_iris()

    predictions = runner.predict(iris.data.tolist())

    accuracy = np.mean([p.label_index for p in predictions] == iris.target)
    assert accuracy > 0.9


def test_infer_returns_every_output_by_default(runner: ModelRunner):
    outputs = runner.infer([InputTensor("input", "FP32", [2, 4], SETOSA + VIRGINICA)])

    assert [(o.name, o.datatype, o.shape) for o in outputs] == [
        ("label", "INT64", [2]),
        ("probabilities", "FP32", [2, 3]),
    ]
    assert outputs[0].data == [0, 2]


def test_infer_returns_only_requested_outputs(runner: ModelRunner):
    outputs = runner.infer([InputTensor("input", "FP32", [1, 4], SETOSA)], ["probabilities"])

    assert [output.name for output in outputs] == ["probabilities"]


@pytest.mark.parametrize(
    ("inputs", "outputs", "message"),
    [
        ([InputTensor("features", "FP32", [1, 4], SETOSA)], None, "no input 'features'"),
        ([], None, r"missing inputs \['input'\]"),
        ([InputTensor("input", "FP32", [1, 4], SETOSA)] * 2, None, "repeat a name"),
        ([InputTensor("input", "FP32", [1, 4], SETOSA)], ["scores"], "no output 'scores'"),
    ],
)
def test_infer_names_bad_requests(
    runner: ModelRunner, inputs: list[InputTensor], outputs: list[str] | None, message: str
):
    with pytest.raises(InvalidInputError, match=message):
        runner.infer(inputs, outputs)


def test_model_names_are_checked(runner: ModelRunner):
    runner.check_model_name("iris-classifier")
    with pytest.raises(UnknownModelError, match="unknown model 'other'; this server serves"):
        runner.check_model_name("other")


def test_observer_hears_each_model_call(model_path: Path):
    observer = RecordingObserver()
    runner = ModelRunner(observer=observer)
    runner.load(str(model_path))

    runner.predict([SETOSA, VIRGINICA, SETOSA])

    assert len(observer.calls) == 1
    seconds, batch_size = observer.calls[0]
    assert batch_size == 3
    assert 0 < seconds < 1


def test_metadata_checksum_mismatch_keeps_the_runner_unready(model_copy: Path):
    _rewrite_metadata(model_copy, model_sha256="0" * 64)
    runner = ModelRunner()

    with pytest.raises(ChecksumMismatchError, match=r"checksum mismatch.*model_sha256"):
        runner.load(str(model_copy / PRIMARY_MODEL_FILE))
    assert not runner.ready


def test_pinned_checksum_must_match_too(model_path: Path):
    runner = ModelRunner()

    with pytest.raises(ChecksumMismatchError, match="the pinned checksum expects 0000"):
        runner.load(str(model_path), expected_sha256="0" * 64)
    runner.load(str(model_path), expected_sha256=sha256_hex(model_path.read_bytes()))
    assert runner.ready


def test_recorded_signature_must_match_the_graph(model_copy: Path, metadata: dict[str, Any]):
    signature = metadata["signature"]
    signature["inputs"][0]["shape"] = [-1, 5]
    _rewrite_metadata(model_copy, signature=signature)

    with pytest.raises(ModelLoadError, match="does not match the model graph"):
        ModelRunner().load(str(model_copy / PRIMARY_MODEL_FILE))


def test_metadata_without_a_checksum_is_refused(model_copy: Path):
    metadata = json.loads((model_copy / "metadata.json").read_text())
    del metadata["model_sha256"]
    (model_copy / "metadata.json").write_text(json.dumps(metadata))

    with pytest.raises(
        ModelLoadError, match="not valid model metadata: model_sha256: Field required"
    ):
        ModelRunner().load(str(model_copy / PRIMARY_MODEL_FILE))


# What each format's backend says about a file it cannot read.
UNREADABLE = {"onnx": "ONNX Runtime cannot open", "sklearn": "is not a readable skops file"}


def test_bytes_that_are_not_a_model_are_refused(model_copy: Path, metadata: dict[str, Any]):
    garbage = b"not a model file"
    (model_copy / PRIMARY_MODEL_FILE).write_bytes(garbage)
    _rewrite_metadata(model_copy, model_sha256=sha256_hex(garbage))

    with pytest.raises(ModelLoadError, match=UNREADABLE[metadata.get("format", "onnx")]):
        ModelRunner().load(str(model_copy / PRIMARY_MODEL_FILE))


def test_labels_must_match_the_probability_columns(model_copy: Path):
    _rewrite_metadata(model_copy, labels=["a", "b"], signature=None)

    with pytest.raises(ModelLoadError, match="2 labels but 'probabilities' has 3 columns"):
        ModelRunner().load(str(model_copy / PRIMARY_MODEL_FILE))


def _regressor(folder: Path) -> Path:
    """A linear regression of petal width on the other three measurements, exported as
    the training script exports models, with the metadata the server needs."""
    iris = load_iris()
    model = LinearRegression().fit(iris.data[:, :3], iris.data[:, 3])
    onnx_bytes = export_onnx(model, 3, "petal-width", classifier=False)
    folder.mkdir()
    (folder / "model.onnx").write_bytes(onnx_bytes)
    metadata = {
        "name": "petal-width",
        "version": "test",
        "task": "regression",
        "model_sha256": sha256_hex(onnx_bytes),
    }
    (folder / "metadata.json").write_text(json.dumps(metadata))
    return folder / "model.onnx"


def test_a_regressor_answers_one_value_per_row(tmp_path: Path):
    runner = ModelRunner()
    runner.load(str(_regressor(tmp_path / "regressor")))

    small, large = runner.predict([[4.9, 3.0, 1.4], [7.7, 3.0, 6.1]])
    outputs = runner.infer([InputTensor("input", "FP32", [1, 3], [4.9, 3.0, 1.4])])

    assert isinstance(small, ValuePrediction)
    assert isinstance(large, ValuePrediction)
    assert 0 < small.value < 0.6 < large.value
    assert [(o.name, o.shape) for o in outputs] == [("variable", [1, 1])]


def test_a_transform_answers_features(model_dir: Path):
    runner = ModelRunner()
    runner.load(str(model_dir / "iris-pca" / "model.onnx"))

    (answer,) = runner.predict([SETOSA])

    assert isinstance(answer, FeaturesPrediction)
    assert len(answer.features) == 2


def test_a_classifier_without_labels_is_refused(model_copy: Path, metadata: dict[str, Any]):
    del metadata["labels"]
    (model_copy / "metadata.json").write_text(json.dumps(metadata))

    with pytest.raises(ModelLoadError, match="a classification model must list its class names"):
        ModelRunner().load(str(model_copy / PRIMARY_MODEL_FILE))


def test_a_regression_with_a_wide_output_is_refused(model_dir: Path, tmp_path: Path):
    folder = tmp_path / "pca"
    shutil.copytree(model_dir / "iris-pca", folder)
    _rewrite_metadata(folder, task="regression")

    with pytest.raises(ModelLoadError, match="a regression answers"):
        ModelRunner().load(str(folder / "model.onnx"))
