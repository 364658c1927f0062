"""PreprocessSettings: every field is read from `PREPROCESS_<FIELD>`."""

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from app.model.metadata import SHA256_PATTERN
from app.proxy.endpoints import check_url
from app.proxy.settings import ProxySettings


class PreprocessSettings(ProxySettings):
    """The preprocess service in front of its matching predictor."""

    model_config = SettingsConfigDict(env_prefix="PREPROCESS_")

    model_uri: str = "models/iris-preprocess/transformer.json"
    """Where transformer.json is: a path, file:// or http(s):// URL; metadata.json beside it."""

    model_sha256: str | None = Field(default=None, pattern=SHA256_PATTERN)
    """Optional pin: transformer.json's sha256 must also equal this."""

    model_download_timeout_s: float = Field(default=30.0, gt=0)
    """Timeout of each HTTP request made while downloading the transformer and its metadata."""

    predictor_url: str
    """Base URL of the predictor, e.g. http://predictor:8000 (required, no default)."""

    timeout_s: float = Field(default=1.0, gt=0)
    """The most the predictor's answer may take, connection included."""

    version_check_interval_s: float = Field(default=10.0, gt=0)
    """How long the predictor's model version, read from its v2 metadata, is trusted."""

    max_batch_size: int = Field(default=1024, ge=1)
    """The most rows one request may hold; larger requests get 413."""

    @field_validator("predictor_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        return check_url(value)
