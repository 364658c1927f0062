"""Rows from untrusted JSON become a float matrix, or an error that names the problem."""

import math

import numpy as np
import pytest

from app.model.errors import BatchTooLargeError, InvalidInputError
from app.model.validation import cast_finite, require_finite, rows_to_matrix

FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]


def _matrix(rows: list[object], max_batch_size: int = 8) -> np.ndarray:
    return rows_to_matrix(rows, FEATURES, len(FEATURES), max_batch_size)


def test_array_rows_keep_their_order():
    matrix = _matrix([[5.1, 3.5, 1.4, 0.2], [6, 3, 5, 2]])

    assert matrix.tolist() == [[5.1, 3.5, 1.4, 0.2], [6.0, 3.0, 5.0, 2.0]]


def test_object_rows_are_ordered_by_feature_name():
    row = {"petal_width": 0.2, "sepal_width": 3.5, "sepal_length": 5.1, "petal_length": 1.4}

    assert _matrix([row]).tolist() == [[5.1, 3.5, 1.4, 0.2]]


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([[1, 2, 3]], r"rows\[0\] has 3 values but the model expects 4"),
        ([[1, 2, 3, 4], [1, 2, 3, 4, 5]], r"rows\[1\] has 5 values"),
        ([[1, "2", 3, 4]], r"rows\[0\]\[1\] must be a number, got the string '2'"),
        ([[1, 2, True, 4]], r"rows\[0\]\[2\] must be a number, got the boolean true"),
        ([[None, 2, 3, 4]], r"rows\[0\]\[0\] must be a number, got null"),
        ([[[1], 2, 3, 4]], r"rows\[0\]\[0\] must be a number, got an array"),
        (["1,2,3,4"], r"rows\[0\] must be an array of 4 numbers or an object"),
        ([{"sepal_length": 1}], r"rows\[0\] is missing features sepal_width, petal_length"),
        (
            [dict.fromkeys([*FEATURES, "colour"], 1.0)],
            r"rows\[0\] has unknown features colour; expected sepal_length",
        ),
        ([{**dict.fromkeys(FEATURES, 1.0), "petal_width": "x"}], r"rows\[0\]\.petal_width"),
        ([[10**400, 2, 3, 4]], r"rows\[0\] holds a number too large"),
        ([], "the batch is empty"),
    ],
)
def test_bad_rows_are_named(rows: list[object], message: str):
    with pytest.raises(InvalidInputError, match=message):
        _matrix(rows)


def test_object_rows_need_feature_names():
    with pytest.raises(InvalidInputError, match="has no feature names; send arrays"):
        rows_to_matrix([{"a": 1.0}], None, 1, 8)


def test_batch_larger_than_the_maximum_is_its_own_error():
    with pytest.raises(BatchTooLargeError, match="9 rows, more than the maximum of 8"):
        _matrix([[1, 2, 3, 4]] * 9)


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_non_finite_values_are_refused_with_their_position(value: float):
    matrix = _matrix([[1, 2, 3, 4], [1, 2, value, 4]])

    with pytest.raises(InvalidInputError, match=r"rows\[1\]\[2\] is not a finite number"):
        require_finite(matrix, "rows")


def test_values_beyond_float32_are_refused_after_the_cast():
    matrix = _matrix([[1e39, 2, 3, 4]])

    with pytest.raises(InvalidInputError, match=r"rows\[0\]\[0\] .* range of float32"):
        cast_finite(matrix, np.dtype(np.float32), "rows")
