"""Settings of the record predictor (the `PREDICTOR_` prefix, like every predictor role)."""

from pydantic import SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from app.cache.settings import CachedPredictorSettings


class RecordPredictorSettings(CachedPredictorSettings):
    """The predictor answering records by id from a database through a Redis cache.

    Every field is read from `PREDICTOR_<FIELD>`; the cache fields cache records here, not
    answers.
    """

    model_config = SettingsConfigDict(env_prefix="PREDICTOR_")

    database_url: str = "sqlite:///records.db"
    """The record store: sqlite:///path or postgresql://user@host:5432/name."""

    database_password: SecretStr | None = None
    """Password for database_url, kept out of the URL (a Kubernetes or compose secret)."""

    @field_validator("records_uri")
    @classmethod
    def _no_records_file(cls, value: str | None) -> str | None:
        if value is not None:
            raise ValueError(
                "the record predictor reads records from PREDICTOR_DATABASE_URL; "
                "unset PREDICTOR_RECORDS_URI"
            )
        return value

    def password(self) -> str | None:
        """The database password in clear, when one is set."""
        return self.database_password.get_secret_value() if self.database_password else None
