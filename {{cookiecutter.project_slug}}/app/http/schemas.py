"""Request and response bodies of the predictor's HTTP API.

Request models check only the envelope; the values inside rows and tensors are checked
against the model's signature by the core, which names the exact offending value.
"""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, JsonValue, StrictInt

_ROW_EXAMPLES: list[JsonValue] = [
    {"rows": [[5.1, 3.5, 1.4, 0.2]]},
    {"rows": [{"sepal_length": 6.7, "sepal_width": 3.0, "petal_length": 5.2, "petal_width": 2.3}]},
]


class ErrorResponse(BaseModel):
    """Every error body: one message that names the problem."""

    error: str


class PredictRequest(BaseModel):
    """Rows to classify, each an array of feature values or an object keyed by name."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": _ROW_EXAMPLES})

    rows: list[list[Any] | dict[str, Any]]


class PredictByIdRequest(BaseModel):
    """Records to answer, named by their ids in the predictor's record store."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"ids": ["0"]}]})

    ids: list[str]


class PredictionBody(BaseModel):
    """A classifier's answer for one row."""

    label: str
    label_index: int
    probabilities: dict[str, float]


class ValueBody(BaseModel):
    """A regressor's answer for one row."""

    value: float


class FeaturesBody(BaseModel):
    """A transform's answer for one row: the features a next model takes."""

    features: list[float]


class PredictResponse(BaseModel):
    """Answers in the order of the request's rows, with the model that gave them."""

    model_name: str
    model_version: str
    predictions: list[PredictionBody] | list[ValueBody] | list[FeaturesBody]


class RequestInput(BaseModel):
    """An Open Inference Protocol input tensor; `data` is row-major, flat or nested."""

    name: str
    shape: list[StrictInt]
    datatype: str
    data: list[Any]
    parameters: dict[str, Any] | None = None


class RequestOutput(BaseModel):
    """An output the client asks for; all outputs are returned when none are named."""

    name: str
    parameters: dict[str, Any] | None = None


class InferenceRequest(BaseModel):
    """Body of POST /v2/models/{name}/infer."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "inputs": [
                        {
                            "name": "input",
                            "shape": [1, 4],
                            "datatype": "FP32",
                            "data": [5.1, 3.5, 1.4, 0.2],
                        }
                    ]
                }
            ]
        }
    )

    id: str | None = None
    parameters: dict[str, Any] | None = None
    inputs: list[RequestInput] = Field(min_length=1)
    outputs: list[RequestOutput] | None = None


class ResponseOutput(BaseModel):
    """An output tensor with flat, row-major data."""

    name: str
    shape: list[int]
    datatype: str
    data: list[Any]


class InferenceResponse(BaseModel):
    """Body answering an inference request."""

    model_name: str
    model_version: str | None = None
    id: str | None = None
    outputs: list[ResponseOutput]


class TensorMetadata(BaseModel):
    """One tensor of the model's signature; -1 marks a dimension of any size."""

    name: str
    datatype: str
    shape: list[int]


class ModelMetadataResponse(BaseModel):
    """Body of GET /v2/models/{name}."""

    name: str
    versions: list[str]
    platform: str
    inputs: list[TensorMetadata]
    outputs: list[TensorMetadata]


class ServerMetadataResponse(BaseModel):
    """Body of GET /v2."""

    name: str
    version: str
    extensions: list[str]


class LiveResponse(BaseModel):
    """Body of GET /v2/health/live."""

    live: bool


class ReadyResponse(BaseModel):
    """Body of GET /v2/health/ready."""

    ready: bool


class ModelReadyResponse(BaseModel):
    """Body of GET /v2/models/{name}/ready."""

    name: str
    ready: bool
