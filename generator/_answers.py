"""Turn flags, answer files and prompts into one validated set of answers.

Validation happens here, before anything is written: unknown questions, values outside a
choice list, and every rule of the template's ``pre_gen_project`` hook (imported, not
copied) each raise :class:`AnswerError` naming the field and what is allowed.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml
from cookiecutter.generate import generate_context
from cookiecutter.prompt import prompt_for_config

from generator._catalogue import Catalogue
from generator._errors import AnswerError
from generator._hooks import load_hook

# Recorded in every project's answers file; accepted on replay, never asked.
RECORDED_ONLY = frozenset({"_kata_version"})


def load_answers_file(path: Path) -> dict[str, str]:
    """Read a YAML or JSON mapping of answers (e.g. a project's ``.kata-answers.yml``)."""
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AnswerError("answers", f"file {str(path)!r} does not exist") from None
    except yaml.YAMLError as error:
        first_line = str(error).splitlines()[0]
        message = f"{str(path)!r} is not valid YAML/JSON: {first_line}"
        raise AnswerError("answers", message) from None
    if not isinstance(loaded, dict):
        raise AnswerError("answers", f"{str(path)!r} must hold a mapping of question: answer")
    return {str(key): str(value) for key, value in loaded.items()}


def parse_assignments(assignments: list[str]) -> dict[str, str]:
    """Parse ``KEY=VALUE`` pairs given with ``--set``."""
    answers = {}
    for assignment in assignments:
        key, separator, value = assignment.partition("=")
        if not separator or not key:
            raise AnswerError("set", f"{assignment!r} is not KEY=VALUE (e.g. project_name=Fraud)")
        answers[key.strip()] = value
    return answers


def resolve_answers(
    catalogue: Catalogue, given: dict[str, str], *, interactive: bool = False
) -> dict[str, str]:
    """Validate ``given``, ask or default the rest, and return every public answer."""
    given = {key: value for key, value in given.items() if key not in RECORDED_ONLY}
    pre_gen = load_hook("pre_gen_project")
    _refuse_unknown_questions(catalogue, given)
    normalised = {key: _normalise(catalogue, key, value) for key, value in given.items()}
    for field, value in normalised.items():
        _check_choice(catalogue, pre_gen, field, value)
    context = _cookiecutter_context(catalogue, normalised)
    with template_importable(catalogue.source):
        resolved = dict(prompt_for_config(context, no_input=not interactive))
    try:
        pre_gen.check_answers(resolved)
    except pre_gen.AnswerError as error:
        raise AnswerError(error.field, str(error).partition(": ")[2]) from None
    return {key: str(value) for key, value in resolved.items() if not key.startswith("_")}


@contextmanager
def template_importable(source: Path) -> Iterator[None]:
    """Let cookiecutter import the template's Jinja extensions (``_extensions``), as it does
    itself while it renders."""
    sys.path.append(str(source))
    try:
        yield
    finally:
        sys.path.remove(str(source))


def _refuse_unknown_questions(catalogue: Catalogue, given: dict[str, str]) -> None:
    known = catalogue.questions
    for key in given:
        if key not in known:
            raise AnswerError(key, f"unknown question; Kata asks: {', '.join(known)}")


def _normalise(catalogue: Catalogue, field: str, value: str) -> str:
    """Accept ``web-single`` for ``web_single``: CLI users type hyphens; and a model path
    relative to where ``kata`` runs (the project records it absolute)."""
    if catalogue.choices(field):
        return value.strip().replace("-", "_")
    if field == "model_path" and value.strip():
        return str(Path(value.strip()).expanduser().resolve())
    return value


def _check_choice(catalogue: Catalogue, pre_gen: ModuleType, field: str, value: str) -> None:
    choices = catalogue.choices(field)
    if not choices or value in choices:
        return
    catalogue_key = pre_gen.CATALOGUED_CHOICES.get(field)
    if catalogue_key:
        try:
            pre_gen.check_choice(field, value, catalogue.context[catalogue_key])
        except pre_gen.AnswerError as error:
            raise AnswerError(field, str(error).partition(": ")[2]) from None
    raise AnswerError(field, f"{value!r} is not allowed; choose one of: {', '.join(choices)}")


def _cookiecutter_context(catalogue: Catalogue, answers: dict[str, str]) -> dict[str, Any]:
    """cookiecutter's own context with ``answers`` applied, ready for prompting."""
    context_file = str(catalogue.source / "cookiecutter.json")
    context: dict[str, Any] = generate_context(context_file=context_file, extra_context=answers)
    return context
