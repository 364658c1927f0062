"""POST /predict: the project's own, friendliest API; POST /predict/by-id for stored records."""

import asyncio
from collections.abc import Sequence

from fastapi import APIRouter, Request, Response

from app.http.composition import AnswerCache, RecordSource
from app.http.errors import documented_errors
from app.http.schemas import (
    FeaturesBody,
    PredictByIdRequest,
    PredictionBody,
    PredictRequest,
    PredictResponse,
    ValueBody,
)
from app.model.runner import Answer, FeaturesPrediction, ModelRunner, Prediction

_ERRORS = documented_errors(
    {
        400: "The body is not valid JSON.",
        413: "More rows than PREDICTOR_MAX_BATCH_SIZE, or a body over PREDICTOR_MAX_BODY_BYTES.",
        422: "A row does not fit the model's signature (or an id is unknown); the message says.",
        501: "No record store is configured (PREDICTOR_RECORDS_URI), so ids cannot be looked up.",
        503: "The model (or the record store) is not loaded yet.",
    }
)


def build_predict_router(
    runner: ModelRunner,
    records: RecordSource,
    delay_s: float = 0.0,
    answer_cache: AnswerCache | None = None,
) -> APIRouter:
    """Routes answering from `runner`, through `answer_cache` when given; ids are looked up
    in `records`.

    `delay_s` (test only) holds every answer back, to rehearse a slow predictor.
    """
    router = APIRouter(tags=["predict"])

    def from_model(predictions: Sequence[Answer]) -> PredictResponse:
        metadata = runner.metadata
        return PredictResponse(
            model_name=metadata.name,
            model_version=metadata.version,
            predictions=[prediction_body(prediction) for prediction in predictions],
        )

    async def answer(rows: Sequence[object], request: Request) -> PredictResponse | Response:
        if answer_cache is None:
            return from_model(runner.predict(rows))
        # The key is the validated matrix, so equal inputs written differently share it.
        matrix = runner.rows_matrix(rows)
        return await answer_cache.respond(
            request.headers,
            runner.metadata,
            matrix,
            lambda: from_model(runner.answer_matrix(matrix)),
        )

    # Runs on the event loop: a small tabular model answers in microseconds, less than the
    # thread-pool hop of a plain `def` costs (about 150 µs a request on 2 cores). A heavy
    # model belongs in `await anyio.to_thread.run_sync(runner.predict, rows)` instead.
    @router.post("/predict", responses=_ERRORS, response_model=PredictResponse)
    async def predict(body: PredictRequest, request: Request) -> PredictResponse | Response:
        """Answer rows given as arrays of feature values or objects keyed by feature name."""
        if delay_s:
            await asyncio.sleep(delay_s)
        return await answer(body.rows, request)

    @router.post("/predict/by-id", responses=_ERRORS, response_model=PredictResponse)
    async def predict_by_id(
        body: PredictByIdRequest, request: Request
    ) -> PredictResponse | Response:
        """Answer records fetched by id from this predictor's record store."""
        if delay_s:
            await asyncio.sleep(delay_s)
        return await answer(await records.rows(body.ids), request)

    return router


def prediction_body(prediction: Answer) -> PredictionBody | ValueBody | FeaturesBody:
    """One row's answer as the API shows it."""
    if isinstance(prediction, Prediction):
        return PredictionBody(
            label=prediction.label,
            label_index=prediction.label_index,
            probabilities=prediction.probabilities,
        )
    if isinstance(prediction, FeaturesPrediction):
        return FeaturesBody(features=prediction.features)
    return ValueBody(value=prediction.value)
