"""The API's side of the queue: accept a job, read one back, measure the backlog."""

import json
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from app.jobs.errors import QueueFullError, QueueUnavailableError
from app.jobs.records import JobRecord, QueueKeys
from app.jobs.scripts import ENQUEUE, job_script

T = TypeVar("T")


@dataclass(frozen=True)
class QueueStats:
    """The backlog: jobs waiting or running, and how long ago the oldest was accepted."""

    depth: int
    oldest_age_s: float


class JobQueue:
    """Jobs in Redis, seen from the API; every Redis failure becomes QueueUnavailableError."""

    def __init__(
        self, client: "aioredis.Redis", keys: QueueKeys, *, ttl_s: int, max_length: int
    ) -> None:
        self._client = client
        self._keys = keys
        self._ttl_s = ttl_s
        self._max_length = max_length
        self._enqueue = client.register_script(job_script(ENQUEUE))

    async def enqueue(self, rows: Sequence[object]) -> str:
        """Store the job and add it to the stream, atomically; return its id."""
        job_id = uuid.uuid4().hex
        keys = [self._keys.job(job_id), self._keys.stream]
        args: list[str | int] = [job_id, json.dumps(rows), self._ttl_s, self._max_length]
        accepted = await self._call(lambda: self._enqueue(keys=keys, args=args))
        if not accepted:
            raise QueueFullError(
                f"the queue holds its maximum of {self._max_length} jobs; retry later"
            )
        return job_id

    async def get(self, job_id: str) -> JobRecord | None:
        """The job's record, or None when unknown or expired from the store."""
        # Every field but the rows: a poll should not carry a large job's input back.
        names = JobRecord.HASH_FIELDS
        values = await self._call(lambda: self._client.hmget(self._keys.job(job_id), names))
        fields: dict[bytes | str, bytes | str] = {
            name: value for name, value in zip(names, values, strict=True) if value
        }
        return JobRecord.from_hash(job_id, fields) if fields else None

    async def stats(self) -> QueueStats:
        """Queue depth and the oldest job's age (0 when empty), by Redis's clock."""

        async def read() -> tuple[int, list[tuple[bytes, object]], tuple[int, int]]:
            async with self._client.pipeline(transaction=False) as pipe:
                pipe.xlen(self._keys.stream)
                pipe.xrange(self._keys.stream, count=1)
                pipe.time()
                depth, first, now = await pipe.execute()
            return depth, first, now

        depth, first, (seconds, micros) = await self._call(read)
        if not first:
            return QueueStats(int(depth), 0.0)
        accepted_ms = int(first[0][0].split(b"-")[0])
        return QueueStats(int(depth), max(0.0, seconds + micros / 1e6 - accepted_ms / 1000))

    async def _call(self, operation: Callable[[], Awaitable[T]]) -> T:
        try:
            return await operation()
        except RedisError as error:
            raise QueueUnavailableError(f"the queue (Redis) is unavailable: {error}") from error
