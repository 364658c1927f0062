"""Kata: generate ML inference projects in the shape of a chosen serving pattern."""

from generator._answers import resolve_answers
from generator._catalogue import Catalogue, Pattern, load_catalogue
from generator._errors import AnswerError, KataError
from generator._render import RenderResult, render_project

__version__ = "0.1.0"

__all__ = [
    "AnswerError",
    "Catalogue",
    "KataError",
    "Pattern",
    "RenderResult",
    "__version__",
    "load_catalogue",
    "render_project",
    "resolve_answers",
]
