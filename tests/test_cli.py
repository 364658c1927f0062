"""The kata command as a user drives it: list, describe, new, and every refusal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from generator.cli import cli
from tests.matrix import CATALOGUE


def kata(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=input, env={"COLUMNS": "200"})


def files_under(folder: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def test_list_shows_all_twelve_patterns_and_marks_the_available_ones() -> None:
    result = kata("list")
    assert result.exit_code == 0
    for pattern in CATALOGUE.patterns.values():
        row = next(line for line in result.output.splitlines() if f" {pattern.cli_name} " in line)
        assert ("available" if pattern.implemented else "planned") in row


def test_list_keeps_every_summary_whole_in_an_80_column_terminal() -> None:
    result = CliRunner().invoke(cli, ["list"], env={"COLUMNS": "80"})
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert all(len(line) <= 80 for line in lines)
    last_column = " ".join(line.split("│")[-2].strip() for line in lines if line.count("│") == 4)
    for pattern in CATALOGUE.patterns.values():
        assert " ".join(pattern.summary.split()) in last_column


def test_describe_explains_a_pattern_with_its_services_and_data_path() -> None:
    result = kata("describe", "web-single")
    assert result.exit_code == 0
    assert "Web single" in result.output
    assert "When to use" in result.output
    assert "predictor:8000" in result.output
    assert "client ──▶ predictor" in result.output
    assert "kata new --pattern web-single" in result.output


def test_describe_of_a_multi_service_pattern_shows_each_service_and_its_model() -> None:
    result = kata("describe", "serial-microservice")
    assert result.exit_code == 0
    assert "proxy:8000  role=serial_proxy" in result.output
    assert "step-1:8001  role=predictor  model=iris-pca/model.onnx" in result.output
    assert "proxy ──▶ step-3" in result.output


def test_describe_of_a_job_pattern_shows_its_datastore_and_scheduler() -> None:
    result = kata("describe", "batch")
    assert result.exit_code == 0
    assert "available" in result.output
    assert "postgres:5432" in result.output
    assert "scheduler ──▶ batch" in result.output
    assert "kata new --pattern batch" in result.output


def test_describe_of_a_planned_pattern_says_it_cannot_be_generated_yet() -> None:
    result = kata("describe", "inference-template")
    assert result.exit_code == 0
    assert "not available in this release" in result.output
    assert "kata new" not in result.output


def test_describe_lists_the_model_formats_a_pattern_offers_and_why_not_the_others() -> None:
    single = kata("describe", "web-single")
    serial = kata("describe", "serial-microservice")
    assert "onnx, sklearn, pytorch" in single.output
    assert "not sklearn: serves several sample models" in " ".join(serial.output.split())
    assert "not pytorch:" in serial.output


def test_describe_of_an_unknown_pattern_exits_2_with_one_line() -> None:
    result = kata("describe", "webby")
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert "pattern: unknown pattern 'webby'" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--pattern", "inference_template"],
            "pattern: 'inference_template' (Inference template) is not available",
        ),
        (["--pattern", "webby"], "pattern: unknown value 'webby'"),
        (
            ["--pattern", "serial-microservice", "--model-format", "sklearn"],
            "model_format: serial_microservice does not support model_format='sklearn': "
            "serves several sample models, all exported to ONNX; use model_format=onnx",
        ),
        (
            ["--pattern", "time-lag", "--model-format", "pytorch"],
            "model_format: time_lag does not support model_format='pytorch'",
        ),
        (["--model-format", "caffe"], "model_format: unknown value 'caffe'"),
        (["--model-delivery", "s3"], "model_delivery: unknown value 's3'"),
        (["--python-version", "2.7"], "python_version: '2.7' is not allowed; choose one of: 3.11"),
        (["--slug", "Fraud_Scorer"], "project_slug: 'Fraud_Scorer' is not valid"),
        (["--name", "Été 2026"], "project_slug: 'été-2026' is not valid"),
        (["--name", ""], "project_name: must not be empty"),
        (["--set", "pattrn=web_single"], "pattrn: unknown question"),
        (["--set", "no-equals-sign"], "set: 'no-equals-sign' is not KEY=VALUE"),
        (["--answers", "missing.yml"], "answers: file 'missing.yml' does not exist"),
    ],
)
def test_every_invalid_answer_exits_2_with_one_line_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    result = kata("new", "--no-input", "-o", "out", *args)
    assert result.exit_code == 2, result.output
    assert result.stderr == f"kata: error: {result.stderr.removeprefix('kata: error: ')}"
    assert result.stderr.count("\n") == 1
    assert message in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_an_answers_file_that_is_not_a_mapping_is_refused(tmp_path: Path) -> None:
    answers = tmp_path / "answers.yml"
    answers.write_text("- just\n- a list\n", encoding="utf-8")
    result = kata("new", "--no-input", "--answers", str(answers), "-o", str(tmp_path / "out"))
    assert result.exit_code == 2
    assert "answers: " in result.stderr
    assert "must hold a mapping" in result.stderr
    assert not (tmp_path / "out").exists()


def test_dry_run_lists_the_files_and_writes_nothing(tmp_path: Path) -> None:
    result = kata("new", "--no-input", "--dry-run", "-o", str(tmp_path))
    assert result.exit_code == 0
    listed = {line.strip() for line in result.output.splitlines()[1:]}
    assert {"Dockerfile", "compose.yaml", "app/http/predictor.py", ".kata-answers.yml"} <= listed
    assert list(tmp_path.iterdir()) == []


def test_dry_run_lists_exactly_what_a_real_run_writes(tmp_path: Path) -> None:
    dry = kata("new", "--no-input", "--dry-run", "-o", str(tmp_path))
    real = kata("new", "--no-input", "-o", str(tmp_path))
    assert real.exit_code == 0
    listed = sorted(line.strip() for line in dry.output.splitlines()[1:])
    assert listed == sorted(files_under(tmp_path / "iris-classifier"))


def test_new_refuses_to_overwrite_unless_forced(tmp_path: Path) -> None:
    assert kata("new", "--no-input", "-o", str(tmp_path)).exit_code == 0
    readme = tmp_path / "iris-classifier" / "README.md"
    readme.write_text("local edits\n", encoding="utf-8")
    again = kata("new", "--no-input", "-o", str(tmp_path))
    assert again.exit_code == 2
    assert "pass --force" in again.stderr
    assert readme.read_text(encoding="utf-8") == "local edits\n"
    forced = kata("new", "--no-input", "--force", "-o", str(tmp_path))
    assert forced.exit_code == 0
    assert readme.read_text(encoding="utf-8") != "local edits\n"


def test_recorded_answers_replay_to_an_identical_project(tmp_path: Path) -> None:
    first = kata(
        "new", "--no-input", "--name", "Fraud Scorer", "--model-delivery", "load-at-start",
        "-o", str(tmp_path / "first"),
    )  # fmt: skip
    assert first.exit_code == 0, first.output
    recorded = tmp_path / "first" / "fraud-scorer" / ".kata-answers.yml"
    replay = kata("new", "--no-input", "--answers", str(recorded), "-o", str(tmp_path / "again"))
    assert replay.exit_code == 0, replay.output
    assert files_under(tmp_path / "again" / "fraud-scorer") == files_under(recorded.parent)


def test_json_answers_and_flags_combine_with_flags_winning(tmp_path: Path) -> None:
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps({"project_name": "Churn", "pattern": "web-single"}), "utf-8")
    result = kata(
        "new", "--no-input", "--answers", str(answers), "--slug", "churn-api",
        "-o", str(tmp_path / "out"),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    recorded = (tmp_path / "out" / "churn-api" / ".kata-answers.yml").read_text("utf-8")
    assert 'project_name: "Churn"' in recorded
    assert 'project_slug: "churn-api"' in recorded
    assert 'pattern: "web_single"' in recorded


def test_interactive_new_asks_each_question_and_takes_defaults(tmp_path: Path) -> None:
    result = kata("new", "-o", str(tmp_path), input="Fraud Scorer\n" + "\n" * 7)
    assert result.exit_code == 0, result.output
    assert "Inference pattern" in result.output
    assert "How does the model reach the server?" in result.output
    assert (tmp_path / "fraud-scorer" / "Dockerfile").is_file()
    assert "Next steps" in result.output


def test_check_passes_a_fresh_project_and_names_what_a_user_broke(tmp_path: Path) -> None:
    assert kata("new", "--no-input", "-o", str(tmp_path)).exit_code == 0
    project = tmp_path / "iris-classifier"
    assert kata("check", str(project)).exit_code == 0
    compose = project / "compose.yaml"
    compose.write_text(compose.read_text("utf-8").replace("restart:", "restrat:"), "utf-8")
    (project / "Dockerfile").write_text("FROM python:latest\nCMD python\n", "utf-8")
    broken = kata("check", str(project))
    assert broken.exit_code == 1
    assert "compose.yaml schema" in broken.stderr
    assert "Dockerfile conventions" in broken.stderr
    assert "unpinned base images: ['python:latest']" in broken.output
