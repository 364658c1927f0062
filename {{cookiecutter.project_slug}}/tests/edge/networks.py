"""A real neural network as ONNX, for the int8 path: scikit-learn's MLP, its trained weights
written as a plain ONNX graph (MatMul, Add, Relu, Softmax), as a PyTorch export would be."""

import functools
import warnings

import numpy as np
import numpy.typing as npt
import onnx
from onnx import TensorProto, helper, numpy_helper
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from app.training.data import RANDOM_STATE, load_dataset, split

HIDDEN = (128, 128)


@functools.cache
def trained_mlp() -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32], MLPClassifier]:
    """The scaler's mean and scale, and an MLP fitted on the run's scaled training rows."""
    data = split(load_dataset())
    pipeline = make_pipeline(
        StandardScaler(), MLPClassifier(HIDDEN, max_iter=300, random_state=RANDOM_STATE)
    )
    with warnings.catch_warnings():
        # A few hundred steps reach the float model's accuracy; full convergence is not the point.
        warnings.simplefilter("ignore", ConvergenceWarning)
        pipeline.fit(data.train_x, data.train_y)
    scaler, mlp = pipeline.steps[0][1], pipeline.steps[1][1]
    return scaler.mean_.astype(np.float32), scaler.scale_.astype(np.float32), mlp


def mlp_onnx(
    mean: npt.NDArray[np.float32],
    scale: npt.NDArray[np.float32],
    weights: list[npt.NDArray[np.float64]],
    biases: list[npt.NDArray[np.float64]],
) -> bytes:
    """input [N, 4] -> (x - mean) / scale -> dense+relu layers -> dense -> probabilities."""
    initializers = [
        numpy_helper.from_array(mean, "mean"),
        numpy_helper.from_array(scale, "scale"),
    ]
    nodes = [
        helper.make_node("Sub", ["input", "mean"], ["centred"]),
        helper.make_node("Div", ["centred", "scale"], ["h0"]),
    ]
    last = len(weights) - 1
    for index, (weight, bias) in enumerate(zip(weights, biases, strict=True)):
        initializers += [
            numpy_helper.from_array(weight.astype(np.float32), f"w{index}"),
            numpy_helper.from_array(bias.astype(np.float32), f"b{index}"),
        ]
        nodes += [
            helper.make_node("MatMul", [f"h{index}", f"w{index}"], [f"m{index}"]),
            helper.make_node("Add", [f"m{index}", f"b{index}"], [f"z{index}"]),
        ]
        activation = "Softmax" if index == last else "Relu"
        output = "probabilities" if index == last else f"h{index + 1}"
        nodes.append(helper.make_node(activation, [f"z{index}"], [output], **_axis(activation)))
    graph = helper.make_graph(
        nodes,
        "iris-mlp",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [None, 4])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [None, 3])],
        initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model.SerializeToString()


def _axis(activation: str) -> dict[str, int]:
    return {"axis": 1} if activation == "Softmax" else {}
