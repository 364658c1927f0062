"""Settings every proxy role shares; each role's class adds its endpoints and policies."""

from pydantic import Field

from app.proxy.backends import PoolSettings
from app.settings import ServiceSettings


class ProxySettings(ServiceSettings):
    """Pool, readiness and body limits; subclasses set the env prefix."""

    max_connections: int = Field(default=100, ge=1)
    """Most open connections to each backend; idle ones are kept alive for reuse."""

    keepalive_expiry_s: float = Field(default=30.0, gt=0)
    """How long an idle pooled connection to a backend is kept before it is closed."""

    readiness_timeout_s: float = Field(default=1.0, gt=0)
    """Timeout of each backend readiness check made while answering /v2/health/ready."""

    max_body_bytes: int = Field(default=16 * 1024 * 1024, ge=1024)
    """The largest request body accepted; larger bodies get 413 before being parsed."""

    def pool(self) -> PoolSettings:
        """The connection pool limits for this proxy's backend clients."""
        return PoolSettings(self.max_connections, self.keepalive_expiry_s)
