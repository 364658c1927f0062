"""Turn a page of records into result rows and failures with the shared model runner."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from app.batch.faults import Faults
from app.batch.store import Failure
from app.model.errors import InvalidInputError
from app.model.runner import ModelRunner
from app.store.schema import FEATURE_COLUMNS

Record = Sequence[Any]
"""A row of a page query: (id, created_at, *features in the model's order)."""


@dataclass(frozen=True)
class ChunkOutcome:
    """Result rows ready to write, and the records that failed."""

    results: list[dict[str, Any]]
    failures: list[Failure]


class ChunkPredictor:
    """Predicts a chunk of records in one model call; isolates failing records if any."""

    def __init__(self, runner: ModelRunner, faults: Faults) -> None:
        self._runner = runner
        self._faults = faults
        labels = runner.metadata.labels
        if labels is None:  # a regressor or feature model has no classes to write
            raise ValueError(
                f"the batch job writes class predictions; {runner.metadata.name!r} is a "
                f"{runner.metadata.task} model without labels"
            )
        self._labels = labels
        self.model_version = runner.metadata.version
        features = runner.metadata.feature_names
        if features is not None and list(features) != list(FEATURE_COLUMNS):
            raise ValueError(
                f"the model's features {features} are not the records table's feature "
                f"columns {list(FEATURE_COLUMNS)} (app/store/schema.py)"
            )

    def predict(
        self, records: Sequence[Record], attempt: int, run_id: int, at: datetime
    ) -> ChunkOutcome:
        """Predict `records`; a record the model refuses becomes a Failure, not an error."""
        ids = [int(record[0]) for record in records]
        # NULL features become NaN, which the runner's validation refuses like any bad value.
        matrix = np.array([record[2:] for record in records], dtype=np.float64)
        self._faults.corrupt(ids, matrix, attempt)
        try:
            probabilities = self._runner.predict_matrix(matrix)
        except InvalidInputError:
            return self._one_by_one(ids, matrix, run_id, at)
        return ChunkOutcome(self._rows(ids, probabilities, run_id, at), [])

    def _one_by_one(
        self, ids: list[int], matrix: npt.NDArray[np.float64], run_id: int, at: datetime
    ) -> ChunkOutcome:
        # Only chunks holding a bad record get here: find which, predict the rest.
        good_ids: list[int] = []
        good_rows: list[npt.NDArray[Any]] = []
        failures: list[Failure] = []
        for index, record_id in enumerate(ids):
            try:
                good_rows.append(self._runner.predict_matrix(matrix[index : index + 1]))
                good_ids.append(record_id)
            except InvalidInputError as error:
                failures.append(Failure(record_id, f"record {record_id}: {error}"))
        if not good_rows:
            return ChunkOutcome([], failures)
        return ChunkOutcome(self._rows(good_ids, np.concatenate(good_rows), run_id, at), failures)

    def _rows(
        self, ids: list[int], probabilities: npt.NDArray[Any], run_id: int, at: datetime
    ) -> list[dict[str, Any]]:
        labels = self._labels
        winners = probabilities.argmax(axis=1).tolist()
        rows = probabilities.tolist()
        return [
            {
                "record_id": record_id,
                "model_version": self.model_version,
                "label": labels[winner],
                "label_index": winner,
                "score": row[winner],
                "probabilities": dict(zip(labels, row, strict=True)),
                "run_id": run_id,
                "predicted_at": at,
            }
            for record_id, winner, row in zip(ids, winners, rows, strict=True)
        ]
