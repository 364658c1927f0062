"""The worker's probe and metrics endpoints: a small threaded HTTP server beside the loop.

The same paths and bodies as the HTTP services (`/v2/health/live`, `/v2/health/ready`,
`/metrics`), so probes and scrapers treat every role alike.
"""

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest


class HealthServer:
    """Serves liveness (always), readiness (`is_ready()`) and `registry` on `port`."""

    def __init__(
        self, host: str, port: int, is_ready: Callable[[], bool], registry: CollectorRegistry
    ) -> None:
        members = {"is_ready": staticmethod(is_ready), "registry": registry}
        handler = type("HealthHandler", (_HealthHandler,), members)
        self._server = ThreadingHTTPServer((host, port), handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> None:
        """Answer in a background thread."""
        self._thread.start()

    def stop(self) -> None:
        """Stop answering and free the port."""
        self._server.shutdown()
        self._server.server_close()


class _HealthHandler(BaseHTTPRequestHandler):
    is_ready: Callable[[], bool]
    registry: CollectorRegistry

    def do_GET(self) -> None:
        if self.path == "/v2/health/live":
            self._json(200, {"live": True})
        elif self.path == "/v2/health/ready":
            ready = self.is_ready()
            self._json(200 if ready else 503, {"ready": ready})
        elif self.path == "/metrics":
            self._send(200, generate_latest(self.registry), CONTENT_TYPE_LATEST)
        else:
            self._json(404, {"error": f"no route {self.path}"})

    def log_message(self, format: str, *args: object) -> None:
        pass  # probes every few seconds would drown the log

    def _json(self, status: int, body: dict[str, Any]) -> None:
        self._send(status, json.dumps(body).encode(), "application/json")

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
