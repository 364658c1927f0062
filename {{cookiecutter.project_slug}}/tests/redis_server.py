"""A real Redis for the tests: a private `redis-server` on a free port, or REDIS_URL.

Tests never share a database with each other: each one takes a flushed logical database
(`fresh_database`), so keys from one test cannot answer another. On REDIS_URL's server that
means databases 1 to 15 are flushed: point it only at a server the tests may empty.
Install the server with `apt-get install redis-server` (Debian/Ubuntu) or `brew install redis`.
"""

import itertools
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import redis

from tests.support import free_port, wait_until


@dataclass(frozen=True)
class RedisServer:
    """Where a test's Redis answers; `url(db)` names one logical database."""

    host: str
    port: int
    process: subprocess.Popen[bytes] | None = None
    password: str | None = None

    def url(self, db: int = 0) -> str:
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}{self.host}:{self.port}/{db}"

    def fresh_database(self) -> int:
        """A flushed logical database that no test before it in this session took last."""
        # Every Redis has at least 16 databases; 0 is left to whoever else uses the server.
        db = 1 + next(_DATABASES) % 15
        self.client(db).flushdb()
        return db

    def client(self, db: int = 0) -> "redis.Redis":
        return redis.Redis.from_url(self.url(db))

    def kill(self) -> None:
        """SIGKILL a private server (to rehearse an outage); a shared one is left alone."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


_DATABASES = itertools.count()


@contextmanager
def redis_server(work_dir: Path, *, private: bool = False) -> Iterator[RedisServer]:
    """REDIS_URL's server when set (CI services, a developer's own), else a private one.

    `private` always starts one: for a test that kills its Redis.
    """
    given = os.environ.get("REDIS_URL")
    if given and not private:
        client = redis.Redis.from_url(given)
        pool = client.connection_pool.connection_kwargs
        host, port = str(pool.get("host", "127.0.0.1")), int(pool.get("port", 6379))
        yield RedisServer(host, port, password=pool.get("password"))
        return
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError(
            "these tests need Redis: install redis-server (apt-get install redis-server, "
            "brew install redis) or set REDIS_URL to a server they may use"
        )
    port = free_port()
    # No persistence: a test server keeps nothing between runs and never writes to disk.
    command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly"]
    command += ["no", "--dir", str(work_dir), "--databases", "64"]
    log = (work_dir / "redis.log").open("wb")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    server = RedisServer("127.0.0.1", port, process)
    try:
        wait_until(lambda: _answers(server), 10.0, what="redis-server to answer")
        yield server
    finally:
        server.kill()
        log.close()


def _answers(server: RedisServer) -> bool:
    try:
        return bool(server.client().ping())
    except redis.ConnectionError:
        return False
