"""The sklearn format: the primary pipeline saved with skops and served by scikit-learn itself."""

import io
import json
import zipfile
from typing import Any

import numpy as np
import skops
import skops.io
from sklearn.pipeline import Pipeline

from app.model.sklearn_session import open_sklearn_session, untrusted_types
from app.training.artefacts import Exported, Fits, iris_pipeline

MODEL_FILE_NAME = "model.skops"
HYPERPARAMETERS: dict[str, object] = {"saved_with": "skops"}
# A zip's entries carry a modification time; a fixed one keeps the bytes reproducible.
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def library_versions() -> dict[str, str]:
    """The libraries this format adds to the run's identity."""
    return {"skops": skops.__version__}


def export_primary(fits: Fits) -> Exported:
    """Fit the iris pipeline, save it with skops, and check the saved file against it."""
    split = fits.split
    model = iris_pipeline().fit(split.train_x, split.train_y)
    saved = save_reproducibly(model)
    refused = untrusted_types(saved)
    if refused:
        raise RuntimeError(f"the saved model needs types the server does not trust: {refused}")
    session = open_sklearn_session(saved, MODEL_FILE_NAME)
    labels, probabilities = session.run(None, {"input": split.test_x.astype(np.float32)})
    if not np.array_equal(labels, model.predict(split.test_x.astype(np.float32))):
        raise RuntimeError("the saved model disagrees with the fitted one on held-out rows")
    if not np.allclose(probabilities, model.predict_proba(split.test_x), atol=1e-6):
        raise RuntimeError("the saved model's probabilities stray from the fitted one's")
    return Exported(
        {MODEL_FILE_NAME: saved},
        {
            "format": "sklearn",
            "task": "classification",
            "labels": fits.dataset.labels,
            "feature_names": fits.dataset.feature_names,
            "metrics": {"accuracy": round(float(model.score(split.test_x, split.test_y)), 4)},
            "signature": _signature(model),
        },
    )


def save_reproducibly(model: Pipeline) -> bytes:
    """skops' archive with object ids renumbered in order and a fixed timestamp.

    skops records each object's id() in memory (as `__id__`, and as the name of each array
    file), which differs on every run; numbering them in schema order keeps which objects are
    shared and gives the same bytes, and sha256, for the same model.
    """
    original = zipfile.ZipFile(io.BytesIO(skops.io.dumps(model)))
    schema = json.loads(original.read("schema.json"))
    numbers: dict[str, int] = {}
    _renumber(schema, numbers)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr(zipfile.ZipInfo("schema.json", _ZIP_TIME), json.dumps(schema, indent=2))
        for name in original.namelist():
            if name != "schema.json":
                stem, dot, suffix = name.partition(".")
                renamed = f"{numbers[stem]}{dot}{suffix}" if stem in numbers else name
                archive.writestr(zipfile.ZipInfo(renamed, _ZIP_TIME), original.read(name))
    return out.getvalue()


def _renumber(node: Any, numbers: dict[str, int]) -> None:  # noqa: ANN401 - parsed JSON
    if isinstance(node, dict):
        if isinstance(node.get("__id__"), int):
            node["__id__"] = numbers.setdefault(str(node["__id__"]), len(numbers))
        name = node.get("file")
        if isinstance(name, str) and "." in name:
            stem, _, suffix = name.partition(".")
            node["file"] = f"{numbers.setdefault(stem, len(numbers))}.{suffix}"
        for value in node.values():
            _renumber(value, numbers)
    elif isinstance(node, list):
        for value in node:
            _renumber(value, numbers)


def _signature(model: Pipeline) -> dict[str, list[dict[str, object]]]:
    """What the server will read from the loaded pipeline: there is no graph to record."""
    features, classes = int(model.n_features_in_), len(model.classes_)
    return {
        "inputs": [{"name": "input", "datatype": "FP32", "shape": [-1, features]}],
        "outputs": [
            {"name": "label", "datatype": "INT64", "shape": [-1]},
            {"name": "probabilities", "datatype": "FP32", "shape": [-1, classes]},
        ],
    }
