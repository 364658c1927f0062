"""The test matrix, read from the catalogue: every combination Kata offers."""

from __future__ import annotations

import itertools
from typing import Any

from generator import load_catalogue

CATALOGUE = load_catalogue()


def offered_combinations() -> list[dict[str, str]]:
    """Implemented pattern x model format x model delivery, minus unsupported pairs."""
    combinations = []
    for pattern, model_format, delivery in itertools.product(
        CATALOGUE.implemented_patterns(),
        [key for key, option in CATALOGUE.model_formats.items() if option.implemented],
        CATALOGUE.model_deliveries,
    ):
        answers = {
            "pattern": pattern.id,
            "model_format": model_format,
            "model_delivery": delivery,
        }
        if not _unsupported(CATALOGUE.context["_patterns"][pattern.id], answers):
            combinations.append(answers)
    return combinations


def combination_id(answers: dict[str, str]) -> str:
    return "-".join((answers["pattern"], answers["model_format"], answers["model_delivery"]))


def combination_answers(answers: dict[str, str]) -> dict[str, str]:
    """The combination plus a slug of its own, so images and compose projects never clash."""
    slug = combination_id(answers).replace("_", "-")
    return {**answers, "project_name": slug.replace("-", " ").title(), "project_slug": slug}


def _unsupported(pattern_spec: dict[str, Any], answers: dict[str, str]) -> bool:
    return any(
        all(answers.get(key) == value for key, value in rule.items() if key != "reason")
        for rule in pattern_spec["unsupported"]
    )
