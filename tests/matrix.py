"""The test matrix, read from the catalogue: the combinations Kata's project tier runs.

Every combination a user can generate is checked statically (catalogue, hooks, render); the
project tier installs, lints and smoke-runs each combination below, runs the generated
project's own suite where its code and tests differ (``suite_combinations``) and builds the
images of ``container_combinations``. The model formats are not crossed with everything:

- `onnx` (FULL_FORMATS), the format every pattern offers: every pattern x every delivery;
- every other format: every pattern that offers it once, the delivery alternating from one
  pattern to the next (and starting on a different one per format), so each format is
  tested with both deliveries and each pattern sees its deliveries across the formats.
  A format changes only the primary model's training and the session that opens it, which
  every pattern reaches through the same code, so one delivery per pattern and format is
  enough to catch a pattern that breaks with it.
"""

from __future__ import annotations

import fnmatch
import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any

from generator import load_catalogue
from tests import onnx_models

CATALOGUE = load_catalogue()

IMPORTED_MODEL = "imported_model"
"""A combination's key naming the fixture model it serves (absent: the sample model)."""
IMPORTED_MODELS: dict[str, Callable[[Path], Path]] = {
    "classifier": onnx_models.softmax_classifier,
    "regression": onnx_models.linear_regression,
}
# A user's own model, on two of the patterns that offer it: each combination costs minutes
# in the project tier, so these cover the classifier and the value paths, a plain server and
# a cache, and both deliveries, rather than every pattern.
IMPORTED_MODEL_COMBINATIONS = [
    {
        "pattern": "web_single",
        "model_format": "onnx",
        "model_delivery": "in_image",
        IMPORTED_MODEL: "classifier",
    },
    {
        "pattern": "prediction_cache",
        "model_format": "onnx",
        "model_delivery": "load_at_start",
        IMPORTED_MODEL: "regression",
    },
]


FULL_FORMATS = ("onnx",)
"""Model formats tested with every pattern and every delivery."""


def generable_combinations() -> list[dict[str, str]]:
    """Implemented pattern x model format x model delivery, minus unsupported pairs."""
    combinations = []
    for pattern, model_format, delivery in itertools.product(
        CATALOGUE.implemented_patterns(), _implemented_formats(), CATALOGUE.model_deliveries
    ):
        answers = {
            "pattern": pattern.id,
            "model_format": model_format,
            "model_delivery": delivery,
        }
        if not _unsupported(CATALOGUE.context["_patterns"][pattern.id], answers):
            combinations.append(answers)
    return combinations + IMPORTED_MODEL_COMBINATIONS


def offered_combinations() -> list[dict[str, str]]:
    """The combinations the project tier runs (see the module's docstring)."""
    generable = generable_combinations()
    chosen = [answers for answers in generable if answers["model_format"] in FULL_FORMATS]
    for turn, model_format in enumerate(_implemented_formats()):
        if model_format in FULL_FORMATS:
            continue
        for index, pattern in enumerate(_patterns_offering(generable, model_format)):
            options = [
                answers
                for answers in generable
                if (answers["pattern"], answers["model_format"]) == (pattern, model_format)
            ]
            chosen.append(options[(index + turn) % len(options)])
    return chosen


def suite_identity(answers: dict[str, str]) -> tuple[tuple[str, ...], str, str]:
    """What a generated project's own lint and tests read: the roles its pattern runs (which
    files ship), its model format (which model they train) and the model it imports, if any.
    Not the delivery, nor the pattern beyond its roles: they change only how the project is
    built, wired and deployed (Dockerfile, compose, manifests, README, which models `make
    model` trains), none of which its own tests read; test_render.py checks that every
    combination of one identity gives its suite the same project."""
    roles = tuple(sorted({s.role for s in CATALOGUE.patterns[answers["pattern"]].services}))
    return (roles, answers["model_format"], answers.get(IMPORTED_MODEL, ""))


def suite_combinations() -> list[dict[str, str]]:
    """The combinations whose own test suite the project tier runs.

    - One per suite identity of the sample model in FULL_FORMATS (every role set with ONNX)
      and of a model of the user's own: the others of its identity (the other delivery; the
      time-lag pattern, which runs the asynchronous pattern's roles) would run the same
      tests on the same code.
    - For every other format, one per distinct set of that format's own files the pattern
      keeps (its exporter, session and tests; Edge AI adds a network bundle's tests):
      the rest of a pattern's suite tests roles that reach the model through the session
      protocol only, which the format's own suite tests once. Every combination still runs
      its own lint and a smoke run of its services on its model (test_generated_project.py).
    """
    chosen: dict[object, dict[str, str]] = {}  # by identity
    for answers in offered_combinations():
        if answers["model_format"] in FULL_FORMATS or IMPORTED_MODEL in answers:
            chosen.setdefault(suite_identity(answers), answers)
        else:
            chosen.setdefault((answers["model_format"], _format_files_kept(answers)), answers)
    return list(chosen.values())


def _format_files_kept(answers: dict[str, str]) -> frozenset[str]:
    """The model format's own files (``_model_formats.*.files``) a project of ``answers``
    keeps: those no role it does not run owns."""
    roles = {service.role for service in CATALOGUE.patterns[answers["pattern"]].services}
    spec = CATALOGUE.context["_model_formats"][answers["model_format"]]
    owned_elsewhere = [
        glob
        for role, role_spec in CATALOGUE.context["_roles"].items()
        if role not in roles
        for glob in role_spec["files"]
    ]
    return frozenset(
        path
        for path in spec.get("files", [])
        if not any(fnmatch.fnmatch(path, glob) for glob in owned_elsewhere)
    )


CONTAINER_PATTERNS_EVERY_FORMAT = ("edge_ai",)
"""Patterns whose images a model format changes beyond the primary model's training stage:
the edge server's builder also exports the device bundle, int8 for a network."""


def container_combinations() -> list[dict[str, str]]:
    """The combinations whose images the container tier builds and runs: every onnx one,
    and for each other format one per delivery (a format changes the builder's or the
    runtime's dependencies alike in every pattern) plus CONTAINER_PATTERNS_EVERY_FORMAT.
    Building images is the slowest part of the tier; this keeps CI within its time limit."""
    chosen = []
    seen: set[tuple[str, str]] = set()
    for answers in offered_combinations():
        key = (answers["model_format"], answers["model_delivery"])
        if (
            answers["model_format"] in FULL_FORMATS
            or key not in seen
            or answers["pattern"] in CONTAINER_PATTERNS_EVERY_FORMAT
        ):
            chosen.append(answers)
            seen.add(key)
    return chosen


def combination_id(answers: dict[str, str]) -> str:
    parts = [answers["pattern"], answers["model_format"], answers["model_delivery"]]
    if IMPORTED_MODEL in answers:
        parts.append(f"own-{answers[IMPORTED_MODEL]}")
    return "-".join(parts)


def model_answers(answers: dict[str, str], folder: Path) -> dict[str, str]:
    """The combination as Kata's answers: a fixture model it names is written to `folder`
    first and given as model_path."""
    result = {key: value for key, value in answers.items() if key != IMPORTED_MODEL}
    if IMPORTED_MODEL in answers:
        build = IMPORTED_MODELS[answers[IMPORTED_MODEL]]
        result["model_path"] = str(build(folder / f"{answers[IMPORTED_MODEL]}.onnx"))
    return result


def combination_answers(answers: dict[str, str], folder: Path) -> dict[str, str]:
    """The combination's answers plus a slug of its own, so images and compose projects
    never clash."""
    # Slugs have at most 40 characters: the fixture model's name stays in the test id only.
    plain = {key: value for key, value in answers.items() if key != IMPORTED_MODEL}
    slug = combination_id(plain).replace("_", "-") + ("-own" if IMPORTED_MODEL in answers else "")
    named = {"project_name": slug.replace("-", " ").title(), "project_slug": slug}
    return {**model_answers(answers, folder), **named}


def _implemented_formats() -> list[str]:
    return [key for key, option in CATALOGUE.model_formats.items() if option.implemented]


def _patterns_offering(generable: list[dict[str, str]], model_format: str) -> list[str]:
    offering = (
        answers["pattern"] for answers in generable if answers["model_format"] == model_format
    )
    return list(dict.fromkeys(offering))


def _unsupported(pattern_spec: dict[str, Any], answers: dict[str, str]) -> bool:
    return any(
        all(answers.get(key) == value for key, value in rule.items() if key != "reason")
        for rule in pattern_spec["unsupported"]
    )
