"""The template's hooks, imported as modules: validation rules and catalogue pruning."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from generator._answers import load_answers_file
from generator._hooks import load_hook
from tests.hook_context import valid_context
from tests.matrix import CATALOGUE

pre_gen = load_hook("pre_gen_project")
post_gen = load_hook("post_gen_project")


def test_default_answers_are_accepted() -> None:
    pre_gen.check_answers(valid_context())


@pytest.mark.parametrize(
    ("answers", "field", "hint"),
    [
        ({"project_slug": "Fraud_Scorer"}, "project_slug", "lowercase letters"),
        ({"project_slug": "1fraud"}, "project_slug", "starting with a letter"),
        ({"project_slug": "fraud-"}, "project_slug", "not ending with a hyphen"),
        ({"project_slug": ""}, "project_slug", "e.g. 'fraud-scorer'"),
        ({"project_slug": "a" * 41}, "project_slug", "1-40"),
        ({"project_name": "  "}, "project_name", "must not be empty"),
        ({"pattern": "webby"}, "pattern", "choose one of: web_single"),
        ({"pattern": "inference_template"}, "pattern", "not available in this Kata release yet"),
        ({"model_format": "tensorflow"}, "model_format", "choose one of: onnx, sklearn, pytorch"),
        (
            {"pattern": "prep_pred", "model_format": "pytorch"},
            "model_format",
            "prep_pred does not support model_format='pytorch': serves several sample models",
        ),
        (
            {"pattern": "parallel_microservice", "model_format": "sklearn"},
            "model_format",
            "use model_format=onnx",
        ),
        (
            {"pattern": "edge_ai", "model_format": "sklearn"},
            "model_format",
            "devices run an ONNX bundle, not a skops pipeline",
        ),
        ({"model_delivery": "s3"}, "model_delivery", "in_image, load_at_start"),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_invalid_answers_name_the_field_and_the_fix(
    answers: dict[str, str], field: str, hint: str
) -> None:
    with pytest.raises(pre_gen.AnswerError) as raised:
        pre_gen.check_answers(valid_context(**answers))
    assert raised.value.field == field
    assert str(raised.value).startswith(f"{field}: ")
    assert hint in str(raised.value)
    assert "\n" not in str(raised.value)


def test_unsupported_combination_is_refused_with_its_reason() -> None:
    context = valid_context(model_delivery="load_at_start")
    context["_patterns"]["web_single"]["unsupported"] = [
        {"model_delivery": "load_at_start", "reason": "the device has no network"}
    ]
    with pytest.raises(pre_gen.AnswerError, match="the device has no network") as raised:
        pre_gen.check_answers(context)
    assert raised.value.field == "model_delivery"


def make_project(root: Path, files: list[str]) -> Path:
    for name in files:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("x\n", encoding="utf-8")
    return root


def pruning_context() -> dict[str, Any]:
    return {
        "pattern": "solo",
        "_patterns": {"solo": {"services": [{"name": "api", "role": "predictor"}]}},
        "_roles": {
            "predictor": {"files": ["app/http/**"]},
            "worker": {"files": ["app/worker/**", "tests/worker/**", "worker.md"]},
        },
    }


def test_post_gen_removes_only_the_files_of_roles_the_pattern_does_not_run(
    tmp_path: Path,
) -> None:
    project = make_project(
        tmp_path,
        [
            "app/http/server.py",
            "app/model/runner.py",
            "app/worker/consumer.py",
            "app/worker/queue/redis.py",
            "tests/worker/test_consumer.py",
            "worker.md",
        ],
    )
    post_gen.remove_files(project, post_gen.files_of_unused_roles(project, pruning_context()))
    remaining = sorted(str(p.relative_to(project)) for p in project.rglob("*"))
    assert remaining == [
        "app",
        "app/http",
        "app/http/server.py",
        "app/model",
        "app/model/runner.py",
    ]


def test_post_gen_removes_kubernetes_manifests_that_hold_no_object(tmp_path: Path) -> None:
    k8s = tmp_path / "deploy" / "k8s"
    k8s.mkdir(parents=True)
    (k8s / "cronjob.yaml").write_text("# One CronJob per scheduled job.\n---\n\n", "utf-8")
    (k8s / "service.yaml").write_text("# Services\n---\napiVersion: v1\nkind: Service\n", "utf-8")
    assert post_gen.empty_manifests(tmp_path) == [k8s / "cronjob.yaml"]


def test_next_steps_of_a_job_pattern_run_the_job_instead_of_a_server() -> None:
    steps = post_gen.next_steps(valid_context(pattern="batch"))
    assert "make batch" in steps
    assert "make run" not in steps


def test_post_gen_keeps_files_shared_with_a_role_the_pattern_runs(tmp_path: Path) -> None:
    context = pruning_context()
    context["_roles"]["worker"]["files"].append("app/shared/**")
    context["_roles"]["predictor"]["files"].append("app/shared/**")
    project = make_project(tmp_path, ["app/shared/core.py", "app/worker/consumer.py"])
    post_gen.remove_files(project, post_gen.files_of_unused_roles(project, context))
    assert (project / "app/shared/core.py").is_file()
    assert not (project / "app/worker").exists()


def test_post_gen_keeps_only_the_chosen_formats_files(tmp_path: Path) -> None:
    files = [
        "app/model/sklearn_session.py",
        "app/training/skops_export.py",
        "app/training/torch_export.py",
        "tests/unit/test_sklearn_format.py",
        "tests/unit/test_pytorch_format.py",
        "app/model/runner.py",
    ]
    project = make_project(tmp_path, files)
    context = valid_context(model_format="sklearn")
    post_gen.remove_files(project, post_gen.files_of_other_formats(project, context))
    remaining = sorted(str(p.relative_to(project)) for p in project.rglob("*.py"))
    assert remaining == [
        "app/model/runner.py",
        "app/model/sklearn_session.py",
        "app/training/skops_export.py",
        "tests/unit/test_sklearn_format.py",
    ]


def test_an_onnx_project_gets_no_other_formats_files(tmp_path: Path) -> None:
    project = make_project(tmp_path, ["app/training/torch_export.py", "app/model/runner.py"])
    post_gen.remove_files(project, post_gen.files_of_other_formats(project, valid_context()))
    assert sorted(str(p.relative_to(project)) for p in project.rglob("*.py")) == [
        "app/model/runner.py"
    ]


def test_answers_file_round_trips_awkward_values(tmp_path: Path) -> None:
    context = valid_context(project_name='Façade "quoted": yes # not a comment')
    post_gen.write_answers(tmp_path, post_gen.answers_to_record(context))
    recorded = load_answers_file(tmp_path / post_gen.ANSWERS_FILE)
    assert recorded["project_name"] == 'Façade "quoted": yes # not a comment'
    assert recorded["_kata_version"] == CATALOGUE.kata_version
    assert not any(key.startswith("__") for key in recorded)
    raw = yaml.safe_load((tmp_path / post_gen.ANSWERS_FILE).read_text(encoding="utf-8"))
    assert raw["pattern"] == "web_single"
