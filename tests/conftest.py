from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from generator import render_project, resolve_answers
from tests.matrix import (
    CATALOGUE,
    combination_id,
    container_combinations,
    model_answers,
    offered_combinations,
    suite_combinations,
)
from tests.scheduling import CombinationScheduling
from tests.timing import TimingSummary

SUBSETS = {"containers": container_combinations, "own_suite": suite_combinations}
"""Markers of project-tier tests that run on a subset of the combinations (tests/matrix.py)."""


def pytest_configure(config: pytest.Config) -> None:
    if not hasattr(config, "workerinput"):  # the controller, or a run without xdist
        config.pluginmanager.register(TimingSummary(), "kata-timing-summary")


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


# Optional: a run without pytest-xdist (`-p no:xdist`) never calls it.
@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> CombinationScheduling | None:
    """`--dist=loadscope` (pyproject.toml) keeps each combination's project tier on one
    worker (tests/scheduling.py); any other --dist is xdist's own."""
    if config.getoption("dist") != "loadscope":
        return None
    return CombinationScheduling(config, log)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked with a SUBSETS marker run only on that subset of the combinations.

    Deselected rather than parametrized apart: one parameter list for every test of a
    combination keeps its tests together, so each combination installs once.
    """
    subsets = {marker: {combination_id(c) for c in find()} for marker, find in SUBSETS.items()}
    keep: list[pytest.Item] = []
    drop: list[pytest.Item] = []
    for item in items:
        callspec = getattr(item, "callspec", None)
        combination = callspec.params.get("combination") if callspec else None
        wanted = combination is None or all(
            combination_id(combination) in subset
            for marker, subset in subsets.items()
            if item.get_closest_marker(marker) is not None
        )
        (keep if wanted else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


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
