from __future__ import annotations

from pathlib import Path

import pytest

from generator import render_project, resolve_answers
from tests.matrix import CATALOGUE, combination_id, model_answers, offered_combinations


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "combination" in metafunc.fixturenames:
        combinations = offered_combinations()
        # Module scope lets module fixtures (one install per combination) depend on it.
        metafunc.parametrize(
            "combination",
            combinations,
            ids=[combination_id(c) for c in combinations],
            scope="module",
        )


@pytest.fixture(scope="session")
def rendered_projects(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each offered combination rendered once per session, shared by the read-only tests."""
    projects = {}
    for combination in offered_combinations():
        output = tmp_path_factory.mktemp(combination_id(combination))
        answers = resolve_answers(CATALOGUE, model_answers(combination, output))
        projects[combination_id(combination)] = render_project(answers, output).project_dir
    return projects


@pytest.fixture
def rendered_project(rendered_projects: dict[str, Path], combination: dict[str, str]) -> Path:
    return rendered_projects[combination_id(combination)]
