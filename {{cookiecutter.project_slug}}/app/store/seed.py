"""Sample input records: iris-like flowers drawn around each species' measured means.

Deterministic for a given `seed` and table size, and written in chunks, so seeding a
million records takes no more memory than seeding a thousand.
"""

from datetime import datetime

import numpy as np
import numpy.typing as npt
from sqlalchemy import Engine, func, insert, select

from app.store.schema import FEATURE_COLUMNS, records

# Per-species mean and standard deviation of the four iris features (cm), from the
# iris data set (Fisher, 1936): sepal length, sepal width, petal length, petal width.
SPECIES = (
    ((5.006, 3.428, 1.462, 0.246), (0.352, 0.379, 0.174, 0.105)),
    ((5.936, 2.770, 4.260, 1.326), (0.516, 0.314, 0.470, 0.198)),
    ((6.588, 2.974, 5.552, 2.026), (0.636, 0.322, 0.552, 0.275)),
)
INSERT_CHUNK = 5000


def seed_records(engine: Engine, count: int, start: datetime, end: datetime, seed: int = 0) -> int:
    """Add `count` records with timestamps spread evenly over [start, end); returns count."""
    if count < 1:
        raise ValueError(f"count must be at least 1, got {count}")
    if start >= end:
        raise ValueError(f"start {start.isoformat()} is not before end {end.isoformat()}")
    step = (end - start) / count
    with engine.begin() as connection:
        existing = int(connection.execute(select(func.count()).select_from(records)).scalar_one())
    generator = np.random.default_rng([seed, existing])
    for first in range(0, count, INSERT_CHUNK):
        size = min(INSERT_CHUNK, count - first)
        features = _flowers(generator, size)
        rows = [
            {
                "created_at": start + step * (first + index),
                **dict(zip(FEATURE_COLUMNS, row, strict=True)),
            }
            for index, row in enumerate(features.tolist())
        ]
        with engine.begin() as connection:
            connection.execute(insert(records), rows)
    return count


def _flowers(generator: np.random.Generator, size: int) -> npt.NDArray[np.float64]:
    species = generator.integers(0, len(SPECIES), size)
    means = np.array([mean for mean, _ in SPECIES])[species]
    stds = np.array([std for _, std in SPECIES])[species]
    values = generator.normal(means, stds)
    # Measurements are positive and read to a millimetre.
    return np.round(np.clip(values, 0.1, None), 1).astype(np.float64)
