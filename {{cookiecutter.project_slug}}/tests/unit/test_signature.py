"""Signatures come from the ONNX graph itself."""

from pathlib import Path

import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper

from app.model.errors import ModelLoadError
from app.model.loading import open_model
from app.model.signature import ModelSignature, TensorSpec, signature_from_session
from app.model.source import fetch_model_files


def _identity_graph(elem_type: int, shape: list[int | str | None]) -> bytes:
    tensor_in = helper.make_tensor_value_info("x", elem_type, shape)
    tensor_out = helper.make_tensor_value_info("y", elem_type, shape)
    graph = helper.make_graph(
        [helper.make_node("Identity", ["x"], ["y"])], "g", [tensor_in], [tensor_out]
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model.SerializeToString()


def _session(model: bytes) -> ort.InferenceSession:
    return ort.InferenceSession(model, providers=["CPUExecutionProvider"])


def test_reads_the_trained_models_tensors(model_path: Path):
    # Whatever opens the project's format: an ONNX Runtime session or the scikit-learn one.
    session = open_model(fetch_model_files(str(model_path), timeout_s=5)).session
    signature = signature_from_session(session)

    assert signature.inputs == (TensorSpec("input", "FP32", (-1, 4)),)
    assert signature.outputs == (
        TensorSpec("label", "INT64", (-1,)),
        TensorSpec("probabilities", "FP32", (-1, 3)),
    )


def test_symbolic_and_missing_dimensions_become_minus_one():
    signature = signature_from_session(
        _session(_identity_graph(TensorProto.DOUBLE, ["N", None, 3]))
    )

    assert signature.inputs == (TensorSpec("x", "FP64", (-1, -1, 3)),)


def test_non_tensor_outputs_are_refused_at_load():
    # A classifier exported with zipmap on returns a sequence of maps, as here a sequence.
    tensor_in = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])
    sequence_out = helper.make_tensor_sequence_value_info("y", TensorProto.FLOAT, [1])
    node = helper.make_node("SequenceConstruct", ["x"], ["y"])
    graph = helper.make_graph([node], "g", [tensor_in], [sequence_out])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    session = _session(model.SerializeToString())

    with pytest.raises(ModelLoadError, match=r"tensor 'y' has type seq\(tensor\(float\)\)"):
        signature_from_session(session)


def test_lookup_and_json_form():
    signature = ModelSignature(
        inputs=(TensorSpec("input", "FP32", (-1, 4)),),
        outputs=(TensorSpec("probabilities", "FP32", (-1, 3)),),
    )

    assert signature.input_named("input") == TensorSpec("input", "FP32", (-1, 4))
    assert signature.input_named("other") is None
    assert signature.output_named("probabilities") is not None
    assert signature.as_dict()["inputs"] == [
        {"name": "input", "datatype": "FP32", "shape": [-1, 4]}
    ]
