"""Refuse invalid answers before cookiecutter keeps any file.

Plain ``cookiecutter`` users get the same rules as ``kata new``: the kata CLI imports this
module and calls :func:`check_answers` before it renders, so there is one rule set. The
module stays importable as plain Python because the only Jinja in it sits inside a raw
string literal that is parsed only when cookiecutter runs the rendered script.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

CONTEXT_JSON = r"""{{ cookiecutter | tojson }}"""

# A DNS-1123 label: the slug names the folder, the images and the Kubernetes objects, and
# leaves room for suffixes such as "-predictor" within the 63-character limit.
SLUG_RULE = re.compile(r"^[a-z](?:[a-z0-9-]{0,38}[a-z0-9])?$")


# Answers whose allowed values come from a catalogue entry rather than a plain choice list.
CATALOGUED_CHOICES = {
    "pattern": "_patterns",
    "model_format": "_model_formats",
    "model_delivery": "_model_deliveries",
}


class AnswerError(ValueError):
    """One invalid answer: the field it concerns and what would be accepted."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


def check_answers(context: dict[str, Any]) -> None:
    """Raise :class:`AnswerError` for the first answer Kata cannot render."""
    _check_project_name(context.get("project_name", ""))
    _check_slug(context.get("project_slug", ""))
    for field, catalogue_key in CATALOGUED_CHOICES.items():
        check_choice(field, context[field], context[catalogue_key])
    _check_combination(context, context["_patterns"][context["pattern"]])


def check_choice(field: str, value: str, options: dict[str, Any]) -> None:
    """Refuse a value the catalogue does not list, or lists as not yet implemented."""
    available = ", ".join(_implemented(options))
    if value not in options:
        raise AnswerError(field, f"unknown value {value!r}; choose one of: {available}")
    if not options[value].get("implemented", True):
        raise AnswerError(
            field,
            f"{value!r} ({options[value]['title']}) is not available in this Kata release "
            f"yet; choose one of: {available}",
        )


def _check_project_name(name: str) -> None:
    if not name.strip():
        raise AnswerError("project_name", "must not be empty; give a human-readable title")


def _check_slug(slug: str) -> None:
    if not SLUG_RULE.match(slug):
        raise AnswerError(
            "project_slug",
            f"{slug!r} is not valid; use 1-40 lowercase letters, digits and hyphens, "
            "starting with a letter and not ending with a hyphen (e.g. 'fraud-scorer')",
        )


def _check_combination(context: dict[str, Any], pattern: dict[str, Any]) -> None:
    for rule in pattern.get("unsupported", []):
        conditions = {key: value for key, value in rule.items() if key != "reason"}
        if all(context.get(key) == value for key, value in conditions.items()):
            field = next(iter(conditions))
            raise AnswerError(
                field,
                f"{context['pattern']} does not support {field}={conditions[field]!r}: "
                f"{rule['reason']}",
            )


def _implemented(options: dict[str, Any]) -> list[str]:
    return [key for key, spec in options.items() if spec.get("implemented", True)]


def main() -> int:
    try:
        check_answers(json.loads(CONTEXT_JSON))
    except AnswerError as error:
        print(f"kata: invalid answer: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
