"""Open Inference Protocol tensors (name, datatype, shape, data) to and from numpy."""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from app.model.errors import InvalidInputError
from app.model.signature import DYNAMIC, NUMPY_DTYPES, TensorSpec
from app.model.validation import check_batch_size, describe, require_finite


@dataclass(frozen=True)
class InputTensor:
    """A tensor as a client sends it: `data` is flat or nested, in row-major order."""

    name: str
    datatype: str
    shape: Sequence[int]
    data: Sequence[object]


@dataclass(frozen=True)
class OutputTensor:
    """A tensor as the server returns it: `data` is flat, in row-major order."""

    name: str
    datatype: str
    shape: list[int]
    data: list[Any]


def tensor_from_wire(
    tensor: InputTensor, spec: TensorSpec, max_batch_size: int
) -> npt.NDArray[Any]:
    """Check `tensor` against the graph's `spec` and return it as an array."""
    where = f"input {tensor.name!r}"
    if tensor.datatype != spec.datatype:
        raise InvalidInputError(
            f"{where} has datatype {tensor.datatype}, but the model expects {spec.datatype}"
        )
    dtype = NUMPY_DTYPES.get(spec.datatype)
    if dtype is None:
        raise InvalidInputError(f"{where}: datatype {spec.datatype} is not supported over JSON")
    shape = _checked_shape(tensor.shape, spec, where, max_batch_size)
    flat = _flatten(tensor.data)
    if len(flat) != math.prod(shape):
        raise InvalidInputError(
            f"{where} has {len(flat)} values, but shape {list(shape)} needs {math.prod(shape)}"
        )
    _require_element_types(flat, spec.datatype, where)
    return _to_array(flat, dtype, where).reshape(shape)


def tensor_to_wire(array: npt.NDArray[Any], spec: TensorSpec) -> OutputTensor:
    """Encode a model output for the response."""
    return OutputTensor(
        name=spec.name,
        datatype=spec.datatype,
        shape=[int(dim) for dim in array.shape],
        data=array.ravel().tolist(),
    )


def _checked_shape(
    shape: Sequence[int], spec: TensorSpec, where: str, max_batch_size: int
) -> tuple[int, ...]:
    expected = list(spec.shape)
    if any(dim < 0 for dim in shape):
        raise InvalidInputError(f"{where} has negative dimensions in shape {list(shape)}")
    if len(shape) != len(expected) or any(
        want not in (DYNAMIC, got) for want, got in zip(expected, shape, strict=True)
    ):
        raise InvalidInputError(
            f"{where} has shape {list(shape)}, but the model expects {expected} (-1 means any size)"
        )
    if expected and expected[0] == DYNAMIC:
        check_batch_size(shape[0], max_batch_size)
    return tuple(shape)


def _flatten(data: Sequence[object]) -> list[object]:
    # Nested arrays are accepted as a convenience; only the row-major order matters.
    flat: list[object] = []
    pending: list[object] = list(reversed(data))
    while pending:
        item = pending.pop()
        if isinstance(item, list):
            pending.extend(reversed(item))
        else:
            flat.append(item)
    return flat


def _require_element_types(flat: list[object], datatype: str, where: str) -> None:
    if datatype == "BOOL":
        allowed: tuple[type, ...] = (bool,)
    elif datatype.startswith(("INT", "UINT")):
        allowed = (int,)
    else:
        allowed = (int, float)
    for index, value in enumerate(flat):
        # Exact type checks: bool is a subclass of int but never a number here.
        if type(value) not in allowed:
            raise InvalidInputError(
                f"{where} data[{index}] must be {_kind(datatype)}, got {describe(value)}"
            )


def _kind(datatype: str) -> str:
    if datatype == "BOOL":
        return "a boolean"
    if datatype.startswith(("INT", "UINT")):
        return "an integer"
    return "a number"


def _to_array(flat: list[object], dtype: np.dtype[Any], where: str) -> npt.NDArray[Any]:
    try:
        # Overflow to infinity is expected for hostile input and refused below.
        with np.errstate(over="ignore", invalid="ignore"):
            array = np.asarray(flat, dtype=dtype)
    except (OverflowError, ValueError) as error:
        raise InvalidInputError(f"{where} holds a value outside the range of {dtype}") from error
    require_finite(array, f"{where} data")
    return array
