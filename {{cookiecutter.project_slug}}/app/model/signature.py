"""The model's input and output tensors, read from the ONNX graph itself."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from app.model.errors import ModelLoadError

# ONNX Runtime type strings -> Open Inference Protocol datatypes and numpy dtypes.
_ORT_TO_DATATYPE = {
    "tensor(float)": "FP32",
    "tensor(double)": "FP64",
    "tensor(float16)": "FP16",
    "tensor(int8)": "INT8",
    "tensor(int16)": "INT16",
    "tensor(int32)": "INT32",
    "tensor(int64)": "INT64",
    "tensor(uint8)": "UINT8",
    "tensor(uint16)": "UINT16",
    "tensor(uint32)": "UINT32",
    "tensor(uint64)": "UINT64",
    "tensor(bool)": "BOOL",
    "tensor(string)": "BYTES",
}

NUMPY_DTYPES: dict[str, np.dtype[Any]] = {
    "FP16": np.dtype(np.float16),
    "FP32": np.dtype(np.float32),
    "FP64": np.dtype(np.float64),
    "INT8": np.dtype(np.int8),
    "INT16": np.dtype(np.int16),
    "INT32": np.dtype(np.int32),
    "INT64": np.dtype(np.int64),
    "UINT8": np.dtype(np.uint8),
    "UINT16": np.dtype(np.uint16),
    "UINT32": np.dtype(np.uint32),
    "UINT64": np.dtype(np.uint64),
    "BOOL": np.dtype(np.bool_),
}

DYNAMIC = -1
"""Marks a dimension whose size the graph leaves open (usually the batch)."""


@dataclass(frozen=True)
class TensorSpec:
    """One named tensor of the graph, in Open Inference Protocol terms."""

    name: str
    datatype: str
    shape: tuple[int, ...]

    def as_dict(self) -> dict[str, object]:
        """The JSON form used in metadata.json and the v2 model metadata."""
        return {"name": self.name, "datatype": self.datatype, "shape": list(self.shape)}


@dataclass(frozen=True)
class ModelSignature:
    """Every input and output of the graph, in graph order."""

    inputs: tuple[TensorSpec, ...]
    outputs: tuple[TensorSpec, ...]

    def input_named(self, name: str) -> TensorSpec | None:
        """The input called `name`, or None when the graph has no such input."""
        return next((spec for spec in self.inputs if spec.name == name), None)

    def output_named(self, name: str) -> TensorSpec | None:
        """The output called `name`, or None when the graph has no such output."""
        return next((spec for spec in self.outputs if spec.name == name), None)

    def as_dict(self) -> dict[str, list[dict[str, object]]]:
        """The JSON form written to and compared with metadata.json."""
        return {
            "inputs": [spec.as_dict() for spec in self.inputs],
            "outputs": [spec.as_dict() for spec in self.outputs],
        }


class NodeArg(Protocol):
    """What ONNX Runtime reports about one graph input or output."""

    @property
    def name(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def shape(self) -> Sequence[object]: ...


class InferenceSession(Protocol):
    """The part of `onnxruntime.InferenceSession` the server uses (ORT ships no types)."""

    def get_inputs(self) -> Sequence[NodeArg]: ...
    def get_outputs(self) -> Sequence[NodeArg]: ...
    def run(self, output_names: list[str] | None, input_feed: dict[str, Any]) -> list[Any]: ...


def signature_from_session(session: InferenceSession) -> ModelSignature:
    """Read the signature of an open inference session."""
    return ModelSignature(
        inputs=tuple(_spec_from_node_arg(arg) for arg in session.get_inputs()),
        outputs=tuple(_spec_from_node_arg(arg) for arg in session.get_outputs()),
    )


def _spec_from_node_arg(arg: NodeArg) -> TensorSpec:
    name = str(arg.name)
    datatype = _ORT_TO_DATATYPE.get(str(arg.type))
    if datatype is None:
        raise ModelLoadError(f"tensor {name!r} has type {arg.type}, which cannot be served")
    return TensorSpec(name=name, datatype=datatype, shape=_dims(arg.shape))


def _dims(shape: Sequence[object]) -> tuple[int, ...]:
    # ONNX Runtime reports an open dimension as None or as a symbolic name such as "N".
    return tuple(dim if isinstance(dim, int) and dim >= 0 else DYNAMIC for dim in shape)
