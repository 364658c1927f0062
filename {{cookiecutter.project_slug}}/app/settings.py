"""Settings of each service role, read from the environment (one class per role).

`ServiceSettings` holds what every role shares; each role's class adds its own fields under
its own prefix. The predictor's class lives here; the proxy roles keep theirs beside their
code (app/proxy/*/settings.py, app/preprocess/settings.py), so a project that does not run
a role does not carry its settings either.
"""

import os
from collections.abc import Mapping
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.model.metadata import SHA256_PATTERN

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]


class ServiceSettings(BaseSettings):
    """Fields and checks every role shares; subclasses set `env_prefix`."""

    model_config = SettingsConfigDict(use_attribute_docstrings=True, extra="forbid")

    log_level: LogLevel = "INFO"
    """Level of the JSON log lines written to stdout."""

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_case_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("model_sha256", mode="before", check_fields=False)
    @classmethod
    def _lower_case_sha256(cls, value: object) -> object:
        # For the roles that load a pinned file. An empty variable (as compose passes
        # `${VAR:-}`) means "no pin".
        if isinstance(value, str):
            return value.strip().lower() or None
        return value

    @classmethod
    def unknown_variables(cls, environ: Mapping[str, str] = os.environ) -> list[str]:
        """Variables with this role's prefix that set no field: most likely typos."""
        prefix = cls.model_config.get("env_prefix", "")
        known = {f"{prefix}{name}".upper() for name in cls.model_fields}
        return sorted(
            key for key in environ if key.upper().startswith(prefix) and key.upper() not in known
        )


class PredictorSettings(ServiceSettings):
    """The HTTP predictor: every field is read from `PREDICTOR_<FIELD>`."""

    model_config = SettingsConfigDict(env_prefix="PREDICTOR_")

    model_uri: str = "models/model.onnx"
    """Where model.onnx is: a path, file:// or http(s):// URL; metadata.json is its sibling."""

    model_sha256: str | None = Field(default=None, pattern=SHA256_PATTERN)
    """Optional pin: the model's sha256 must also equal this (64 lower-case hex digits)."""

    max_batch_size: int = Field(default=1024, ge=1)
    """The most rows one request may hold; larger requests get 413."""

    max_body_bytes: int = Field(default=16 * 1024 * 1024, ge=1024)
    """The largest request body accepted; larger bodies get 413 before being parsed."""

    model_download_timeout_s: float = Field(default=30.0, gt=0)
    """Timeout of each HTTP request made while downloading the model and its metadata."""

    inference_threads: int = Field(default=1, ge=1)
    """ONNX Runtime threads per model call: 1 suits small models; large batches may gain."""

    records_uri: str | None = None
    """Record store (records.json: path or URL) for POST /predict/by-id; unset: ids get 501."""

    test_delay_s: float = Field(default=0.0, ge=0, le=60)
    """Test only: hold every prediction back this long, to rehearse a slow predictor. Keep 0."""

    @field_validator("records_uri", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return (value.strip() or None) if isinstance(value, str) else value
