"""Turn untrusted JSON-shaped values into arrays that fit the model, or say what is wrong.

JSON parsers in Python accept NaN and Infinity, and JSON has booleans that Python treats
as integers, so every value is checked here rather than trusted to the HTTP layer.
"""

from collections.abc import Mapping, Sequence
from typing import Any, cast

import numpy as np
import numpy.typing as npt

from app.model.errors import BatchTooLargeError, InvalidInputError

_NUMBER_TYPES = (int, float)


def check_batch_size(size: int, max_batch_size: int) -> None:
    """Refuse an empty batch or one larger than `max_batch_size`."""
    if size == 0:
        raise InvalidInputError("the batch is empty: send at least one row")
    if size > max_batch_size:
        raise BatchTooLargeError(
            f"the batch has {size} rows, more than the maximum of {max_batch_size}; "
            "split it into smaller requests"
        )


def check_matrix(matrix: npt.NDArray[Any], n_features: int, max_batch_size: int) -> None:
    """Refuse anything but a [rows, n_features] matrix of an accepted batch size."""
    if matrix.ndim != 2 or matrix.shape[1] != n_features:
        raise InvalidInputError(
            f"rows must form a [rows, {n_features}] matrix, got shape {list(matrix.shape)}"
        )
    check_batch_size(matrix.shape[0], max_batch_size)


def rows_to_matrix(
    rows: Sequence[object],
    feature_names: Sequence[str] | None,
    n_features: int,
    max_batch_size: int,
) -> npt.NDArray[np.float64]:
    """Stack rows (lists of numbers, or objects keyed by feature name) into a matrix."""
    check_batch_size(len(rows), max_batch_size)
    matrix = np.empty((len(rows), n_features), dtype=np.float64)
    for index, row in enumerate(rows):
        values = _row_values(row, f"rows[{index}]", feature_names, n_features)
        try:
            matrix[index] = values
        except OverflowError as error:
            raise InvalidInputError(f"rows[{index}] holds a number too large") from error
    return matrix


def cast_finite(array: npt.NDArray[Any], dtype: np.dtype[Any], where: str) -> npt.NDArray[Any]:
    """Cast to the model's dtype, then refuse values that are not finite there."""
    # Overflow is expected for hostile input and reported below, not warned about.
    with np.errstate(over="ignore", invalid="ignore"):
        cast = array.astype(dtype)
    require_finite(cast, where)
    return cast


def require_finite(array: npt.NDArray[Any], where: str) -> None:
    """Refuse NaN and infinities, including values that overflowed the model's float type."""
    if not np.issubdtype(array.dtype, np.floating):
        return
    finite = np.isfinite(array)
    if not finite.all():
        position = "".join(f"[{int(i)}]" for i in np.argwhere(~finite)[0])
        raise InvalidInputError(
            f"{where}{position} is not a finite number: NaN, Infinity and values beyond "
            f"the range of {array.dtype} are rejected"
        )


def require_numbers(values: Sequence[object], where: str) -> None:
    """Refuse anything but JSON numbers: strings, booleans, null, arrays, objects."""
    for index, value in enumerate(values):
        # bool is a subclass of int, so compare exact types.
        if type(value) not in _NUMBER_TYPES:
            raise InvalidInputError(f"{where}[{index}] must be a number, got {describe(value)}")


def describe(value: object) -> str:
    """Name a value's JSON type for an error message."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, str):
        return f"the string {value[:40]!r}"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, Sequence):
        return "an array"
    return f"a {type(value).__name__}"


def _row_values(
    row: object, where: str, feature_names: Sequence[str] | None, n_features: int
) -> Sequence[float]:
    if isinstance(row, Mapping):
        return _values_by_name(row, where, feature_names)
    if isinstance(row, list | tuple):
        if len(row) != n_features:
            raise InvalidInputError(
                f"{where} has {len(row)} values but the model expects {n_features}"
            )
        require_numbers(row, where)
        return cast("Sequence[float]", row)
    raise InvalidInputError(
        f"{where} must be an array of {n_features} numbers or an object keyed by feature "
        f"name, got {describe(row)}"
    )


def _values_by_name(
    row: Mapping[object, object], where: str, feature_names: Sequence[str] | None
) -> Sequence[float]:
    if not feature_names:
        raise InvalidInputError(
            f"{where} is an object but this model has no feature names; send arrays"
        )
    unknown = sorted(str(key) for key in row if key not in feature_names)
    if unknown:
        raise InvalidInputError(
            f"{where} has unknown features {', '.join(unknown)}; "
            f"expected {', '.join(feature_names)}"
        )
    missing = [name for name in feature_names if name not in row]
    if missing:
        raise InvalidInputError(f"{where} is missing features {', '.join(missing)}")
    values = [row[name] for name in feature_names]
    for name, value in zip(feature_names, values, strict=True):
        if type(value) not in _NUMBER_TYPES:
            raise InvalidInputError(f"{where}.{name} must be a number, got {describe(value)}")
    return cast("Sequence[float]", values)
