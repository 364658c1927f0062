"""Every artefact a training run can produce, as data: what it is and how it is fitted.

A pattern names the artefacts its services serve (`python -m app.training --models ...`);
they all come from one run over one data split, so they share the run's version.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, cast

import numpy as np
import numpy.typing as npt
from sklearn.decomposition import PCA
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from app.features import fit_pipeline, fitted_state, output_names
from app.training.data import RANDOM_STATE, Dataset, Split
from app.training.formats import exporter_module
from app.training.onnx_export import check_labels, check_values, export_onnx, open_session

PCA_NAMES = ["pc1", "pc2"]
FOREST_TREES = 1000
"""The time-lag pattern's slow model: enough trees to cost clearly more than the fast one."""


@dataclass
class Exported:
    """Files to write (name -> bytes) and the facts to record in metadata.json."""

    files: dict[str, bytes]
    facts: dict[str, Any] = field(default_factory=dict)


class Fits:
    """The run's shared fits, each made once: later models train on earlier outputs."""

    def __init__(self, dataset: Dataset, split: Split, model_format: str = "onnx") -> None:
        self.dataset = dataset
        self.split = split
        self.model_format = model_format
        """How the primary model is trained and saved (app/training/formats.py)."""

    @cached_property
    def pca(self) -> Pipeline:
        """Scaler + PCA to two components: the feature model of the serial pattern."""
        pipeline = Pipeline([("scaler", StandardScaler()), ("pca", PCA(2, random_state=0))])
        return pipeline.fit(self.split.train_x)

    @cached_property
    def preprocess(self) -> Pipeline:
        """The preprocess service's fitted transformer (app/features.py)."""
        return fit_pipeline(self.split.train_x)


@dataclass(frozen=True)
class Artefact:
    """One output of the run."""

    name: str
    summary: str
    hyperparameters: dict[str, object]
    build: Callable[[Fits], Exported]
    directory: str | None = None
    """Where under the output folder its files go: its name by default, "" for the top."""
    with_metadata: bool = True
    """Whether metadata.json is written beside it (data files have none)."""

    @property
    def folder(self) -> str:
        """The folder its files go to, relative to the output folder."""
        return self.name if self.directory is None else self.directory


def _classifier(
    model: Any,  # noqa: ANN401 - any scikit-learn classifier
    name: str,
    fits: Fits,
    inputs: Callable[[npt.NDArray[np.float64]], npt.NDArray[np.float64]],
    feature_names: list[str],
) -> Exported:
    """Fit on transformed training rows, export, and check against held-out rows."""
    split = fits.split
    model.fit(inputs(split.train_x), split.train_y)
    held_out = inputs(split.test_x)
    onnx_bytes = export_onnx(model, held_out.shape[1], name, classifier=True)
    check_labels(open_session(onnx_bytes), model.predict(held_out), held_out)
    return Exported(
        {"model.onnx": onnx_bytes},
        {
            "task": "classification",
            "labels": fits.dataset.labels,
            "feature_names": feature_names,
            "metrics": {"accuracy": round(float(model.score(held_out, split.test_y)), 4)},
        },
    )


def _raw(rows: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    return rows


def _pca_features(fits: Fits) -> Callable[[npt.NDArray[np.float64]], npt.NDArray[np.float64]]:
    return lambda rows: np.asarray(fits.pca.transform(rows), dtype=np.float64)


def _iris_classifier(fits: Fits) -> Exported:
    if fits.model_format != "onnx":
        return cast("Exported", exporter_module(fits.model_format).export_primary(fits))
    return _classifier(iris_pipeline(), "iris-classifier", fits, _raw, fits.dataset.feature_names)


def iris_pipeline() -> Pipeline:
    """The primary model of the onnx and sklearn formats, unfitted."""
    return Pipeline(
        [
            ("scaler", StandardScaler()),
            ("classifier", LogisticRegression(C=1.0, max_iter=500, random_state=RANDOM_STATE)),
        ]
    )


def _iris_pca(fits: Fits) -> Exported:
    held_out = fits.split.test_x
    onnx_bytes = export_onnx(fits.pca, held_out.shape[1], "iris-pca", classifier=False)
    check_values(open_session(onnx_bytes), fits.pca.transform(held_out), held_out)
    explained = float(fits.pca.named_steps["pca"].explained_variance_ratio_.sum())
    return Exported(
        {"model.onnx": onnx_bytes},
        {
            "task": "transform",
            "feature_names": fits.dataset.feature_names,
            "output_names": PCA_NAMES,
            "metrics": {"explained_variance_ratio": round(explained, 4)},
        },
    )


def _iris_pca_classifier(fits: Fits) -> Exported:
    model = LogisticRegression(C=1.0, max_iter=500, random_state=RANDOM_STATE)
    return _classifier(model, "iris-pca-classifier", fits, _pca_features(fits), PCA_NAMES)


def _iris_pca_refiner(fits: Fits) -> Exported:
    model = RandomForestClassifier(n_estimators=25, max_depth=4, random_state=RANDOM_STATE)
    return _classifier(model, "iris-pca-refiner", fits, _pca_features(fits), PCA_NAMES)


def _iris_tree(fits: Fits) -> Exported:
    model = DecisionTreeClassifier(max_depth=3, random_state=RANDOM_STATE)
    return _classifier(model, "iris-tree", fits, _raw, fits.dataset.feature_names)


def _iris_forest(fits: Fits) -> Exported:
    model = RandomForestClassifier(n_estimators=FOREST_TREES, random_state=RANDOM_STATE)
    return _classifier(model, "iris-forest", fits, _raw, fits.dataset.feature_names)


def _iris_bayes(fits: Fits) -> Exported:
    return _classifier(GaussianNB(), "iris-bayes", fits, _raw, fits.dataset.feature_names)


def _iris_preprocess(fits: Fits) -> Exported:
    state = json.dumps(fitted_state(fits.preprocess), indent=2).encode() + b"\n"
    return Exported(
        {"transformer.json": state},
        {
            "task": "preprocess",
            "feature_names": fits.dataset.feature_names,
            "output_names": output_names(fits.dataset.feature_names),
            "predictor_model": "iris-prep-classifier",
        },
    )


def _iris_prep_classifier(fits: Fits) -> Exported:
    model = LogisticRegression(C=1.0, max_iter=500, random_state=RANDOM_STATE)
    names = output_names(fits.dataset.feature_names)

    def preprocessed(rows: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        return np.asarray(fits.preprocess.transform(rows), dtype=np.float64)

    return _classifier(model, "iris-prep-classifier", fits, preprocessed, names)


def _iris_records(fits: Fits) -> Exported:
    dataset = fits.dataset
    records = {str(index): row for index, row in enumerate(dataset.features.tolist())}
    body = {"name": "iris-records", "feature_names": dataset.feature_names, "records": records}
    return Exported({"records.json": json.dumps(body).encode() + b"\n"})


_LOGISTIC = {"classifier": "LogisticRegression", "C": 1.0, "max_iter": 500}
ARTEFACTS: dict[str, Artefact] = {
    artefact.name: artefact
    for artefact in [
        Artefact(
            "iris-classifier",
            "scaler + logistic regression on the four measurements",
            {"scaler": "StandardScaler", **_LOGISTIC},
            _iris_classifier,
            directory="",  # models/model.onnx (.skops): what the predictor serves by default
        ),
        Artefact(
            "iris-pca",
            "scaler + PCA to two components: features for the next model",
            {"scaler": "StandardScaler", "pca_components": 2},
            _iris_pca,
        ),
        Artefact(
            "iris-pca-classifier",
            "logistic regression on the PCA features",
            _LOGISTIC,
            _iris_pca_classifier,
        ),
        Artefact(
            "iris-pca-refiner",
            "random forest on the PCA features: a second opinion for unsure rows",
            {"classifier": "RandomForestClassifier", "n_estimators": 25, "max_depth": 4},
            _iris_pca_refiner,
        ),
        Artefact(
            "iris-tree",
            "decision tree on the four measurements",
            {"classifier": "DecisionTreeClassifier", "max_depth": 3},
            _iris_tree,
        ),
        Artefact(
            "iris-forest",
            "random forest of 1000 full-depth trees: the time-lag pattern's slow, second opinion",
            {"classifier": "RandomForestClassifier", "n_estimators": FOREST_TREES},
            _iris_forest,
        ),
        Artefact(
            "iris-bayes",
            "Gaussian naive Bayes on the four measurements",
            {"classifier": "GaussianNB"},
            _iris_bayes,
        ),
        Artefact(
            "iris-preprocess",
            "derived features + fitted scaler, served by the preprocess service",
            {"derived": ["sepal_area", "petal_area"], "scaler": "StandardScaler"},
            _iris_preprocess,
        ),
        Artefact(
            "iris-prep-classifier",
            "logistic regression on the preprocess service's output",
            _LOGISTIC,
            _iris_prep_classifier,
        ),
        Artefact(
            "iris-records",
            "the iris rows by row number: the sample record store",
            {},
            _iris_records,
            directory="",
            with_metadata=False,
        ),
    ]
}
