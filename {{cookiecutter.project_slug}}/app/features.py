"""The preprocessing pipeline: derived features, then a fitted standard scaler.

The training script fits it and writes its fitted state to transformer.json (plain numbers,
never a pickle); the preprocess service rebuilds the same scikit-learn pipeline from that
file. Training and serving share this module, so the feature code cannot drift. It needs
scikit-learn: only training and the preprocess service import it, never a predictor.
"""

from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

FORMAT = "kata-preprocess/1"
"""Version of the transformer.json layout; the loader refuses any other."""

DERIVED_FEATURES = ["sepal_area", "petal_area"]


def derived_features(rows: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Append sepal and petal areas (length x width) to the four measurements."""
    sepal_area = rows[:, 0] * rows[:, 1]
    petal_area = rows[:, 2] * rows[:, 3]
    return np.column_stack([rows, sepal_area, petal_area])


def output_names(feature_names: list[str]) -> list[str]:
    """Names of the columns the pipeline produces, in order."""
    return [*feature_names, *DERIVED_FEATURES]


def fit_pipeline(rows: npt.NDArray[np.float64]) -> Pipeline:
    """Fit on training rows only: the scaler learns their means and spreads."""
    return _pipeline(StandardScaler()).fit(rows)


def fitted_state(pipeline: Pipeline) -> dict[str, Any]:
    """The fitted pipeline as JSON-ready numbers: what transformer.json holds."""
    scaler: StandardScaler = pipeline.named_steps["scaler"]
    return {
        "format": FORMAT,
        "steps": ["derived_features", "standard_scaler"],
        "scaler": {
            "mean": scaler.mean_.tolist(),
            "scale": scaler.scale_.tolist(),
            "var": scaler.var_.tolist(),
            "n_samples_seen": int(scaler.n_samples_seen_),
        },
    }


def pipeline_from_state(state: dict[str, Any]) -> Pipeline:
    """Rebuild the fitted pipeline from `fitted_state`'s output; ValueError if it does not fit."""
    if state.get("format") != FORMAT:
        raise ValueError(f"format is {state.get('format')!r}, expected {FORMAT!r}")
    fitted = state["scaler"]
    scaler = StandardScaler()
    scaler.mean_ = np.asarray(fitted["mean"], dtype=np.float64)
    scaler.scale_ = np.asarray(fitted["scale"], dtype=np.float64)
    scaler.var_ = np.asarray(fitted["var"], dtype=np.float64)
    scaler.n_samples_seen_ = int(fitted["n_samples_seen"])
    scaler.n_features_in_ = len(scaler.mean_)
    if not (len(scaler.scale_) == len(scaler.var_) == scaler.n_features_in_):
        raise ValueError("the scaler's mean, scale and var differ in length")
    return _pipeline(scaler)


def _pipeline(scaler: StandardScaler) -> Pipeline:
    derive = FunctionTransformer(derived_features, validate=True)
    return Pipeline([("derive", derive), ("scaler", scaler)])
