"""Read what serving needs from an ONNX file of your own: its signature, task, classes, features.

`python -m app.training --import` records these facts in metadata.json. Kata's generator
loads this very file by path to refuse, before it writes a project, a model this code
could not serve, and to write the README's sample request; so it imports nothing from
`app` and needs only the `onnx` package.

Facts the graph cannot tell are read from the model's metadata_props (string key/value
pairs every ONNX exporter can set), each optional:

- `labels`: a JSON list of class names, one per column of the probabilities output;
- `feature_names`: a JSON list of names, one per column of the input;
- `task`: `classification`, `regression` or `transform`, when the outputs leave it open.
"""

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import onnx

DYNAMIC = -1
"""A dimension the graph leaves open (usually the batch)."""

PROBABILITIES_OUTPUT = "probabilities"
TASKS = ("classification", "regression", "transform")
FLOAT_DATATYPES = ("FP16", "FP32", "FP64")

# ONNX element types -> Open Inference Protocol datatypes (the names the server reports).
_DATATYPES: dict[int, str] = {
    onnx.TensorProto.FLOAT: "FP32",
    onnx.TensorProto.DOUBLE: "FP64",
    onnx.TensorProto.FLOAT16: "FP16",
    onnx.TensorProto.INT8: "INT8",
    onnx.TensorProto.INT16: "INT16",
    onnx.TensorProto.INT32: "INT32",
    onnx.TensorProto.INT64: "INT64",
    onnx.TensorProto.UINT8: "UINT8",
    onnx.TensorProto.UINT16: "UINT16",
    onnx.TensorProto.UINT32: "UINT32",
    onnx.TensorProto.UINT64: "UINT64",
    onnx.TensorProto.BOOL: "BOOL",
    onnx.TensorProto.STRING: "BYTES",
}

SERVED_INPUT = "one float input (FP32, FP64 or FP16) of shape [batch, features]"


class UnservableModelError(ValueError):
    """The file is not an ONNX model, or not one a /predict endpoint can serve; says why."""


@dataclass(frozen=True)
class Tensor:
    """One graph input or output."""

    name: str
    datatype: str
    """An Open Inference Protocol datatype, or a description of a type it has none for."""
    shape: list[int]


@dataclass(frozen=True)
class ModelFacts:
    """Everything the server, the README and the tests need to know about an imported model."""

    input: Tensor
    outputs: list[Tensor]
    task: str
    predict_output: str
    """The output /predict reads: class probabilities, a value, or a feature vector per row."""
    labels: list[str] | None
    feature_names: list[str]
    producer: str

    @property
    def n_features(self) -> int:
        """Columns of the input: what every row must hold."""
        return self.input.shape[1]

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (Kata's templates read it as a dict)."""
        return {**asdict(self), "n_features": self.n_features}


def read_model_facts(path: Path) -> ModelFacts:
    """Parse and check `path`; raise UnservableModelError naming the first problem."""
    model = _load(path)
    graph = model.graph
    initialisers = {initialiser.name for initialiser in graph.initializer}
    # Older exporters list weights among the inputs too; only the others are fed by callers.
    inputs = [_tensor(value) for value in graph.input if value.name not in initialisers]
    outputs = [_tensor(value) for value in graph.output]
    properties = {prop.key: prop.value for prop in model.metadata_props}
    features = _features_input(inputs)
    task, predict_output = _task_and_output(outputs, properties)
    labels = _labels(properties, predict_output) if task == "classification" else None
    return ModelFacts(
        input=features,
        outputs=outputs,
        task=task,
        predict_output=predict_output.name,
        labels=labels,
        feature_names=_feature_names(properties, features.shape[1]),
        producer=" ".join(filter(None, [model.producer_name, model.producer_version])) or "unknown",
    )


def _load(path: Path) -> onnx.ModelProto:
    if not path.is_file():
        raise UnservableModelError(f"{path} is not a file")
    try:
        # Weights kept in a separate file would not travel with model.onnx: refuse them
        # rather than let onnx.load read them from beside the file.
        model = onnx.load(str(path), load_external_data=False)
    except Exception as error:  # onnx raises DecodeError and others
        raise UnservableModelError(_invalid(path, error)) from None
    external = [
        tensor.name
        for tensor in model.graph.initializer
        if tensor.data_location == onnx.TensorProto.EXTERNAL
    ]
    if external:
        raise UnservableModelError(
            f"{path} keeps weights in separate files ({', '.join(external[:3])}...); save it as "
            "one file: onnx.save(model, path, save_as_external_data=False), or "
            "torch.onnx.export(..., external_data=False)"
        )
    try:
        onnx.checker.check_model(model)
    except Exception as error:  # ValidationError and others
        raise UnservableModelError(_invalid(path, error)) from None
    return model


def _invalid(path: Path, error: Exception) -> str:
    first_line = (str(error).strip().splitlines() or [type(error).__name__])[0]
    return f"{path} is not a valid ONNX model: {first_line}"


def _tensor(value: onnx.ValueInfoProto) -> Tensor:
    kind = value.type.WhichOneof("value")
    if kind != "tensor_type":
        return Tensor(value.name, _describe_non_tensor(value.type), [])
    tensor_type = value.type.tensor_type
    element = int(tensor_type.elem_type)
    datatype = _DATATYPES.get(element, onnx.TensorProto.DataType.Name(element))
    dims = [
        dim.dim_value if dim.HasField("dim_value") else DYNAMIC for dim in tensor_type.shape.dim
    ]
    return Tensor(value.name, datatype, dims)


def _describe_non_tensor(value_type: onnx.TypeProto) -> str:
    kind = value_type.WhichOneof("value") or "unknown"
    if kind == "sequence_type" and value_type.sequence_type.elem_type.HasField("map_type"):
        return "sequence of maps"
    return kind.removesuffix("_type")


def _features_input(inputs: list[Tensor]) -> Tensor:
    if len(inputs) != 1:
        names = ", ".join(repr(tensor.name) for tensor in inputs) or "none"
        raise UnservableModelError(
            f"the model has {len(inputs)} inputs ({names}); Kata serves {SERVED_INPUT}"
        )
    tensor = inputs[0]
    shape_text = _shape_text(tensor.shape)
    if tensor.datatype not in FLOAT_DATATYPES or len(tensor.shape) != 2:
        raise UnservableModelError(
            f"input {tensor.name!r} is {tensor.datatype} {shape_text}; Kata serves {SERVED_INPUT}"
        )
    if tensor.shape[1] == DYNAMIC:
        raise UnservableModelError(
            f"input {tensor.name!r} is {tensor.datatype} {shape_text}: its number of features "
            f"is not fixed; Kata serves {SERVED_INPUT} with a fixed number of features"
        )
    if tensor.shape[0] != DYNAMIC:
        raise UnservableModelError(
            f"input {tensor.name!r} is {tensor.datatype} {shape_text}: its batch size is fixed "
            "at export; export it with a dynamic first dimension so one call can serve many rows"
        )
    return tensor


def _task_and_output(outputs: list[Tensor], properties: dict[str, str]) -> tuple[str, Tensor]:
    for tensor in outputs:
        if tensor.datatype == "sequence of maps":
            raise UnservableModelError(
                f"output {tensor.name!r} is a sequence of maps (a ZipMap): export the "
                "classifier with zipmap disabled (skl2onnx: options={'zipmap': False}) so "
                "probabilities come as a [batch, classes] float tensor named "
                f"{PROBABILITIES_OUTPUT!r}"
            )
        if tensor.datatype not in _DATATYPES.values():
            raise UnservableModelError(
                f"output {tensor.name!r} is a {tensor.datatype}, which the server cannot return"
            )
    floats = [tensor for tensor in outputs if tensor.datatype in FLOAT_DATATYPES]
    declared = properties.get("task")
    if declared is not None and declared not in TASKS:
        raise UnservableModelError(
            f"metadata_props task is {declared!r}; use one of: {', '.join(TASKS)}"
        )
    named = next((tensor for tensor in floats if tensor.name == PROBABILITIES_OUTPUT), None)
    if declared == "classification" or (declared is None and (named or "labels" in properties)):
        return "classification", named or _probabilities(floats)
    if len(floats) != 1:
        raise UnservableModelError(
            f"the model has {len(floats)} float outputs ({', '.join(t.name for t in floats)}); "
            "a regression or transform answers with exactly one (name a classifier's "
            f"probabilities {PROBABILITIES_OUTPUT!r} or set metadata_props labels)"
        )
    output = floats[0]
    regression = len(output.shape) == 1 or output.shape[1:] == [1]
    task = declared or ("regression" if regression else "transform")
    if (task == "regression" and not regression) or (
        task == "transform" and len(output.shape) != 2
    ):
        raise UnservableModelError(
            f"output {output.name!r} is {_shape_text(output.shape)}: a regression answers "
            "[batch] or [batch, 1], a transform [batch, features]"
        )
    return task, output


def _probabilities(floats: list[Tensor]) -> Tensor:
    matrices = [tensor for tensor in floats if len(tensor.shape) == 2]
    if len(matrices) != 1:
        raise UnservableModelError(
            f"a classifier needs one float output of shape [batch, classes]; this one has "
            f"{len(matrices)}: name the class probabilities {PROBABILITIES_OUTPUT!r}"
        )
    return matrices[0]


def _labels(properties: dict[str, str], output: Tensor) -> list[str]:
    if len(output.shape) != 2:
        raise UnservableModelError(
            f"output {output.name!r} is {_shape_text(output.shape)}; class probabilities "
            "must be [batch, classes]"
        )
    classes = output.shape[1]
    labels = _json_strings(properties, "labels")
    if labels is None:
        if classes == DYNAMIC:
            raise UnservableModelError(
                f"output {output.name!r} does not fix its number of classes; list the class "
                "names in metadata_props labels (a JSON list)"
            )
        return [f"class_{index}" for index in range(classes)]
    if classes not in (DYNAMIC, len(labels)):
        raise UnservableModelError(
            f"metadata_props labels lists {len(labels)} classes but output "
            f"{output.name!r} has {classes} columns"
        )
    return labels


def _feature_names(properties: dict[str, str], n_features: int) -> list[str]:
    names = _json_strings(properties, "feature_names")
    if names is None:
        return [f"x{index}" for index in range(n_features)]
    if len(names) != n_features:
        raise UnservableModelError(
            f"metadata_props feature_names lists {len(names)} names but the input has "
            f"{n_features} features"
        )
    return names


def _json_strings(properties: dict[str, str], key: str) -> list[str] | None:
    if key not in properties:
        return None
    try:
        value = json.loads(properties[key])
    except json.JSONDecodeError:
        value = None
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(item, str) and item for item in value)
        or len(set(value)) != len(value)
    ):
        raise UnservableModelError(
            f"metadata_props {key} must be a JSON list of distinct, non-empty strings, "
            f"got {properties[key][:60]!r}"
        )
    return value


def _shape_text(shape: list[int]) -> str:
    """[batch, 4] for a dynamic first dimension; other open dimensions show as ?."""
    names = [
        ("batch" if index == 0 else "?") if dim == DYNAMIC else str(dim)
        for index, dim in enumerate(shape)
    ]
    return "[" + ", ".join(names) + "]"
