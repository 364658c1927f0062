"""Backend endpoints and per-backend options as environment values.

Lists use one syntax everywhere: `name=value` pairs separated by commas, e.g.
`step-1=http://step-1:8000,step-2=http://step-2:8000`. Order is kept: it is the call order
of a chain and the report order of a fan-out.
"""

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

_NAME = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?")


@dataclass(frozen=True)
class Endpoint:
    """One backend: the name used in reports, logs and metrics, and its base URL."""

    name: str
    url: str


def check_url(url: str) -> str:
    """`url` without a trailing slash; ValueError unless it is an http(s) URL with a host."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{url!r} is not an http:// or https:// URL with a host")
    return url.strip().rstrip("/")


def parse_pairs(value: str) -> list[tuple[str, str]]:
    """`a=1,b=2` -> [("a", "1"), ("b", "2")]; names must be unique DNS-style labels."""
    pairs: list[tuple[str, str]] = []
    for item in (part.strip() for part in value.split(",")):
        if not item:
            continue
        name, separator, setting = (part.strip() for part in item.partition("="))
        if not separator or not setting:
            raise ValueError(f"{item!r} is not name=value")
        if not _NAME.fullmatch(name):
            raise ValueError(f"{name!r} is not a name: use lower-case letters, digits and '-'")
        if name in dict(pairs):
            raise ValueError(f"{name!r} appears twice")
        pairs.append((name, setting))
    return pairs


def parse_endpoints(value: str) -> list[Endpoint]:
    """`name=url,...` -> endpoints in order; ValueError naming the first bad entry."""
    endpoints = [Endpoint(name, check_url(url)) for name, url in parse_pairs(value)]
    if not endpoints:
        raise ValueError("no endpoints: give name=http://host:port, comma-separated")
    return endpoints


def parse_names(value: str) -> list[str]:
    """`a,b` -> ["a", "b"] (empty entries dropped)."""
    return [name.strip() for name in value.split(",") if name.strip()]
