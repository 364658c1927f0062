"""Turn core errors and request-parsing failures into `{"error": ...}` responses.

Status codes: 413 batch too large; for bad content 422 on /predict and 400 on the v2
routes (the Open Inference Protocol answers every bad request with 400); 400 for a body
that is not JSON; 404 unknown model; 501 ids sent where no record store is configured;
503 model not loaded yet.
"""

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from app.http.schemas import ErrorResponse
from app.model.errors import (
    BatchTooLargeError,
    InvalidInputError,
    ModelError,
    ModelNotReadyError,
    UnknownModelError,
)
from app.records import NoRecordStoreError

V2_PREFIX = "/v2/"
_NOT_A_JSON_OBJECT = ("model_attributes_type", "dict_type")

logger = logging.getLogger(__name__)


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers on `app`."""
    app.add_exception_handler(ModelError, _model_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _request_validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(HTTPException, _http_exception)  # type: ignore[arg-type]


def documented_errors(descriptions: Mapping[int, str]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for error codes, all with the `{"error": ...}` body."""
    return {
        code: {"model": ErrorResponse, "description": description}
        for code, description in descriptions.items()
    }


def error_response(status_code: int, message: str) -> JSONResponse:
    """The body every error shares."""
    return JSONResponse({"error": message}, status_code=status_code)


async def _model_error(request: Request, error: ModelError) -> JSONResponse:
    status_code = _model_error_status(error, request.url.path)
    if status_code < status.HTTP_500_INTERNAL_SERVER_ERROR:
        logger.info("rejected request: %s", error)
    return error_response(status_code, str(error))


def _model_error_status(error: ModelError, path: str) -> int:
    if isinstance(error, BatchTooLargeError):
        return status.HTTP_413_CONTENT_TOO_LARGE
    if isinstance(error, InvalidInputError):
        return _bad_content_status(path)
    if isinstance(error, UnknownModelError):
        return status.HTTP_404_NOT_FOUND
    if isinstance(error, ModelNotReadyError):
        return status.HTTP_503_SERVICE_UNAVAILABLE
    if isinstance(error, NoRecordStoreError):
        return status.HTTP_501_NOT_IMPLEMENTED
    return status.HTTP_500_INTERNAL_SERVER_ERROR


async def _request_validation_error(
    request: Request, error: RequestValidationError
) -> JSONResponse:
    problems: Sequence[Any] = error.errors()
    if any(problem.get("type") == "json_invalid" for problem in problems):
        detail = problems[0].get("ctx", {}).get("error", "invalid JSON")
        return error_response(status.HTTP_400_BAD_REQUEST, f"the body is not valid JSON: {detail}")
    message = "; ".join(_describe_problem(problem) for problem in problems[:10])
    logger.info("rejected request: %s", message)
    return error_response(_bad_content_status(request.url.path), message)


async def _http_exception(_request: Request, error: HTTPException) -> JSONResponse:
    response = error_response(error.status_code, str(error.detail))
    response.headers.update(error.headers or {})
    return response


def _bad_content_status(path: str) -> int:
    if path.startswith(V2_PREFIX):
        return status.HTTP_400_BAD_REQUEST
    return status.HTTP_422_UNPROCESSABLE_CONTENT


def _describe_problem(problem: Mapping[str, Any]) -> str:
    location = [str(part) for part in problem.get("loc", ()) if part != "body"]
    if not location and problem.get("type") in _NOT_A_JSON_OBJECT:
        # FastAPI hands over raw bytes when the Content-Type is not JSON.
        if isinstance(problem.get("input"), bytes):
            return "the body must be JSON sent with Content-Type: application/json"
        return "the body must be a JSON object"
    where = ".".join(location) or "body"
    return f"{where}: {problem.get('msg', 'invalid value')}"
