"""The worker's side of the queue: take jobs through the consumer group, then settle them.

Entries stay in the group's pending list from the moment a worker reads them until it
settles them (SETTLE acknowledges and deletes), so a worker killed mid-batch loses
nothing: after the visibility timeout another worker claims its entries (XAUTOCLAIM).
"""

import json
import logging
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import redis
from redis.commands.core import Script
from redis.exceptions import NoScriptError, RedisError, ResponseError

from app.jobs.records import GROUP, JobStatus, QueueKeys
from app.jobs.scripts import HOLD_LEASE, RELEASE_LEASE, SETTLE, START, job_script

logger = logging.getLogger(__name__)

ScriptCall = tuple[Script, list[str], list[str | int]]
"""A script, its keys and its arguments."""


@dataclass(frozen=True)
class Entry:
    """One stream entry: the job it names, and whether it was claimed from another worker."""

    entry_id: str
    job_id: str
    redelivered: bool = False


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
        self._next_claim = 0.0
        self._start = client.register_script(job_script(START))
        self._settle = client.register_script(job_script(SETTLE))

    @property
    def name(self) -> str:
        """This worker's name in the group."""
        return self._config.name

    def ensure_group(self) -> None:
        """Create the group (and the stream) if missing; from id 0: no accepted job is skipped.

        Also loads the scripts, so a batch's pipeline meets NOSCRIPT only after Redis itself
        restarted (see `_run`).
        """
        try:
            self._client.xgroup_create(self._keys.stream, GROUP, id="0", mkstream=True)
        except ResponseError as error:
            if "BUSYGROUP" not in str(error):
                raise
        for script in (self._start, self._settle):
            script.sha = self._client.script_load(script.script)

    def take(self, count: int, *, claim_all: bool = False) -> list[Entry]:
        """Entries to run: stale ones claimed from other workers first, else new ones.

        `claim_all` (fifo, under the lease) claims every pending entry whatever its idle
        time: only one worker is active, so any entry still pending belongs to one that
        stopped, and it must run before anything newer.
        """
        if claim_all or self._claim_due():
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
        if not entries:
            return [], []
        config = self._config
        keys = [self._keys.stream] + [self._keys.job(entry.job_id) for entry in entries]
        args: list[str | int] = [GROUP, config.max_age_ms, config.max_attempts, config.ttl_s]
        args += [config.name] + [entry.entry_id for entry in entries]
        (answers,) = self._run([(self._start, keys, args)])
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
        if not outcomes:
            return 0
        keys = [self._keys.stream]
        args: list[str | int] = [GROUP, self._config.ttl_s]
        for outcome in outcomes:
            entry = outcome.started.entry
            keys.append(self._keys.job(entry.job_id))
            args += [entry.entry_id, *_outcome(outcome)]
        (written,) = self._run([(self._settle, keys, args)])
        return int(written)

    def _run(self, calls: Sequence["ScriptCall"]) -> list[Any]:
        """EVALSHA every call in one round trip.

        Not redis-py's pipelined Script calls: those ask SCRIPT EXISTS before every
        pipeline, a second round trip per batch. A script is loaded only when Redis says
        it lacks it (first use, or a restart), and the pipeline sent again: a NOSCRIPT
        reply means that call did nothing.
        """
        for attempt in range(2):
            with self._client.pipeline(transaction=False) as pipe:
                for script, keys, args in calls:
                    pipe.evalsha(script.sha, len(keys), *keys, *args)
                try:
                    answers: list[Any] = pipe.execute()
                except NoScriptError:
                    if attempt:
                        raise
                    for script in {id(call[0]): call[0] for call in calls}.values():
                        script.sha = self._client.script_load(script.script)
                    continue
            return answers
        raise AssertionError("unreachable")

    def _claim_due(self) -> bool:
        # Entries go stale no sooner than the visibility timeout: looking for them a few
        # times per timeout finds them in time without a round trip per batch. A walk
        # already under way (cursor not 0-0) goes on at once.
        now = time.monotonic()
        if self._claim_cursor != "0-0" or now >= self._next_claim:
            self._next_claim = now + self._config.visibility_timeout_ms / 4000
            return True
        return False

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
        return [_entry(raw, redelivered=True) for raw in claimed if raw[1]]


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

    @contextmanager
    def kept(self) -> Iterator[None]:
        """Renew the lease every third of its time to live while the block runs: a batch
        slower than the lease must not let a standby take over the jobs it still holds."""
        done = threading.Event()

        def renew() -> None:
            while not done.wait(self._ttl_ms / 3000):
                try:
                    if not self.hold():
                        logger.warning("fifo lease lost to another worker during a batch")
                except RedisError as error:
                    logger.warning("fifo lease not renewed: %s", error)

        renewer = threading.Thread(target=renew, name="fifo-lease", daemon=True)
        renewer.start()
        try:
            yield
        finally:
            done.set()
            renewer.join()


def _entry(raw: Any, *, redelivered: bool = False) -> Entry:  # noqa: ANN401 - untyped reply
    entry_id, fields = raw
    return Entry(entry_id.decode(), fields[b"job"].decode(), redelivered)


def _outcome(outcome: Outcome) -> tuple[str, str]:
    """What SETTLE writes for an outcome: done with the result, retry or failed with the error."""
    if outcome.result is not None:
        return JobStatus.DONE, outcome.result
    return ("retry" if outcome.retry else JobStatus.FAILED), outcome.error or "failed"
