"""Helpers of the cache tests: a Redis database per test, metrics read from a live service."""

from collections.abc import Iterator

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.redis_server import RedisServer


def fresh_database(server: RedisServer) -> str:
    """The URL of a flushed logical database for one test (RedisServer.fresh_database)."""
    return server.url(server.fresh_database())


def metric(base_url: str, name: str, **labels: str) -> float:
    """The value of the sample `name` with exactly `labels` on a live service (0 if absent)."""
    text = httpx.get(f"{base_url}/metrics", timeout=5.0).text
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name and sample.labels == labels
    )


def keys(server: RedisServer, url: str, pattern: str) -> Iterator[bytes]:
    """Keys matching `pattern` in `url`'s database."""
    db = int(url.rsplit("/", 1)[1])
    return iter(server.client(db).scan_iter(match=pattern))
