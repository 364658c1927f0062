"""Every offered combination renders to a project that passes Kata's static checks."""

from __future__ import annotations

import json
import re
import subprocess
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest

from generator import render_project, resolve_answers
from generator._check import CHECKS, CheckResult
from generator._examples import readme_examples
from generator._hooks import load_hook
from tests.environments import dependency_set
from tests.matrix import (
    CATALOGUE,
    IMPORTED_MODEL,
    combination_id,
    generable_combinations,
    model_answers,
    offered_combinations,
    suite_identity,
)

CHECK_IDS = [check.__name__.removeprefix("check_") for check in CHECKS]


@pytest.mark.parametrize("check", CHECKS, ids=CHECK_IDS)
def test_rendered_project_passes(
    rendered_project: Path, check: Callable[[Path], CheckResult]
) -> None:
    result = check(rendered_project)
    assert result.ok, f"{result.name}:\n{result.detail}"


def test_generated_python_holds_no_template_syntax(rendered_project: Path) -> None:
    for path in rendered_project.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "cookiecutter" not in text, path


def test_only_the_chosen_delivery_shapes_the_image(
    rendered_project: Path, combination: dict[str, str]
) -> None:
    dockerfile = (rendered_project / "Dockerfile").read_text(encoding="utf-8")
    builds_model = "python -m app.training" in dockerfile
    assert builds_model == (combination["model_delivery"] == "in_image")
    if builds_model and IMPORTED_MODEL not in combination:
        # Training reads the format from pyproject.toml and falls back to ONNX without it:
        # the image of another format would serve an ONNX model.
        builder = dockerfile.split(" AS builder\n", 1)[1].split("\nFROM ", 1)[0]
        assert "COPY pyproject.toml ./" in builder.split("python -m app.training", 1)[0]


def test_only_the_roles_the_pattern_runs_keep_their_files(
    rendered_project: Path, combination: dict[str, str]
) -> None:
    batch = combination["pattern"] == "batch"
    assert (rendered_project / "app" / "batch").is_dir() == batch
    assert (rendered_project / "bench" / "batch.py").is_file() == batch
    assert (rendered_project / "app" / "http").is_dir() == (not batch)
    manifests = {p.name for p in (rendered_project / "deploy" / "k8s").glob("*.yaml")}
    if batch:
        assert {"cronjob.yaml", "statefulset.yaml"} <= manifests
        assert "deployment.yaml" not in manifests
    else:
        assert {"deployment.yaml", "hpa.yaml"} <= manifests
        assert "cronjob.yaml" not in manifests


TEMPLATE = Path(__file__).resolve().parents[1] / "{{cookiecutter.project_slug}}"


def _owned(role: str) -> set[Path]:
    """Files of the template a role owns, relative to the project folder."""
    files: set[Path] = set()
    for glob in CATALOGUE.context["_roles"][role]["files"]:
        for match in TEMPLATE.glob(glob):
            found = match.rglob("*") if match.is_dir() else [match]
            files.update(p.relative_to(TEMPLATE) for p in found if p.is_file())
    return files


def test_each_pattern_keeps_its_roles_files_and_drops_the_others(
    rendered_project: Path, combination: dict[str, str]
) -> None:
    used = {service.role for service in CATALOGUE.patterns[combination["pattern"]].services}
    other_formats = [f for f in CATALOGUE.model_formats if f != combination["model_format"]]
    # A role's file that belongs to another model format goes with that format.
    kept = set().union(*(_owned(role) for role in used)) - set().union(
        *(_format_files(f) for f in other_formats)
    )
    dropped = set().union(*(_owned(role) for role in CATALOGUE.context["_roles"])) - kept
    assert kept, "the pattern's roles own no files"
    assert [str(path) for path in sorted(kept) if not (rendered_project / path).is_file()] == []
    assert [str(path) for path in sorted(dropped) if (rendered_project / path).exists()] == []


def _format_files(model_format: str) -> set[Path]:
    files: set[Path] = set()
    for glob in CATALOGUE.context["_model_formats"][model_format]["files"]:
        files.update(p.relative_to(TEMPLATE) for p in TEMPLATE.glob(glob) if p.is_file())
    return files


def test_each_format_keeps_its_own_files_and_drops_the_others(
    rendered_project: Path, combination: dict[str, str]
) -> None:
    chosen = combination["model_format"]
    # A format's file that belongs to a role the pattern does not run (an edge test in a
    # web project) goes with that role.
    context = {**CATALOGUE.context, **combination}
    unused = load_hook("post_gen_project").files_of_unused_roles(TEMPLATE, context)
    kept = _format_files(chosen) - {path.relative_to(TEMPLATE) for path in unused}
    others = set().union(*(_format_files(f) for f in CATALOGUE.model_formats)) - kept
    assert [str(path) for path in sorted(kept) if not (rendered_project / path).is_file()] == []
    assert [str(path) for path in sorted(others) if (rendered_project / path).exists()] == []


def test_the_format_shapes_dependencies_and_the_primary_model_file(
    rendered_project: Path, combination: dict[str, str]
) -> None:
    model_format = combination["model_format"]
    pyproject = tomllib.loads((rendered_project / "pyproject.toml").read_text(encoding="utf-8"))
    runtime = " ".join(pyproject["project"]["dependencies"])
    train = " ".join(pyproject["project"]["optional-dependencies"]["train"])
    assert pyproject["tool"]["app"]["training"]["model_format"] == model_format
    assert ("skops==" in runtime) == (model_format == "sklearn")
    assert "torch" not in runtime
    assert ("torch==2.13.0" in train) == (model_format == "pytorch")
    model_file = CATALOGUE.context["_model_formats"][model_format]["model_file"]
    other_file = {"model.onnx": "model.skops", "model.skops": "model.onnx"}[model_file]
    dockerfile = (rendered_project / "Dockerfile").read_text(encoding="utf-8")
    compose = (rendered_project / "compose.yaml").read_text(encoding="utf-8")
    if model_file == "model.skops":  # the sample models of other patterns stay ONNX
        assert f"/srv/models/{other_file}" not in dockerfile + compose
    assert ("ARG TORCH_INDEX_URL" in dockerfile) == (
        model_format == "pytorch" and combination["model_delivery"] == "in_image"
    )


@pytest.mark.parametrize(
    "answers",
    generable_combinations(),
    ids=[combination_id(answers) for answers in generable_combinations()],
)
def test_every_generable_combination_renders(answers: dict[str, str], tmp_path: Path) -> None:
    """The project tier runs a subset (tests/matrix.py); every combination still renders."""
    given = model_answers(answers, tmp_path)
    project = render_project(resolve_answers(CATALOGUE, given), tmp_path / "out").project_dir
    leftovers = [
        str(path)
        for path in project.rglob("*")
        if path.is_file()
        and "{{" in path.read_text(encoding="utf-8", errors="replace")
        and "cookiecutter" in path.read_text(encoding="utf-8", errors="replace")
    ]
    assert leftovers == []


DELIVERY_SHAPED = (
    "Dockerfile",
    "compose.yaml",
    "Makefile",
    "README.md",
    ".dockerignore",
    ".env.example",
    ".kata-answers.yml",
    "deploy/",
)
"""The files a model delivery may change: how the project is built and deployed."""
README_READERS = "tests/imported"
"""The one folder of generated tests that reads README.md (its curl example)."""


def _read_by_its_suite(project: Path) -> dict[str, bytes]:
    """Every file but the delivery-shaped ones, plus what of those the project's own suite
    reads or runs: the settings .env.example documents, the README's example requests where
    its tests read them (a model of the user's own), the Makefile's lint and test commands
    and the dependencies its `make install` installs."""
    files = {
        str(path.relative_to(project)): path.read_bytes()
        for path in project.rglob("*")
        if path.is_file() and not str(path.relative_to(project)).startswith(DELIVERY_SHAPED)
    }
    env_example = (project / ".env.example").read_text(encoding="utf-8").splitlines()
    settings = [line for line in env_example if re.match(r"# [A-Z][A-Z0-9_]*=", line)]
    files[".env.example settings"] = "\n".join(settings).encode()
    if (project / README_READERS).is_dir():
        examples = [example.as_json() for example in readme_examples(project)]
        files["README.md examples"] = json.dumps(examples).encode()
    plan = subprocess.run(
        ["make", "-n", "--no-print-directory", "lint", "test"],
        cwd=project,
        capture_output=True,
        check=True,
    )
    files["make lint test"] = plan.stdout
    files["make install's dependencies"] = "\n".join(dependency_set(project).requirements).encode()
    return files


def test_the_combinations_of_one_suite_identity_give_its_suite_the_same_project(
    rendered_projects: dict[str, Path],
) -> None:
    """The project tier runs one suite per suite identity (tests/matrix.py): sound only while
    a delivery, or a pattern running the same roles, changes nothing the suite reads."""
    alike: dict[object, list[str]] = {}
    for answers in offered_combinations():
        alike.setdefault(suite_identity(answers), []).append(combination_id(answers))
    compared = 0
    for ids in alike.values():
        first = _read_by_its_suite(rendered_projects[ids[0]])
        for other in ids[1:]:
            assert _read_by_its_suite(rendered_projects[other]) == first, (ids[0], other)
            compared += 1
    assert compared, "no suite identity has two combinations to compare"


def test_the_project_tests_read_no_delivery_shaped_file_but_the_compared_ones() -> None:
    """.env.example's settings, the Makefile's commands and, in tests/imported/, README.md's
    examples are compared above; the rest no generated test or code may read."""
    unread = [name for name in DELIVERY_SHAPED if name not in {".env.example", "Makefile"}]
    sources = [*(TEMPLATE / "tests").rglob("*"), *(TEMPLATE / "app").rglob("*.py")]
    readers = [
        f"{path.relative_to(TEMPLATE)} names {name}"
        for path in sources
        if path.is_file()
        for name in [*unread, '"deploy"']
        if name in path.read_text(encoding="utf-8")
        and not (name == "README.md" and path.is_relative_to(TEMPLATE / README_READERS))
    ]
    assert readers == []
