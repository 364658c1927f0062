"""One pooled HTTP client per backend: keep-alive, timeouts, request ids, typed outcomes.

The client is aiohttp's: in this project's benchmark it costs about a quarter of the CPU
per call that httpx does (docs/decisions), which is what a fan-out to several backends
from one event loop spends most of its overhead on.
"""

import asyncio
import json as _json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, Protocol

import aiohttp

from app.http.middleware import REQUEST_ID_HEADER
from app.logs import request_id_var
from app.proxy.endpoints import Endpoint
from app.proxy.outcomes import Answered, Failed, FailureReason, Outcome, Refused

# Statuses that say the service is overloaded or timed out, not that the input is wrong.
_SERVICE_STATUSES = frozenset({408, 429})


class BackendObserver(Protocol):
    """Told about every backend call and every new connection: the proxy metrics."""

    def observe_call(self, backend: str, outcome: str, seconds: float) -> None:
        """Record one call: its outcome ("answered", "refused" or a failure reason)."""

    def connection_opened(self, backend: str) -> None:
        """Record one new TCP connection to `backend` (keep-alive reuses connections)."""


@dataclass(frozen=True)
class PoolSettings:
    """Connection pool limits shared by a proxy's backend clients."""

    max_connections: int = 100
    keepalive_expiry_s: float = 30.0


@dataclass(frozen=True)
class _Response:
    status: int
    body: dict[str, Any] | None
    text: str


class Backend:
    """A backend service reached over a pooled keep-alive client; open() before calling."""

    def __init__(self, endpoint: Endpoint, pool: PoolSettings, observer: BackendObserver) -> None:
        self.name = endpoint.name
        self.url = endpoint.url
        self._pool = pool
        self._observer = observer
        self._session: aiohttp.ClientSession | None = None

    async def open(self) -> None:
        """Create the pooled client (in the app's lifespan, on its event loop)."""
        connector = aiohttp.TCPConnector(
            limit=self._pool.max_connections,
            keepalive_timeout=self._pool.keepalive_expiry_s,
        )
        tracing = aiohttp.TraceConfig()
        tracing.on_connection_create_end.append(self._connection_opened)
        self._session = aiohttp.ClientSession(
            base_url=self.url + "/",
            connector=connector,
            trace_configs=[tracing],
            trust_env=False,
        )

    async def close(self) -> None:
        """Close every pooled connection."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def post(
        self,
        path: str,
        timeout_s: float,
        *,
        json: Mapping[str, Any] | None = None,
        content: bytes | None = None,
    ) -> Outcome:
        """POST a JSON body (a mapping, or bytes already encoded) and type the outcome."""
        if json is not None:
            # NaN and Infinity go out as the client sent them: the predictor names them.
            content = _json.dumps(json, separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json"}
        return await self._call("POST", path, timeout_s, headers, content)

    async def get(self, path: str, timeout_s: float) -> Outcome:
        """GET `path` and type the outcome."""
        return await self._call("GET", path, timeout_s, {}, None)

    async def _call(
        self, method: str, path: str, timeout_s: float, headers: dict[str, str], body: bytes | None
    ) -> Outcome:
        request_id = request_id_var.get()
        if request_id is not None:
            headers[REQUEST_ID_HEADER] = request_id
        started = time.perf_counter()
        outcome: Outcome
        try:
            # One deadline for the whole call: connecting, sending, waiting and reading.
            async with asyncio.timeout(timeout_s):
                response = await self._exchange(method, path, headers, body)
        except TimeoutError:
            outcome = self._failed("timeout", f"no answer within {timeout_s:g} s", started)
        except aiohttp.ClientError as error:
            detail = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
            outcome = self._failed("unreachable", f"cannot reach {self.url}: {detail}", started)
        else:
            outcome = self._typed(response, time.perf_counter() - started)
        self._observer.observe_call(self.name, _label(outcome), outcome.seconds)
        return outcome

    async def _exchange(
        self, method: str, path: str, headers: dict[str, str], body: bytes | None
    ) -> _Response:
        session = self._require_session()
        async with session.request(
            method, path.lstrip("/"), headers=headers, data=body, allow_redirects=False
        ) as response:
            raw = await response.read()
        text = raw.decode("utf-8", errors="replace")
        return _Response(response.status, _json_object(text), text)

    def _require_session(self) -> aiohttp.ClientSession:
        if self._session is None:
            raise RuntimeError(f"backend {self.name} is not open")
        return self._session

    async def _connection_opened(
        self, _session: aiohttp.ClientSession, _context: SimpleNamespace, _params: object
    ) -> None:
        self._observer.connection_opened(self.name)

    def _failed(self, reason: FailureReason, detail: str, started: float) -> Failed:
        return Failed(self.name, reason, detail, time.perf_counter() - started)

    def _typed(self, response: _Response, seconds: float) -> Outcome:
        status, body = response.status, response.body
        if 200 <= status < 300:
            if body is None:
                return Failed(self.name, "bad_answer", "the answer is not a JSON object", seconds)
            return Answered(self.name, status, body, seconds)
        if 400 <= status < 500 and status not in _SERVICE_STATUSES:
            error = str(body.get("error", body)) if body is not None else response.text[:200]
            return Refused(self.name, status, error, seconds)
        said = f": {body['error']}" if body is not None and "error" in body else ""
        return Failed(self.name, "error_status", f"answered {status}{said}", seconds)


def _json_object(text: str) -> dict[str, Any] | None:
    try:
        body = _json.loads(text)
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _label(outcome: Outcome) -> str:
    if isinstance(outcome, Answered):
        return "answered"
    if isinstance(outcome, Refused):
        return "refused"
    return outcome.reason
