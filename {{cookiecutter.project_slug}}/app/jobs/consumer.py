"""The worker's side of the queue: take jobs through the consumer group, then settle them.

Entries stay in the group's pending list from the moment a worker reads them until it
settles them (FINISH acknowledges and deletes), so a worker killed mid-batch loses
nothing: after the visibility timeout another worker claims its entries (XAUTOCLAIM).
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import redis
from redis.exceptions import ResponseError

from app.jobs.records import GROUP, JobStatus, QueueKeys
from app.jobs.scripts import FINISH, HOLD_LEASE, RELEASE_LEASE, RETRY, START, job_script


@dataclass(frozen=True)
class Entry:
    """One stream entry: the job it names."""

    entry_id: str
    job_id: str


@dataclass(frozen=True)
class StartedJob:
    """A job this worker now runs: its rows as the client sent them, and which attempt."""

    entry: Entry
    rows: list[Any]
    attempt: int


@dataclass(frozen=True)
class Outcome:
    """How an attempt ended: a result, or an error and whether to try again."""

    started: StartedJob
    result: str | None = None
    error: str | None = None
    retry: bool = False


@dataclass(frozen=True)
class ConsumerConfig:
    """The worker settings the consumer needs."""

    name: str
    visibility_timeout_ms: int
    max_age_ms: int
    max_attempts: int
    ttl_s: int
    block_ms: int


class JobConsumer:
    """One member of the queue's consumer group."""

    def __init__(self, client: "redis.Redis", keys: QueueKeys, config: ConsumerConfig) -> None:
        self._client = client
        self._keys = keys
        self._config = config
        self._claim_cursor = "0-0"
        self._start = client.register_script(job_script(START))
        self._finish = client.register_script(job_script(FINISH))
        self._retry = client.register_script(job_script(RETRY))

    @property
    def name(self) -> str:
        """This worker's name in the group."""
        return self._config.name

    def ensure_group(self) -> None:
        """Create the group (and the stream) if missing; from id 0: no accepted job is skipped."""
        try:
            self._client.xgroup_create(self._keys.stream, GROUP, id="0", mkstream=True)
        except ResponseError as error:
            if "BUSYGROUP" not in str(error):
                raise

    def take(self, count: int, *, claim_all: bool = False) -> list[Entry]:
        """Entries to run: stale ones claimed from other workers first, else new ones.

        `claim_all` (fifo, under the lease) claims every pending entry whatever its idle
        time: only one worker is active, so any entry still pending belongs to one that
        stopped, and it must run before anything newer.
        """
        min_idle = 0 if claim_all else self._config.visibility_timeout_ms
        claimed = self._claim(count, min_idle)
        if claimed:
            return claimed
        try:
            answer: Any = self._client.xreadgroup(
                GROUP,
                self._config.name,
                {self._keys.stream: ">"},
                count=count,
                block=self._config.block_ms,
            )
        except ResponseError as error:
            if "NOGROUP" not in str(error):
                raise
            self.ensure_group()  # Redis lost its data (a restart without persistence)
            return []
        return [_entry(raw) for _stream, entries in answer or [] for raw in entries]

    def start(self, entries: Sequence[Entry]) -> tuple[list[StartedJob], list[str]]:
        """Mark each job running and count the attempt; returns the jobs to run and, for
        the others, what was done instead (expired, failed, a finished duplicate, gone)."""
        config = self._config
        with self._client.pipeline(transaction=False) as pipe:
            for entry in entries:
                args: list[str | int] = [GROUP, entry.entry_id, config.max_age_ms]
                args += [config.max_attempts, config.ttl_s, config.name]
                self._start(keys=self._job_keys(entry), args=args, client=pipe)
            answers: list[list[Any]] = pipe.execute()
        started: list[StartedJob] = []
        skipped: list[str] = []
        for entry, answer in zip(entries, answers, strict=True):
            action = answer[0].decode()
            if action == "run":
                started.append(StartedJob(entry, json.loads(answer[1]), int(answer[2])))
            else:
                skipped.append(action)
        return started, skipped

    def settle(self, outcomes: Sequence[Outcome]) -> int:
        """Write each outcome, in order; returns how many terminal states were written
        (fewer than the finished jobs when a redelivered copy had finished first)."""
        config = self._config
        with self._client.pipeline(transaction=False) as pipe:
            for outcome in outcomes:
                entry = outcome.started.entry
                keys = self._job_keys(entry)
                if outcome.retry:
                    self._retry(keys=keys, args=[outcome.error or ""], client=pipe)
                    continue
                status, field, value = _terminal(outcome)
                finish: list[str | int] = [GROUP, entry.entry_id, status, field, value]
                finish.append(config.ttl_s)
                self._finish(keys=keys, args=finish, client=pipe)
            written: list[int] = pipe.execute()
        return sum(written)

    def _claim(self, count: int, min_idle_ms: int) -> list[Entry]:
        cursor, claimed, *_deleted = self._client.xautoclaim(
            self._keys.stream,
            GROUP,
            self._config.name,
            min_idle_time=min_idle_ms,
            start_id=self._claim_cursor,
            count=count,
        )
        # The cursor walks the pending list across calls, so entries deep in a long list
        # are reached too; 0-0 means the walk is over and the next starts afresh.
        self._claim_cursor = cursor.decode() if isinstance(cursor, bytes) else str(cursor)
        return [_entry(raw) for raw in claimed if raw[1]]

    def _job_keys(self, entry: Entry) -> list[str]:
        return [self._keys.job(entry.job_id), self._keys.stream]


class FifoLease:
    """fifo ordering: the key naming the one active worker, renewed while it works."""

    def __init__(self, client: "redis.Redis", keys: QueueKeys, name: str, ttl_ms: int) -> None:
        self._key = keys.lease
        self._name = name
        self._ttl_ms = ttl_ms
        self._hold = client.register_script(HOLD_LEASE)
        self._release = client.register_script(RELEASE_LEASE)

    def hold(self) -> bool:
        """Take the lease if free, renew it if ours; False while another worker holds it."""
        return bool(self._hold(keys=[self._key], args=[self._name, self._ttl_ms]))

    def release(self) -> None:
        """Give the lease back (on shutdown), if ours."""
        self._release(keys=[self._key], args=[self._name])


def _entry(raw: Any) -> Entry:  # noqa: ANN401 - redis-py's reply is untyped
    entry_id, fields = raw
    return Entry(entry_id.decode(), fields[b"job"].decode())


def _terminal(outcome: Outcome) -> tuple[str, str, str]:
    if outcome.result is not None:
        return JobStatus.DONE, "result", outcome.result
    return JobStatus.FAILED, "error", outcome.error or "failed"
