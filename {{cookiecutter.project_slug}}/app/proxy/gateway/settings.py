"""GatewaySettings: every field is read from `GATEWAY_<FIELD>`."""

import json
from typing import Any, Literal

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from app.proxy.endpoints import check_url
from app.proxy.settings import ProxySettings

FailurePolicy = Literal["error", "fallback"]

DEFAULT_FALLBACK = '{"label": "unknown", "label_index": -1, "probabilities": {}}'


class GatewaySettings(ProxySettings):
    """The synchronous gateway in front of one predictor."""

    model_config = SettingsConfigDict(env_prefix="GATEWAY_")

    predictor_url: str
    """Base URL of the predictor, e.g. http://predictor:8000 (required, no default)."""

    timeout_s: float = Field(default=1.0, gt=0)
    """The most a prediction may take, connection included; then the failure policy applies."""

    on_failure: FailurePolicy = "error"
    """When the predictor times out or fails: error (504/502) or fallback (the answer below)."""

    fallback_prediction: str = DEFAULT_FALLBACK
    """JSON object answered for each row under the fallback policy, flagged "fallback": true."""

    @field_validator("predictor_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        return check_url(value)

    @field_validator("fallback_prediction")
    @classmethod
    def _json_object(cls, value: str) -> str:
        try:
            parsed = json.loads(value)
        except ValueError as error:
            raise ValueError(f"not valid JSON: {error}") from error
        if not isinstance(parsed, dict):
            raise ValueError("must be a JSON object, e.g. " + DEFAULT_FALLBACK)
        return value

    def fallback(self) -> dict[str, Any]:
        """The fallback prediction for one row."""
        parsed: dict[str, Any] = json.loads(self.fallback_prediction)
        return parsed
