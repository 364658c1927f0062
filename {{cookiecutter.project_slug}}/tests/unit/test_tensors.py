"""Open Inference Protocol tensors are checked against the graph's tensor spec."""

import numpy as np
import pytest

from app.model.errors import BatchTooLargeError, InvalidInputError
from app.model.signature import TensorSpec
from app.model.tensors import InputTensor, tensor_from_wire, tensor_to_wire

FEATURES = TensorSpec("input", "FP32", (-1, 4))


def _array(tensor: InputTensor, spec: TensorSpec = FEATURES) -> np.ndarray:
    return tensor_from_wire(tensor, spec, max_batch_size=8)


def test_flat_data_is_reshaped_row_major():
    array = _array(InputTensor("input", "FP32", [2, 4], [1, 2, 3, 4, 5, 6, 7, 8]))

    assert array.dtype == np.float32
    assert array.tolist() == [[1, 2, 3, 4], [5, 6, 7, 8]]


def test_nested_data_is_accepted():
    array = _array(InputTensor("input", "FP32", [2, 4], [[1, 2, 3, 4], [5, 6, 7, 8]]))

    assert array.shape == (2, 4)


def test_integer_tensors_keep_their_type():
    spec = TensorSpec("ids", "INT64", (-1,))

    assert _array(InputTensor("ids", "INT64", [3], [1, 2, 3]), spec).dtype == np.int64


@pytest.mark.parametrize(
    ("tensor", "message"),
    [
        (
            InputTensor("input", "INT64", [1, 4], [1, 2, 3, 4]),
            "datatype INT64, but the model expects FP32",
        ),
        (
            InputTensor("input", "FP32", [1, 3], [1, 2, 3]),
            r"shape \[1, 3\], but the model expects \[-1, 4\]",
        ),
        (InputTensor("input", "FP32", [4], [1, 2, 3, 4]), r"shape \[4\], but the model expects"),
        (InputTensor("input", "FP32", [-1, 4], [1, 2, 3, 4]), "negative dimensions"),
        (
            InputTensor("input", "FP32", [2, 4], [1, 2, 3, 4]),
            r"has 4 values, but shape \[2, 4\] needs 8",
        ),
        (
            InputTensor("input", "FP32", [1, 4], [1, "2", 3, 4]),
            r"data\[1\] must be a number, got the string",
        ),
        (
            InputTensor("input", "FP32", [1, 4], [1, 2, False, 4]),
            r"data\[2\] must be a number, got the boolean",
        ),
        (
            InputTensor("input", "FP32", [1, 4], [1, 2, {}, 4]),
            r"data\[2\] must be a number, got an object",
        ),
        (
            InputTensor("input", "FP32", [1, 4], [1, 2, float("nan"), 4]),
            r"data\[2\] is not a finite number",
        ),
        (
            InputTensor("input", "FP32", [1, 4], [1, 2, 3, 1e39]),
            r"data\[3\] is not a finite number",
        ),
        (InputTensor("input", "FP32", [0, 4], []), "the batch is empty"),
    ],
)
def test_bad_tensors_are_named(tensor: InputTensor, message: str):
    with pytest.raises(InvalidInputError, match=message):
        _array(tensor)


def test_integer_tensors_refuse_fractions_and_overflow():
    spec = TensorSpec("ids", "INT32", (-1,))

    with pytest.raises(InvalidInputError, match=r"data\[0\] must be an integer"):
        _array(InputTensor("ids", "INT32", [1], [1.5]), spec)
    with pytest.raises(InvalidInputError, match="outside the range of int32"):
        _array(InputTensor("ids", "INT32", [1], [2**40]), spec)


def test_batch_larger_than_the_maximum_is_its_own_error():
    with pytest.raises(BatchTooLargeError, match="9 rows"):
        _array(InputTensor("input", "FP32", [9, 4], [1.0] * 36))


def test_outputs_are_flattened_with_the_graph_datatype():
    spec = TensorSpec("probabilities", "FP32", (-1, 2))
    output = tensor_to_wire(np.array([[0.25, 0.75]], dtype=np.float32), spec)

    assert (output.name, output.datatype, output.shape, output.data) == (
        "probabilities",
        "FP32",
        [1, 2],
        [0.25, 0.75],
    )
