"""The project's model format: how the primary model (iris-classifier) is trained and saved.

Kata writes the format into pyproject.toml (`[tool.app.training] model_format`); every other
artefact of a run is exported to ONNX whatever the format. The exporter of a format other
than onnx lives in its own module, which ships only in projects of that format.
"""

import importlib
import tomllib
from pathlib import Path
from types import ModuleType
from typing import Literal, get_args

ModelFormat = Literal["onnx", "sklearn", "pytorch"]
FORMATS: tuple[str, ...] = get_args(ModelFormat)

MODEL_FILE_NAMES: dict[str, str] = {
    "onnx": "model.onnx",
    "sklearn": "model.skops",
    "pytorch": "model.onnx",  # exported to ONNX: served exactly like the onnx format
}
EXPORTER_MODULES = {"sklearn": "app.training.skops_export", "pytorch": "app.training.torch_export"}


PROJECT_PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"
"""The project's own pyproject.toml, wherever the command runs from."""


def declared_format(pyproject: Path = PROJECT_PYPROJECT) -> str:
    """The format pyproject.toml declares; onnx when the file or the setting is absent."""
    if not pyproject.is_file():
        return "onnx"
    settings = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    declared = settings.get("tool", {}).get("app", {}).get("training", {}).get("model_format")
    if declared is None:
        return "onnx"
    if declared not in FORMATS:
        raise SystemExit(f"{pyproject}: model_format {declared!r} is not one of {FORMATS}")
    return str(declared)


def exporter_module(model_format: str) -> ModuleType:
    """The format's exporter: `export_primary(fits)`, `HYPERPARAMETERS`, `library_versions()`.

    The onnx format needs none: the primary model is exported like every other artefact.
    """
    try:
        return importlib.import_module(EXPORTER_MODULES[model_format])
    except ModuleNotFoundError as error:
        raise SystemExit(
            f"this project cannot train model_format {model_format!r} ({error}); "
            f"generate a project with model_format={model_format} for that"
        ) from error
