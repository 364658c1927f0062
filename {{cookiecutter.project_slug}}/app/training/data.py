"""The training data: iris as shipped inside scikit-learn (nothing is downloaded)."""

import hashlib
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from sklearn.datasets import load_iris
from sklearn.model_selection import train_test_split

RANDOM_STATE = 42
TEST_SIZE = 0.25


@dataclass(frozen=True)
class Dataset:
    """The training table with its names and a hash of its content."""

    features: npt.NDArray[np.float64]
    targets: npt.NDArray[np.int64]
    feature_names: list[str]
    labels: list[str]
    sha256: str


@dataclass(frozen=True)
class Split:
    """One fixed, stratified train/held-out split shared by every model of a run."""

    train_x: npt.NDArray[np.float64]
    test_x: npt.NDArray[np.float64]
    train_y: npt.NDArray[np.int64]
    test_y: npt.NDArray[np.int64]


def load_dataset() -> Dataset:
    """Iris, with its content hashed so the version changes when the data does."""
    iris = load_iris()
    features = np.ascontiguousarray(iris.data, dtype="<f8")
    targets = np.ascontiguousarray(iris.target, dtype="<i8")
    digest = hashlib.sha256(features.tobytes() + targets.tobytes()).hexdigest()
    return Dataset(
        features=features,
        targets=targets,
        # "sepal length (cm)" -> "sepal_length": easy to type as a JSON key.
        feature_names=[name.removesuffix(" (cm)").replace(" ", "_") for name in iris.feature_names],
        labels=[str(name) for name in iris.target_names],
        sha256=digest,
    )


def split(dataset: Dataset) -> Split:
    """The same held-out quarter for every model, so their metrics compare."""
    train_x, test_x, train_y, test_y = train_test_split(
        dataset.features,
        dataset.targets,
        test_size=TEST_SIZE,
        random_state=RANDOM_STATE,
        stratify=dataset.targets,
    )
    return Split(train_x, test_x, train_y, test_y)
