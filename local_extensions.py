"""Jinja filters the template uses, loaded by cookiecutter from ``_extensions``.

cookiecutter puts the template's folder on ``sys.path`` while it renders, so plain
``cookiecutter`` and ``kata new`` render the same README from the same code. The ONNX
reader is the generated project's own ``app/training/onnx_graph.py``, loaded by path, so
what Kata checks before rendering is exactly what the project's import step records.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from jinja2 import Environment
from jinja2.ext import Extension

TEMPLATE_ROOT = Path(__file__).resolve().parent
# Built from pieces so that cookiecutter, which renders file names, leaves this one alone.
PROJECT_FOLDER = "{" * 2 + "cookiecutter.project_slug" + "}" * 2
ONNX_GRAPH_MODULE = Path("app", "training", "onnx_graph.py")


def onnx_graph_module(root: Path = TEMPLATE_ROOT) -> ModuleType:
    """The project's ONNX reader; raises ImportError when the onnx package is missing."""
    name = "kata_onnx_graph"
    if name in sys.modules:
        return sys.modules[name]
    path = root / PROJECT_FOLDER / ONNX_GRAPH_MODULE
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:  # pragma: no cover - the file ships with Kata
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # imports onnx: fails here when it is not installed
    sys.modules[name] = module
    return module


def onnx_model_facts(model_path: str) -> dict[str, Any]:
    """What the README needs about the user's model; empty when the project trains its own."""
    if not model_path:
        return {}
    facts = onnx_graph_module().read_model_facts(Path(model_path))
    result: dict[str, Any] = facts.as_dict()
    return result


class OnnxModelExtension(Extension):
    """``{{ cookiecutter.model_path | onnx_model_facts }}``: the imported model's facts."""

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        environment.filters["onnx_model_facts"] = onnx_model_facts
        # The pre-generation hook reads it: it runs from the project's folder, elsewhere.
        environment.globals["kata_template_root"] = str(TEMPLATE_ROOT)
