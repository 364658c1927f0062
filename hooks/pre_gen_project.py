"""Refuse invalid answers before cookiecutter keeps any file.

Plain ``cookiecutter`` users get the same rules as ``kata new``: the kata CLI imports this
module and calls :func:`check_answers` before it renders, so there is one rule set. The
module stays importable as plain Python because the only Jinja in it sits inside a raw
string literal that is parsed only when cookiecutter runs the rendered script.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

CONTEXT_JSON = r"""{{ cookiecutter | tojson }}"""
# The template's folder, absolute (set by local_extensions.py): cookiecutter runs this hook
# from the new project's folder, and its own `_repo_dir` may be relative to the user's.
RENDERED_TEMPLATE_ROOT = r"""{{ kata_template_root }}"""

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
    check_model_path(context)


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


def check_model_path(context: dict[str, Any]) -> None:
    """Refuse a model of the user's own that Kata cannot copy, read or serve.

    Empty means the project trains its sample model. Otherwise the pattern and format must
    offer an imported model, the path must be absolute (cookiecutter runs this hook from the
    new project's folder, not from where the user typed it), and the file must be an ONNX
    model whose signature the server can validate requests against.
    """
    model_path = str(context.get("model_path", ""))
    if not model_path.strip():
        if model_path:
            raise AnswerError("model_path", "is only blanks; leave it empty to train the sample")
        return
    if model_path != model_path.strip():
        raise AnswerError("model_path", f"{model_path!r} has blanks around it; remove them")
    imported = context["_imported_model"]
    if context["pattern"] not in imported["patterns"]:
        raise AnswerError(
            "model_path",
            f"pattern {context['pattern']} cannot serve a model of your own yet; patterns "
            f"that can: {', '.join(imported['patterns'])} (or leave model_path empty)",
        )
    if context["model_format"] not in imported["model_formats"]:
        raise AnswerError(
            "model_path",
            f"a model of your own must be {' or '.join(imported['model_formats'])}, "
            f"not model_format={context['model_format']!r}",
        )
    if not Path(model_path).is_absolute():
        raise AnswerError(
            "model_path",
            f'{model_path!r} is relative; give an absolute path (e.g. "$PWD/{model_path}"): '
            "cookiecutter resolves it from the new project's folder",
        )
    reader = _onnx_graph_module()
    try:
        reader.read_model_facts(Path(model_path))
    except reader.UnservableModelError as error:
        raise AnswerError("model_path", str(error)) from None


def _onnx_graph_module() -> ModuleType:
    """The generated project's ONNX reader, through the template's Jinja extension module.

    Run by cookiecutter, this hook knows the template's folder from its rendered text; the
    kata CLI imports it from the template folder itself, unrendered.
    """
    rendered = not RENDERED_TEMPLATE_ROOT.startswith("{")
    root = Path(RENDERED_TEMPLATE_ROOT) if rendered else Path(__file__).resolve().parents[1]
    spec = importlib.util.spec_from_file_location(
        "kata_local_extensions", root / "local_extensions.py"
    )
    if spec is None or spec.loader is None:  # pragma: no cover - the file ships with Kata
        raise AnswerError("model_path", f"cannot find Kata's ONNX reader under {root}")
    extensions = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(extensions)
    try:
        module: ModuleType = extensions.onnx_graph_module(root)
    except ImportError as error:
        raise AnswerError(
            "model_path",
            f"reading an ONNX model needs the onnx package ({error}); run: pip install onnx",
        ) from None
    return module


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
