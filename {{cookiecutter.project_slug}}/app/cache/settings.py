"""Settings of the predictor roles that use a Redis cache (the `PREDICTOR_` prefix).

The cached predictor reads `CachedPredictorSettings`; the record predictor extends it with
its data store (app/cache/records/settings.py). Every predictor setting still applies.
"""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from app.settings import PredictorSettings


class CachedPredictorSettings(PredictorSettings):
    """The predictor with a Redis answer cache: every field is read from `PREDICTOR_<FIELD>`."""

    model_config = SettingsConfigDict(env_prefix="PREDICTOR_")

    cache_url: str = "redis://127.0.0.1:6379/0"
    """Redis URL of the cache (redis:// or rediss://, a password as redis://:secret@host)."""

    cache_ttl_s: float = Field(default=300.0, gt=0)
    """How long a cached entry is served, in seconds, before it is computed afresh."""

    cache_timeout_s: float = Field(default=0.25, gt=0)
    """Timeout of each Redis call; past it the request is answered uncached (fail open)."""
