"""The template's own hooks, imported as modules so the CLI applies the same rules."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from generator._template import template_root


def load_hook(name: str, root: Path | None = None) -> ModuleType:
    """Import ``hooks/<name>.py`` of the template without running its ``main``."""
    path = (root or template_root()) / "hooks" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"kata_hooks_{name}", path)
    if spec is None or spec.loader is None:  # pragma: no cover - the file ships with Kata
        raise ImportError(f"cannot load hook {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
