"""PredictionCache: whole answers in Redis, keyed by the model and its validated input.

One key per request (not per row): a hit costs exactly one Redis GET, and the stored
bytes are the response body, sent as they are. The key holds the model's name, version and
file hash, so a new model never reads an old model's answers.
"""

import hashlib
import logging
from collections.abc import Callable
from contextlib import suppress
from typing import Any

import numpy as np
import numpy.typing as npt
from fastapi import Response
from prometheus_client import CollectorRegistry, Counter
from starlette.datastructures import Headers

from app.cache.client import CacheClient, CacheUnavailableError
from app.http.schemas import PredictResponse
from app.model.metadata import ModelMetadata

CACHE_HEADER = "X-Cache"
"""Response header saying how the answer was found: hit, miss, bypass or error."""
KEY_FORMAT = "v1"
"""Bumped when the stored body's shape changes, so old entries are never read."""

logger = logging.getLogger(__name__)


class PredictionCacheMetrics:
    """Lookups by outcome, in the predictor's registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.lookups = Counter(
            "predictor_prediction_cache_lookups",
            "Requests by cache outcome: hit, miss, bypass (Cache-Control: no-cache) or "
            "error (Redis failed; answered uncached).",
            ["outcome"],
            registry=registry,
        )
        for outcome in ("hit", "miss", "bypass", "error"):
            self.lookups.labels(outcome)


class PredictionCache:
    """Answers from Redis when it can; otherwise computes, stores and answers (AnswerCache)."""

    def __init__(self, client: CacheClient, ttl_s: float, metrics: PredictionCacheMetrics) -> None:
        self.client = client
        self.ttl_s = ttl_s
        self.metrics = metrics

    async def respond(
        self,
        headers: Headers,
        metadata: ModelMetadata,
        matrix: npt.NDArray[Any],
        compute: Callable[[], PredictResponse],
    ) -> Response:
        """The cached body for `matrix` under this model, or `compute()`'s, then stored."""
        key = prediction_key(metadata, matrix)
        bypass = wants_fresh_answer(headers)
        if not bypass:
            try:
                cached = await self.client.get(key)
            except CacheUnavailableError:
                return self._answer(compute().model_dump_json().encode(), "error")
            if cached is not None:
                return self._answer(cached, "hit")
        body = compute().model_dump_json().encode()
        # A failed store is counted by the client; the answer is good all the same.
        with suppress(CacheUnavailableError):
            await self.client.put_many({key: body}, self.ttl_s)
        return self._answer(body, "bypass" if bypass else "miss")

    def _answer(self, body: bytes, outcome: str) -> Response:
        self.metrics.lookups.labels(outcome).inc()
        return Response(body, media_type="application/json", headers={CACHE_HEADER: outcome})


def prediction_key(metadata: ModelMetadata, matrix: npt.NDArray[Any]) -> str:
    """The key of `matrix`'s answer under this model.

    The matrix is the validated input, so `[5.1, ...]` and `{"sepal_length": 5.1, ...}`
    (or 5 and 5.0) share a key; its shape is hashed too, so rows never merge.
    """
    values = np.ascontiguousarray(matrix, dtype=np.float64)
    digest = hashlib.blake2b(digest_size=16)
    digest.update(repr(values.shape).encode())
    digest.update(values.tobytes())
    model = f"{metadata.name}:{metadata.version}:{metadata.model_sha256[:16]}"
    return f"prediction:{KEY_FORMAT}:{model}:{digest.hexdigest()}"


def wants_fresh_answer(headers: Headers) -> bool:
    """True when the request says `Cache-Control: no-cache` (any case, among directives)."""
    directives = headers.get("cache-control", "")
    return any(part.strip().lower() == "no-cache" for part in directives.split(","))
