"""`kata new --model` and `model_path`: a user's own ONNX model, checked before anything is
written, copied into the project, and the project wired to its signature."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from onnx import TensorProto

from generator._hooks import load_hook
from generator.cli import cli
from local_extensions import onnx_graph_module
from tests import onnx_models
from tests.hook_context import valid_context
from tests.matrix import CATALOGUE
from tests.test_cookiecutter import cookiecutter

pre_gen = load_hook("pre_gen_project")


def kata(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env={"COLUMNS": "300"})


def refusal(result: Result) -> str:
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (onnx_models.not_onnx, "is not a valid ONNX model"),
        (
            onnx_models.string_input,
            "input 'text' is BYTES [batch, 1]; Kata serves one float input "
            "(FP32, FP64 or FP16) of shape [batch, features]",
        ),
        (
            onnx_models.two_inputs,
            "the model has 2 inputs ('left', 'right'); Kata serves one float input",
        ),
        (
            onnx_models.image_input,
            "input 'image' is FP32 [batch, 3, 224, 224]; Kata serves one float input",
        ),
        (
            onnx_models.zipmap_classifier,
            "output 'output_probability' is a sequence of maps (a ZipMap): export the "
            "classifier with zipmap disabled",
        ),
        (
            onnx_models.external_weights,
            "keeps weights in separate files (w, b...); save it as one file",
        ),
    ],
    ids=["not-onnx", "string-input", "two-inputs", "image-input", "zipmap", "external-weights"],
)
def test_a_model_kata_cannot_serve_is_refused_with_one_line_and_nothing_written(
    tmp_path: Path, build: Callable[[Path], Path], message: str
) -> None:
    model = build(tmp_path / "model.onnx")
    output = tmp_path / "out"

    line = refusal(kata("new", "--no-input", "--model", str(model), "-o", str(output)))

    assert line.startswith("kata: error: model_path: ")
    assert message in line
    assert not output.exists()


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    line = refusal(kata("new", "--no-input", "--model", str(tmp_path / "nowhere.onnx")))
    assert line == f"kata: error: model_path: {tmp_path / 'nowhere.onnx'} is not a file"


def test_a_pattern_without_a_single_model_server_is_refused(tmp_path: Path) -> None:
    model = onnx_models.linear_regression(tmp_path / "model.onnx")
    line = refusal(kata("new", "--no-input", "--pattern", "batch", "--model", str(model)))
    assert line == (
        "kata: error: model_path: pattern batch cannot serve a model of your own yet; patterns "
        "that can: web_single, synchronous, prediction_cache (or leave model_path empty)"
    )


def test_a_format_other_than_onnx_is_refused(tmp_path: Path) -> None:
    model = onnx_models.linear_regression(tmp_path / "model.onnx")
    # sklearn is planned, so the format check would refuse it first; the rule still holds.
    with pytest.raises(pre_gen.AnswerError) as raised:
        pre_gen.check_model_path(valid_context(model_path=str(model), model_format="sklearn"))
    assert str(raised.value) == (
        "model_path: a model of your own must be onnx, not model_format='sklearn'"
    )


def test_a_relative_path_is_refused_by_the_hook_and_resolved_by_the_cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    onnx_models.linear_regression(tmp_path / "model.onnx")
    with pytest.raises(pre_gen.AnswerError, match="is relative; give an absolute path"):
        pre_gen.check_model_path(valid_context(model_path="model.onnx"))

    monkeypatch.chdir(tmp_path)
    result = kata("new", "--no-input", "--model", "model.onnx", "-o", str(tmp_path / "out"))

    assert result.exit_code == 0, result.output
    answers = (tmp_path / "out" / "iris-classifier" / ".kata-answers.yml").read_text("utf-8")
    assert f'model_path: "{tmp_path / "model.onnx"}"' in answers


def test_without_the_onnx_package_the_hook_says_how_to_get_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = onnx_models.linear_regression(tmp_path / "model.onnx")
    monkeypatch.delitem(sys.modules, "kata_onnx_graph", raising=False)
    monkeypatch.setitem(sys.modules, "onnx", None)  # makes `import onnx` raise ImportError
    with pytest.raises(pre_gen.AnswerError) as raised:
        pre_gen.check_model_path(valid_context(model_path=str(model)))
    assert str(raised.value).endswith("run: pip install onnx")


def test_a_classifier_project_holds_the_model_and_follows_its_signature(tmp_path: Path) -> None:
    model = onnx_models.softmax_classifier(tmp_path / "scorer.onnx")

    result = kata(
        "new", "--no-input", "--name", "Tiers", "--model", str(model), "-o", str(tmp_path)
    )

    assert result.exit_code == 0, result.output
    project = tmp_path / "tiers"
    assert (project / "model" / "model.onnx").read_bytes() == model.read_bytes()
    assert (project / "tests" / "imported" / "test_imported_model.py").is_file()
    readme = (project / "README.md").read_text("utf-8")
    assert "| input | `features` | FP32 | [batch, 4] |" in readme
    assert "| output (read by /predict) | `scores` | FP32 | [batch, 5] |" in readme
    assert "`bronze`, `silver`, `gold`, `platinum`, `diamond`" in readme
    assert '{"age": 1.5, "income": 2.0, "tenure": 2.5, "visits": 3.0}' in readme
    assert "/v2/models/tiers/infer" in readme
    assert "sepal" not in readme
    makefile = (project / "Makefile").read_text("utf-8")
    assert "-m app.training --import model/model.onnx --name tiers --out models" in makefile
    dockerfile = (project / "Dockerfile").read_text("utf-8")
    assert "COPY model/ model/" in dockerfile
    assert "!model/" in (project / ".dockerignore").read_text("utf-8")


def test_a_regression_project_names_features_x0_and_shows_value_answers(tmp_path: Path) -> None:
    model = onnx_models.linear_regression(tmp_path / "line.onnx")
    result = kata(
        "new", "--no-input", "--pattern", "prediction-cache", "--model-delivery",
        "load-at-start", "--name", "Line", "--model", str(model), "-o", str(tmp_path),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    readme = (tmp_path / "line" / "README.md").read_text("utf-8")
    assert "`x0`, `x1`, `x2`" in readme
    assert '`{"value": ...}`' in readme
    assert """-d '{"rows": [{"x0": 0.5, "x1": 1.0, "x2": 1.5}]}'""" in readme
    assert "!model/" not in (tmp_path / "line" / ".dockerignore").read_text("utf-8")


def test_a_project_that_trains_its_sample_model_has_no_imported_model_tests(
    tmp_path: Path,
) -> None:
    assert kata("new", "--no-input", "-o", str(tmp_path)).exit_code == 0
    project = tmp_path / "iris-classifier"
    assert not (project / "tests" / "imported").exists()
    assert not (project / "model").exists()


def test_plain_cookiecutter_imports_the_model_too(tmp_path: Path) -> None:
    model = onnx_models.softmax_classifier(tmp_path / "scorer.onnx")
    done = cookiecutter(tmp_path / "out", f"model_path={model}", "project_name=Tiers")
    assert done.returncode == 0, done.stderr
    project = tmp_path / "out" / "tiers"
    assert (project / "model" / "model.onnx").read_bytes() == model.read_bytes()
    assert "| input | `features` | FP32 | [batch, 4] |" in (project / "README.md").read_text()


def test_plain_cookiecutter_refuses_a_model_it_cannot_serve_and_leaves_nothing(
    tmp_path: Path,
) -> None:
    model = onnx_models.two_inputs(tmp_path / "pair.onnx")
    output = tmp_path / "out"
    output.mkdir()
    done = cookiecutter(output, f"model_path={model}")
    assert done.returncode != 0
    refusals = [line for line in done.stderr.splitlines() if line.startswith("kata: ")]
    assert refusals == [
        "kata: invalid answer: model_path: the model has 2 inputs ('left', 'right'); Kata "
        "serves one float input (FP32, FP64 or FP16) of shape [batch, features]"
    ]
    assert list(output.iterdir()) == []


def test_the_patterns_offering_an_imported_model_are_available_single_model_servers() -> None:
    imported = CATALOGUE.context["_imported_model"]
    for pattern_id in imported["patterns"]:
        pattern = CATALOGUE.patterns[pattern_id]
        assert pattern.implemented, pattern_id
        predictors = [s for s in pattern.services if s.role in {"predictor", "cached_predictor"}]
        # One server loads the one model; README examples reach it through the front door.
        assert len(predictors) == 1, pattern_id
        assert predictors[0].model is None, pattern_id


reader = onnx_graph_module()


@pytest.mark.parametrize(
    ("shapes", "message"),
    [
        ({"input_shape": [None, "features"]}, "its number of features is not fixed"),
        ({"input_shape": [1, 3], "output_shape": [1, 3]}, "its batch size is fixed at export"),
        ({"properties": {"task": "ranking"}}, "metadata_props task is 'ranking'; use one of"),
        ({"properties": {"labels": '["a", "b"]'}}, "labels lists 2 classes but output 'y'"),
        ({"properties": {"feature_names": '["a"]'}}, "feature_names lists 1 names but the"),
        ({"properties": {"labels": "a,b,c"}}, "labels must be a JSON list of distinct"),
        (
            {"properties": {"task": "regression"}},
            "output 'y' is [batch, 3]: a regression answers [batch] or [batch, 1]",
        ),
    ],
    ids=[
        "open-features", "fixed-batch", "unknown-task", "label-count", "feature-count",
        "labels-not-json", "regression-of-vectors",
    ],
)  # fmt: skip
def test_the_reader_names_what_it_cannot_serve(
    tmp_path: Path, shapes: dict[str, Any], message: str
) -> None:
    model = onnx_models.identity(tmp_path / "model.onnx", **shapes)
    with pytest.raises(reader.UnservableModelError) as raised:
        reader.read_model_facts(model)
    assert message in str(raised.value)


def test_the_reader_tells_the_task_from_outputs_and_metadata(tmp_path: Path) -> None:
    transform = reader.read_model_facts(onnx_models.identity(tmp_path / "t.onnx"))
    labelled = reader.read_model_facts(
        onnx_models.identity(tmp_path / "c.onnx", properties={"labels": '["a", "b", "c"]'})
    )
    doubles = reader.read_model_facts(
        onnx_models.identity(
            tmp_path / "d.onnx", input_type=TensorProto.DOUBLE,
            input_shape=[None, 2], output_shape=[None, 1],
        )
    )  # fmt: skip

    assert (transform.task, transform.feature_names) == ("transform", ["x0", "x1", "x2"])
    assert (labelled.task, labelled.labels, labelled.predict_output) == (
        "classification",
        ["a", "b", "c"],
        "y",
    )
    assert (doubles.task, doubles.input.datatype, doubles.n_features) == ("regression", "FP64", 2)
