"""What a role built on the predictor adds to it: `create_app` composes these in.

The cached predictor, the record predictor and the edge server are the standard predictor
plus an answer cache, a record source or the device bundle's routes; they hand their parts
to `app.http.predictor.create_app` instead of copying it, and this module names the shapes
those parts take. It imports nothing of theirs, so the plain predictor carries none of their
code.
"""

from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy.typing as npt
from fastapi import APIRouter, FastAPI, Request, Response
from starlette.datastructures import Headers

from app.http.schemas import PredictResponse
from app.model.metadata import ModelMetadata

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]
ErrorHandler = Callable[[Request, Any], Awaitable[Response]]


class AnswerCache(Protocol):
    """Answers a request from a cache keyed by the model and its validated input."""

    async def respond(
        self,
        headers: Headers,
        metadata: ModelMetadata,
        matrix: npt.NDArray[Any],
        compute: Callable[[], PredictResponse],
    ) -> Response:
        """The cached answer for `matrix` under `metadata`'s model, or `compute()`'s, stored."""


class RecordSource(Protocol):
    """Feature rows looked up by record id, for POST /predict/by-id."""

    @property
    def ready(self) -> bool:
        """True once rows can be looked up (readiness waits for it)."""

    async def rows(self, ids: Sequence[str]) -> list[list[float]]:
        """The rows of `ids`, in order; raises naming every id it does not hold."""


@dataclass(frozen=True)
class PredictorExtension:
    """Parts a role adds to the predictor; every one is optional."""

    answer_cache: AnswerCache | None = None
    """Consulted before the model on /predict and /predict/by-id."""
    record_source: RecordSource | None = None
    """Replaces the PREDICTOR_RECORDS_URI file store behind /predict/by-id."""
    routers: Sequence[APIRouter] = ()
    """Extra routes, served beside the predictor's."""
    error_handlers: Mapping[type[Exception], ErrorHandler] = field(default_factory=dict)
    """Extra exception handlers; a subclass's handler wins over the predictor's for its base."""
    lifespan: Lifespan | None = None
    """Entered while the server runs (open and close clients), inside the predictor's own."""
    ready_for: Callable[[ModelMetadata], bool] | None = None
    """Asked once the model has loaded, with its metadata: whether the role's own parts are
    ready to serve beside that model (readiness waits for a True)."""
