"""Prometheus metrics of a proxy: its own HTTP traffic and every call to its backends."""

from prometheus_client import Counter, Histogram

from app.http.metrics import HttpMetrics

_BACKEND_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5)


class ProxyMetrics(HttpMetrics):
    """Named after the role (`gateway_http_requests_total`, `gateway_backend_calls_total`)."""

    def __init__(self, prefix: str) -> None:
        super().__init__(prefix)
        self.prefix = prefix
        self.backend_calls = Counter(
            f"{prefix}_backend_calls",
            "Calls to each backend by outcome: answered, refused (4xx: the model judged the "
            "input), or how the service failed (timeout, unreachable, error_status, bad_answer).",
            ["backend", "outcome"],
            registry=self.registry,
        )
        self.backend_duration = Histogram(
            f"{prefix}_backend_call_duration_seconds",
            "Time from sending a call to a backend to having its whole answer (or giving up).",
            ["backend"],
            buckets=_BACKEND_BUCKETS,
            registry=self.registry,
        )
        self.connections = Counter(
            f"{prefix}_backend_connections_opened",
            "New TCP connections to each backend; keep-alive keeps this far below the calls.",
            ["backend"],
            registry=self.registry,
        )

    def observe_call(self, backend: str, outcome: str, seconds: float) -> None:
        """Record one backend call (BackendObserver)."""
        self.backend_calls.labels(backend, outcome).inc()
        self.backend_duration.labels(backend).observe(seconds)

    def connection_opened(self, backend: str) -> None:
        """Record one new connection (BackendObserver)."""
        self.connections.labels(backend).inc()

    def counter(self, name: str, documentation: str, labels: list[str]) -> Counter:
        """A role-specific counter in this registry, named `<prefix>_<name>`."""
        return Counter(f"{self.prefix}_{name}", documentation, labels, registry=self.registry)
