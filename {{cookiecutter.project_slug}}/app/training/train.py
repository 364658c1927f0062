"""Train the sample models, export them, and write their metadata: one run, one version.

`python -m app.training --out models [--models NAME,...] [--format FORMAT]` (needs the
`train` extra; the primary model's format defaults to the one pyproject.toml declares), or
`python -m app.training --import model/model.onnx --name NAME --out models` for a model of
your own (see app/training/importing.py).
Deterministic: the same data, hyperparameters and library versions give the same bytes
and the same version, which every artefact of the run carries.
"""

import argparse
import json
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import onnx
import skl2onnx
import sklearn

from app.model.signature import signature_from_session
from app.model.source import METADATA_FILE_NAME, sha256_hex
from app.training.artefacts import ARTEFACTS, Artefact, Exported, Fits
from app.training.data import RANDOM_STATE, TEST_SIZE, Dataset, load_dataset, split
from app.training.formats import FORMATS, MODEL_FILE_NAMES, declared_format, exporter_module
from app.training.importing import import_model
from app.training.onnx_export import open_session

DEFAULT_MODELS = ("iris-classifier",)
PRIMARY_MODEL = "iris-classifier"


def library_versions(model_format: str = "onnx") -> dict[str, str]:
    """The libraries whose versions can change the trained models."""
    libraries = {
        "numpy": np.__version__,
        "scikit-learn": sklearn.__version__,
        "skl2onnx": skl2onnx.__version__,
        "onnx": onnx.__version__,
    }
    if model_format != "onnx":
        libraries.update(exporter_module(model_format).library_versions())
    return libraries


def primary_hyperparameters(model_format: str) -> dict[str, object]:
    """The primary model's hyperparameters in this format."""
    if model_format == "onnx":
        return ARTEFACTS[PRIMARY_MODEL].hyperparameters
    own: dict[str, object] = exporter_module(model_format).HYPERPARAMETERS
    if model_format == "sklearn":  # the same pipeline, saved another way
        return {**ARTEFACTS[PRIMARY_MODEL].hyperparameters, **own}
    return dict(own)


def run_version(data_sha256: str, libraries: dict[str, str], model_format: str = "onnx") -> str:
    """First 12 hex digits of a hash over data, every artefact's hyperparameters and libraries.

    Every artefact the code can train counts, whichever were asked for, so the models of
    one pattern (and a preprocessing step and its model) always carry the same version.
    """
    hyperparameters = {name: artefact.hyperparameters for name, artefact in ARTEFACTS.items()}
    hyperparameters[PRIMARY_MODEL] = primary_hyperparameters(model_format)
    shared = {"test_size": TEST_SIZE, "random_state": RANDOM_STATE}
    identity = {
        "data": data_sha256,
        "hyperparameters": hyperparameters,
        "split": shared,
        "libraries": libraries,
    }
    if model_format != "onnx":  # left out for onnx, so onnx versions stay what they were
        identity["model_format"] = model_format
    return sha256_hex(json.dumps(identity, sort_keys=True).encode())[:12]


def build_metadata(
    artefact: Artefact,
    exported: Exported,
    dataset: Dataset,
    version: str,
    model_format: str = "onnx",
) -> dict[str, object]:
    """Everything a server and a reader need to know about one exported artefact."""
    main_file = next(iter(exported.files))
    primary = artefact.name == PRIMARY_MODEL
    hyperparameters = primary_hyperparameters(model_format) if primary else artefact.hyperparameters
    metadata: dict[str, object] = {
        "name": artefact.name,
        "version": version,
        "summary": artefact.summary,
        "training_data": {
            "name": "iris (bundled with scikit-learn)",
            "sha256": dataset.sha256,
            "rows": len(dataset.targets),
        },
        "hyperparameters": {
            **hyperparameters,
            "test_size": TEST_SIZE,
            "random_state": RANDOM_STATE,
        },
        "libraries": library_versions(model_format if primary else "onnx"),
        **exported.facts,
        "model_sha256": sha256_hex(exported.files[main_file]),
    }
    if main_file.endswith(".onnx"):
        session = open_session(exported.files[main_file])
        metadata["signature"] = signature_from_session(session).as_dict()
    return metadata


def select(names: Sequence[str]) -> list[Artefact]:
    """The artefacts called `names` ("all": every one the code knows)."""
    if list(names) == ["all"]:
        return list(ARTEFACTS.values())
    unknown = [name for name in names if name not in ARTEFACTS]
    if unknown:
        raise SystemExit(f"unknown models {unknown}; choose from {', '.join(ARTEFACTS)}")
    return [ARTEFACTS[name] for name in names]


def train_and_export(
    out_dir: Path,
    names: Sequence[str] = DEFAULT_MODELS,
    log: Callable[[str], None] = print,
    model_format: str | None = None,
) -> Path:
    """Train the named artefacts into `out_dir`; returns the primary model's path.

    `model_format` (default: the one pyproject.toml declares) shapes the primary model only.
    """
    model_format = model_format or declared_format()
    artefacts = select(names)
    dataset = load_dataset()
    log(f"loaded iris: {len(dataset.targets)} rows, sha256 {dataset.sha256[:12]}")
    version = run_version(dataset.sha256, library_versions(model_format), model_format)
    fits = Fits(dataset, split(dataset), model_format)
    for artefact in artefacts:
        exported = artefact.build(fits)
        folder = out_dir / artefact.folder
        folder.mkdir(parents=True, exist_ok=True)
        for file_name, content in exported.files.items():
            (folder / file_name).write_bytes(content)
        if artefact.with_metadata:
            metadata = build_metadata(artefact, exported, dataset, version, model_format)
            (folder / METADATA_FILE_NAME).write_text(json.dumps(metadata, indent=2) + "\n")
        log(f"wrote {artefact.name} to {folder} ({_score(exported)}version {version})")
    return out_dir / MODEL_FILE_NAMES[model_format]


def _score(exported: Exported) -> str:
    metrics = exported.facts.get("metrics", {})
    if "accuracy" in metrics:
        return f"held-out accuracy {metrics['accuracy']:.4f}, "
    return ""


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: `python -m app.training --out models [--models a,b | --import FILE]`."""
    parser = argparse.ArgumentParser(prog="python -m app.training", description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("models"), help="output directory")
    parser.add_argument(
        "--models",
        default=",".join(DEFAULT_MODELS),
        help=f"comma-separated artefacts to train, or 'all' (known: {', '.join(ARTEFACTS)})",
    )
    parser.add_argument(
        "--import",
        dest="import_file",
        type=Path,
        help="an ONNX model of your own: import it instead of training the sample models",
    )
    parser.add_argument(
        "--name", default="model", help="the imported model's name (the v2 routes' {name})"
    )
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default=None,
        help="how the primary model is trained and saved (default: pyproject.toml's "
        "[tool.app.training] model_format, else onnx)",
    )
    arguments = parser.parse_args(argv)
    if arguments.import_file is not None:
        import_model(arguments.import_file, arguments.out, arguments.name)
        return 0
    names = [name.strip() for name in arguments.models.split(",")]
    train_and_export(arguments.out, names, model_format=arguments.format)
    return 0
