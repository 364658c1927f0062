"""A Redis client that never fails a request: errors become `CacheUnavailableError`.

Callers catch it and answer without the cache. After a failure the client stops calling
Redis for `RETRY_AFTER_S`, so an unreachable server costs one timeout a second, not one
per request; each failure is counted (`predictor_cache_errors_total`) and logged.
"""

import logging
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager

from prometheus_client import CollectorRegistry, Counter
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

RETRY_AFTER_S = 1.0
"""Pause after a failed call before Redis is tried again."""


class CacheUnavailableError(Exception):
    """Redis failed or is being left alone after a failure; answer without the cache."""


class CacheClient:
    """The few Redis calls the caches make, each bounded by `timeout_s` and never retried."""

    def __init__(self, url: str, timeout_s: float, registry: CollectorRegistry) -> None:
        # No retries: a retry multiplies the time a request waits on a failing cache,
        # and the answer does not need the cache.
        self._redis = Redis.from_url(
            url,
            socket_timeout=timeout_s,
            socket_connect_timeout=timeout_s,
            retry=Retry(NoBackoff(), 0),
        )
        self._paused_until = 0.0
        self.errors = Counter(
            "predictor_cache_errors",
            "Redis calls that failed (the request was answered without the cache).",
            ["operation"],
            registry=registry,
        )

    async def get(self, key: str) -> bytes | None:
        """The value at `key`, or None when there is none."""
        async with self._guard("get"):
            value = await self._redis.get(key)
        return _as_bytes(value)

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        """The values at `keys`, in order (None where there is none), in one round trip."""
        async with self._guard("get"):
            values = await self._redis.mget(keys)
        return [_as_bytes(value) for value in values]

    async def put_many(self, values: Mapping[str, bytes], ttl_s: float) -> None:
        """Store every value, each expiring after `ttl_s`, in one round trip."""
        async with self._guard("set"), self._redis.pipeline(transaction=False) as pipeline:
            for key, value in values.items():
                pipeline.set(key, value, px=max(1, round(ttl_s * 1000)))
            await pipeline.execute()

    async def delete(self, key: str) -> None:
        """Remove `key`; removing a missing key is not an error."""
        async with self._guard("delete"):
            await self._redis.delete(key)

    async def close(self) -> None:
        """Close the connections."""
        await self._redis.aclose()

    @asynccontextmanager
    async def _guard(self, operation: str) -> AsyncIterator[None]:
        if time.monotonic() < self._paused_until:
            raise CacheUnavailableError("the cache is paused after a recent Redis error")
        try:
            yield
        except (RedisError, OSError) as error:
            self._paused_until = time.monotonic() + RETRY_AFTER_S
            self.errors.labels(operation).inc()
            logger.warning(
                "cache %s failed, answering without the cache for %.0f s: %s",
                operation,
                RETRY_AFTER_S,
                error,
                extra={"cache_operation": operation},
            )
            raise CacheUnavailableError(f"Redis {operation} failed: {error}") from error


def _as_bytes(value: bytes | str | None) -> bytes | None:
    # The client does not decode responses, so a str never arrives; typed for both.
    return value.encode() if isinstance(value, str) else value
