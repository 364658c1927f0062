"""The catalogue in cookiecutter.json is the one source the CLI, prompts and hooks read."""

from __future__ import annotations

import tomllib
from pathlib import Path

import generator
from tests.matrix import (
    CATALOGUE,
    container_combinations,
    generable_combinations,
    offered_combinations,
)

ROOT = Path(__file__).resolve().parents[1]


def test_catalogue_lists_the_twelve_seed_patterns() -> None:
    assert list(CATALOGUE.patterns) == [
        "web_single",
        "synchronous",
        "asynchronous",
        "batch",
        "prep_pred",
        "serial_microservice",
        "parallel_microservice",
        "time_lag",
        "prediction_cache",
        "data_cache",
        "inference_template",
        "edge_ai",
    ]


def test_cookiecutter_offers_exactly_the_implemented_patterns_and_formats() -> None:
    assert CATALOGUE.choices("pattern") == [p.id for p in CATALOGUE.implemented_patterns()]
    implemented_formats = [k for k, v in CATALOGUE.model_formats.items() if v.implemented]
    assert CATALOGUE.choices("model_format") == implemented_formats
    assert CATALOGUE.choices("model_delivery") == list(CATALOGUE.model_deliveries)


def test_every_choice_has_a_human_readable_prompt() -> None:
    prompts = CATALOGUE.context["__prompts__"]
    for field in CATALOGUE.questions:
        assert field in prompts, field
        for choice in CATALOGUE.choices(field):
            if isinstance(prompts[field], dict):
                assert choice in prompts[field], (field, choice)


def test_implemented_patterns_only_use_roles_the_template_provides() -> None:
    roles = CATALOGUE.context["_roles"]
    for pattern in CATALOGUE.implemented_patterns():
        for service in pattern.services:
            assert service.role in roles, (pattern.id, service.role)


def test_kata_version_is_one_number_everywhere() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert CATALOGUE.kata_version == generator.__version__ == pyproject["project"]["version"]


def test_the_matrix_covers_every_delivery_of_web_single() -> None:
    assert {c["model_delivery"] for c in offered_combinations()} == {"in_image", "load_at_start"}


def test_the_matrix_covers_the_batch_pattern_with_every_delivery() -> None:
    batch = {c["model_delivery"] for c in offered_combinations() if c["pattern"] == "batch"}
    assert batch == {"in_image", "load_at_start"}


def test_job_roles_own_their_files_so_web_projects_do_not_get_them() -> None:
    roles = CATALOGUE.context["_roles"]
    assert "app/batch/**" in roles["batch_job"]["files"]
    assert "bench/batch.py" in roles["batch_job"]["files"]
    assert not any(glob.startswith("bench/**") for glob in roles["predictor"]["files"])


def test_every_role_a_pattern_runs_has_its_role_file_and_image_stage() -> None:
    for pattern in CATALOGUE.implemented_patterns():
        for service in pattern.services:
            role_file = ROOT / "templates" / "roles" / f"{service.role}.j2"
            assert role_file.is_file(), service
            if "{%- set image = " in role_file.read_text(encoding="utf-8"):
                continue  # a datastore runs a ready-made image: nothing to build
            stage = ROOT / "templates" / "docker" / f"{service.role}.Dockerfile.j2"
            assert stage.is_file(), service


def test_services_name_real_backends_and_models_their_training_run_makes() -> None:
    for pattern in CATALOGUE.implemented_patterns():
        names = [service.name for service in pattern.services]
        models = CATALOGUE.context["_patterns"][pattern.id].get("models", ["iris-classifier"])
        for service in pattern.services:
            assert set(service.backends) <= set(names[1:]), (pattern.id, service.backends)
            if service.model is not None:
                assert service.model.split("/")[0] in models, (pattern.id, service.model)
        front_door = ROOT / "templates" / "roles" / f"{pattern.services[0].role}.j2"
        if "{%- set workload = 'deployment' %}" in front_door.read_text(encoding="utf-8"):
            assert pattern.services[0].port is not None, f"{pattern.id}: the front door has no port"


def test_the_matrix_covers_every_proxy_pattern_with_both_deliveries() -> None:
    offered = {(c["pattern"], c["model_delivery"]) for c in offered_combinations()}
    for pattern in ("synchronous", "prep_pred", "serial_microservice", "parallel_microservice"):
        assert {(pattern, "in_image"), (pattern, "load_at_start")} <= offered


MULTI_MODEL_PATTERNS = {"prep_pred", "serial_microservice", "parallel_microservice", "time_lag"}
# Devices run an ONNX bundle: a skops pipeline cannot ship to them.
ONNX_BUNDLE_PATTERNS = {"edge_ai"}


def test_every_format_is_offered_by_the_single_model_patterns_only() -> None:
    offered = {(c["pattern"], c["model_format"]) for c in generable_combinations()}
    for pattern in CATALOGUE.implemented_patterns():
        formats = {f for p, f in offered if p == pattern.id}
        if pattern.id in MULTI_MODEL_PATTERNS:
            assert formats == {"onnx"}, pattern.id
        elif pattern.id in ONNX_BUNDLE_PATTERNS:
            assert formats == {"onnx", "pytorch"}, pattern.id
        else:
            assert formats == {"onnx", "sklearn", "pytorch"}, pattern.id


def test_the_matrix_runs_onnx_fully_and_the_other_formats_once_per_pattern() -> None:
    runs = offered_combinations()
    generable = generable_combinations()
    assert [c for c in generable if c["model_format"] == "onnx"] == [
        c for c in runs if c["model_format"] == "onnx"
    ]
    for model_format in ("sklearn", "pytorch"):
        ran = [c for c in runs if c["model_format"] == model_format]
        patterns = [c["pattern"] for c in ran]
        assert sorted(patterns) == sorted(
            {c["pattern"] for c in generable if c["model_format"] == model_format}
        )
        assert len(patterns) == len(set(patterns))
        assert {c["model_delivery"] for c in ran} == {"in_image", "load_at_start"}


def test_each_formats_files_exist_in_the_template() -> None:
    template = ROOT / "{{cookiecutter.project_slug}}"
    for model_format, spec in CATALOGUE.context["_model_formats"].items():
        for glob in spec["files"]:
            assert list(template.glob(glob)), (model_format, glob)
        assert spec["model_file"] in {"model.onnx", "model.skops"}


def test_the_container_tier_builds_every_onnx_project_and_each_format_per_delivery() -> None:
    built = container_combinations()
    runs = offered_combinations()
    assert all(c in runs for c in built)
    assert [c for c in runs if c["model_format"] == "onnx"] == [
        c for c in built if c["model_format"] == "onnx"
    ]
    for model_format in ("sklearn", "pytorch"):
        deliveries = {c["model_delivery"] for c in built if c["model_format"] == model_format}
        assert deliveries == {"in_image", "load_at_start"}
    edge = {c["model_format"] for c in runs if c["pattern"] == "edge_ai"}
    assert edge == {c["model_format"] for c in built if c["pattern"] == "edge_ai"}
