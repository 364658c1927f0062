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
