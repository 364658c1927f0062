"""The context cookiecutter hands the template's hooks, for tests that call them directly."""

from __future__ import annotations

import copy
from typing import Any

from tests.matrix import CATALOGUE


def valid_context(**answers: str) -> dict[str, Any]:
    """The catalogue's context with a valid answer to every question, then `answers`."""
    context = copy.deepcopy(CATALOGUE.context)
    context.update(
        project_name="Fraud Scorer",
        project_slug="fraud-scorer",
        pattern="web_single",
        model_format="onnx",
        model_delivery="in_image",
        python_version="3.11",
    )
    context.update(answers)
    return context
