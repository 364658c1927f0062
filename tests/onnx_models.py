"""Small ONNX models built with onnx.helper: models a user could bring, and ones Kata refuses."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = [helper.make_opsetid("", 17)]
CLASSIFIER_LABELS = ["bronze", "silver", "gold", "platinum", "diamond"]
CLASSIFIER_FEATURES = ["age", "income", "tenure", "visits"]


def _save(model: onnx.ModelProto, path: Path) -> Path:
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def _weights(name: str, shape: tuple[int, ...], seed: int) -> onnx.TensorProto:
    values = np.random.default_rng(seed).normal(size=shape).astype(np.float32)
    return numpy_helper.from_array(values, name)


def linear_regression(path: Path, n_features: int = 3) -> Path:
    """FP32 [batch, n] -> `prediction` [batch, 1]; no metadata_props (names default to x0..)."""
    graph = helper.make_graph(
        [helper.make_node("Gemm", ["x", "w", "b"], ["prediction"])],
        "linear-regression",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", n_features])],
        [helper.make_tensor_value_info("prediction", TensorProto.FLOAT, ["N", 1])],
        [_weights("w", (n_features, 1), 1), _weights("b", (1,), 2)],
    )
    return _save(helper.make_model(graph, opset_imports=OPSET, producer_name="kata-tests"), path)


def softmax_classifier(path: Path) -> Path:
    """FP32 [batch, 4] -> `scores` [batch, 5] softmax, labels and feature names in metadata."""
    n_features, n_classes = len(CLASSIFIER_FEATURES), len(CLASSIFIER_LABELS)
    graph = helper.make_graph(
        [
            helper.make_node("Gemm", ["features", "w", "b"], ["logits"]),
            helper.make_node("Softmax", ["logits"], ["scores"], axis=1),
            helper.make_node("ArgMax", ["scores"], ["winner"], axis=1, keepdims=0),
        ],
        "softmax-classifier",
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, [None, n_features])],
        [
            helper.make_tensor_value_info("scores", TensorProto.FLOAT, [None, n_classes]),
            helper.make_tensor_value_info("winner", TensorProto.INT64, [None]),
        ],
        [_weights("w", (n_features, n_classes), 3), _weights("b", (n_classes,), 4)],
    )
    model = helper.make_model(graph, opset_imports=OPSET, producer_name="kata-tests")
    helper.set_model_props(
        model,
        {
            "labels": json.dumps(CLASSIFIER_LABELS),
            "feature_names": json.dumps(CLASSIFIER_FEATURES),
        },
    )
    return _save(model, path)


def string_input(path: Path) -> Path:
    graph = helper.make_graph(
        [helper.make_node("Identity", ["text"], ["same"])],
        "string-input",
        [helper.make_tensor_value_info("text", TensorProto.STRING, [None, 1])],
        [helper.make_tensor_value_info("same", TensorProto.STRING, [None, 1])],
    )
    return _save(helper.make_model(graph, opset_imports=OPSET), path)


def two_inputs(path: Path) -> Path:
    graph = helper.make_graph(
        [helper.make_node("Add", ["left", "right"], ["sum"])],
        "two-inputs",
        [
            helper.make_tensor_value_info("left", TensorProto.FLOAT, [None, 3]),
            helper.make_tensor_value_info("right", TensorProto.FLOAT, [None, 3]),
        ],
        [helper.make_tensor_value_info("sum", TensorProto.FLOAT, [None, 3])],
    )
    return _save(helper.make_model(graph, opset_imports=OPSET), path)


def image_input(path: Path) -> Path:
    graph = helper.make_graph(
        [helper.make_node("GlobalAveragePool", ["image"], ["pooled"])],
        "image-input",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, [None, 3, 224, 224])],
        [helper.make_tensor_value_info("pooled", TensorProto.FLOAT, [None, 3, 1, 1])],
    )
    return _save(helper.make_model(graph, opset_imports=OPSET), path)


def zipmap_classifier(path: Path) -> Path:
    """What skl2onnx exports by default: probabilities as a sequence of {label: p} maps."""
    graph = helper.make_graph(
        [
            helper.make_node("Softmax", ["x"], ["probs"], axis=1),
            helper.make_node(
                "ZipMap",
                ["probs"],
                ["output_probability"],
                domain="ai.onnx.ml",
                classlabels_int64s=[0, 1],
            ),
        ],
        "zipmap-classifier",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 2])],
        [
            helper.make_value_info(
                "output_probability",
                helper.make_sequence_type_proto(
                    helper.make_map_type_proto(
                        TensorProto.INT64, helper.make_tensor_type_proto(TensorProto.FLOAT, [])
                    )
                ),
            )
        ],
    )
    opsets = [*OPSET, helper.make_opsetid("ai.onnx.ml", 3)]
    return _save(helper.make_model(graph, opset_imports=opsets), path)


def not_onnx(path: Path) -> Path:
    path.write_bytes(b"this is a CSV file, not a model\n1,2,3\n")
    return path


def identity(
    path: Path,
    input_type: int = TensorProto.FLOAT,
    input_shape: list[int | str | None] | None = None,
    output_shape: list[int | str | None] | None = None,
    properties: dict[str, str] | None = None,
) -> Path:
    """`x` -> `y` unchanged: its shapes and metadata_props are whatever a test needs."""
    graph = helper.make_graph(
        [helper.make_node("Identity", ["x"], ["y"])],
        "identity",
        [helper.make_tensor_value_info("x", input_type, input_shape or [None, 3])],
        [helper.make_tensor_value_info("y", input_type, output_shape or [None, 3])],
    )
    model = helper.make_model(graph, opset_imports=OPSET)
    helper.set_model_props(model, properties or {})
    return _save(model, path)


def external_weights(path: Path) -> Path:
    """A valid regression whose weights sit in a separate file beside it, as torch's
    default exporter writes them: model.onnx alone would not run."""
    model = onnx.load(str(linear_regression(path)))
    onnx.save(
        model,
        str(path),
        save_as_external_data=True,
        all_tensors_to_one_file=True,
        location=f"{path.name}.data",
        size_threshold=0,
    )
    return path
