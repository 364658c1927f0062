"""Open Inference Protocol (v2) REST routes: health, metadata and inference."""

from collections.abc import Callable

from fastapi import APIRouter, Response, status

from app import __version__
from app.http.errors import documented_errors
from app.http.schemas import (
    InferenceRequest,
    InferenceResponse,
    LiveResponse,
    ModelMetadataResponse,
    ModelReadyResponse,
    ReadyResponse,
    ResponseOutput,
    ServerMetadataResponse,
    TensorMetadata,
)
from app.model.runner import ModelRunner
from app.model.signature import TensorSpec
from app.model.tensors import InputTensor

SERVER_NAME = "kata-predictor"
PLATFORMS = {"onnx": "onnxruntime_onnx", "sklearn": "sklearn_skops"}
"""The v2 `platform` of each model format: the runtime, then the file format."""

_ERRORS = documented_errors(
    {
        400: "The request does not fit the model's signature; the message names the problem.",
        404: "No model of that name is served here.",
        413: "More rows than PREDICTOR_MAX_BATCH_SIZE, or a body over PREDICTOR_MAX_BODY_BYTES.",
        503: "The model is not loaded yet.",
    }
)


def build_v2_router(runner: ModelRunner, is_ready: Callable[[], bool] | None = None) -> APIRouter:
    """Routes answering from `runner`; `is_ready` overrides readiness (default: model loaded)."""
    check_ready = is_ready or (lambda: runner.ready)
    router = APIRouter(prefix="/v2", tags=["open inference protocol v2"], responses=_ERRORS)

    @router.get("")
    async def server_metadata() -> ServerMetadataResponse:
        """Name and version of this server."""
        return ServerMetadataResponse(name=SERVER_NAME, version=__version__, extensions=[])

    _add_health_routes(router, check_ready)

    @router.get("/models/{name}")
    async def model_metadata(name: str) -> ModelMetadataResponse:
        """The model's versions and tensors."""
        runner.check_model_name(name)
        signature = runner.signature
        return ModelMetadataResponse(
            name=name,
            versions=[runner.metadata.version],
            platform=PLATFORMS[runner.metadata.format],
            inputs=[_tensor_metadata(spec) for spec in signature.inputs],
            outputs=[_tensor_metadata(spec) for spec in signature.outputs],
        )

    @router.get("/models/{name}/ready")
    async def model_ready(name: str) -> ModelReadyResponse:
        """200 when the named model is loaded."""
        runner.check_model_name(name)
        return ModelReadyResponse(name=name, ready=True)

    # On the event loop, as /predict is: see the note there.
    @router.post("/models/{name}/infer", response_model_exclude_none=True)
    async def infer(name: str, request: InferenceRequest) -> InferenceResponse:
        """Run the model on the request's input tensors."""
        runner.check_model_name(name)
        requested = [output.name for output in request.outputs or []]
        outputs = runner.infer(
            [
                InputTensor(item.name, item.datatype, item.shape, item.data)
                for item in request.inputs
            ],
            requested or None,
        )
        return InferenceResponse(
            model_name=name,
            model_version=runner.metadata.version,
            id=request.id,
            outputs=[ResponseOutput(**vars(output)) for output in outputs],
        )

    return router


def build_health_router(is_ready: Callable[[], bool]) -> APIRouter:
    """Only the v2 health routes, for services that serve no model over v2 (the job API)."""
    router = APIRouter(prefix="/v2", tags=["open inference protocol v2"])
    _add_health_routes(router, is_ready)
    return router


def _add_health_routes(router: APIRouter, is_ready: Callable[[], bool]) -> None:
    @router.get("/health/live")
    async def live() -> LiveResponse:
        """The process is up and answering (liveness probe)."""
        return LiveResponse(live=True)

    @router.get("/health/ready")
    async def ready(response: Response) -> ReadyResponse:
        """Ready to serve (readiness probe): the model is loaded, and what else the service
        needs answers; 503 until then."""
        ready_now = is_ready()
        if not ready_now:
            response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
        return ReadyResponse(ready=ready_now)


def _tensor_metadata(spec: TensorSpec) -> TensorMetadata:
    return TensorMetadata(name=spec.name, datatype=spec.datatype, shape=list(spec.shape))
