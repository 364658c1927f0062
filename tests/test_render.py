"""Every offered combination renders to a project that passes Kata's static checks."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from generator._check import CHECKS, CheckResult

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
