"""The forward strategy: one call to the predictor, and a policy for when it fails.

A refusal (4xx: the input is wrong) is passed through under either policy, since no
fallback answer would be right for bad input. Only a service failure (timeout,
unreachable, 5xx) triggers the policy: `error` answers 504/502 naming the failure,
`fallback` answers the configured prediction for every row, flagged `"fallback": true`.
"""

import logging
from typing import Any

from fastapi.responses import JSONResponse
from prometheus_client import Counter

from app.proxy.backends import Backend
from app.proxy.errors import model_answered, service_failed
from app.proxy.gateway.settings import GatewaySettings
from app.proxy.outcomes import Answered, Failed, Refused

logger = logging.getLogger(__name__)


class Forward:
    """Forwards /predict bodies to the predictor and applies the failure policy."""

    def __init__(self, backend: Backend, settings: GatewaySettings, fallbacks: Counter) -> None:
        self._backend = backend
        self._timeout_s = settings.timeout_s
        self._policy = settings.on_failure
        self._fallback = settings.fallback()
        self._fallbacks = fallbacks

    async def predict(self, body: bytes, rows: int) -> JSONResponse:
        """The predictor's answer, its refusal, or the policy's answer to its failure."""
        outcome = await self._backend.post("/predict", self._timeout_s, content=body)
        if isinstance(outcome, Answered):
            return JSONResponse({**outcome.body, "fallback": False})
        if isinstance(outcome, Refused):
            raise model_answered(outcome)
        return self._on_failure(outcome, rows)

    def _on_failure(self, failure: Failed, rows: int) -> JSONResponse:
        if self._policy == "error":
            raise service_failed(failure)
        self._fallbacks.labels(failure.reason).inc()
        logger.warning("answering with the fallback: %s", failure.describe())
        return JSONResponse(self._fallback_answer(failure, rows))

    def _fallback_answer(self, failure: Failed, rows: int) -> dict[str, Any]:
        return {
            "model_name": None,
            "model_version": None,
            "predictions": [self._fallback] * rows,
            "fallback": True,
            "fallback_reason": failure.describe(),
        }
