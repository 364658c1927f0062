"""ParallelProxySettings: every field is read from `PARALLEL_PROXY_<FIELD>`."""

from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from app.proxy.endpoints import Endpoint, parse_endpoints
from app.proxy.settings import ProxySettings

TimeoutStrategy = Literal["deadline", "per_backend"]
Aggregation = Literal["all", "vote", "mean"]
DataFetching = Literal["at_proxy", "at_backend"]


class ParallelProxySettings(ProxySettings):
    """The parallel proxy in front of independent predictors."""

    model_config = SettingsConfigDict(env_prefix="PARALLEL_PROXY_")

    backends: str
    """The predictors, name=url pairs, comma-separated (required, no default)."""

    timeout_strategy: TimeoutStrategy = "deadline"
    """deadline: one budget for the whole fan-out; per_backend: each call its own timeout."""

    deadline_s: float = Field(default=1.0, gt=0)
    """The whole fan-out's budget under the deadline strategy; later answers count as late."""

    backend_timeout_s: float = Field(default=1.0, gt=0)
    """Each call's timeout under the per_backend strategy."""

    aggregation: Aggregation = "vote"
    """How answers combine: all (branches only), vote (majority label) or mean (probabilities)."""

    data_fetching: DataFetching = "at_proxy"
    """For requests naming ids: at_proxy looks them up once here, at_backend sends the ids on."""

    records_uri: str | None = None
    """Record store (records.json: path or URL) the proxy looks ids up in (at_proxy)."""

    records_download_timeout_s: float = Field(default=30.0, gt=0)
    """Timeout of the HTTP request that downloads the record store, when it is a URL."""

    @field_validator("backends")
    @classmethod
    def _endpoints(cls, value: str) -> str:
        parse_endpoints(value)
        return value

    @field_validator("records_uri", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return (value.strip() or None) if isinstance(value, str) else value

    def endpoints(self) -> list[Endpoint]:
        """The predictors, in report order."""
        return parse_endpoints(self.backends)

    def call_timeout_s(self) -> float:
        """The time budget the strategy gives: the deadline, or each call's timeout."""
        return self.deadline_s if self.timeout_strategy == "deadline" else self.backend_timeout_s
