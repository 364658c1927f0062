"""Settings classes: every role reads its environment variables under its own prefix."""

import pytest
from pydantic import ValidationError

from app.settings import PredictorSettings
from tests.support import role_settings_classes


def test_defaults():
    settings = PredictorSettings()

    assert settings.model_uri == "models/model.onnx"
    assert settings.model_sha256 is None
    assert settings.max_batch_size == 1024
    assert settings.log_level == "INFO"


def test_reads_prefixed_environment_variables(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("PREDICTOR_MODEL_URI", "https://models.example.com/model.onnx")
    monkeypatch.setenv("PREDICTOR_MAX_BATCH_SIZE", "64")
    monkeypatch.setenv("PREDICTOR_MODEL_SHA256", "AB" * 32)
    monkeypatch.setenv("PREDICTOR_LOG_LEVEL", "debug")

    settings = PredictorSettings()

    assert settings.model_uri == "https://models.example.com/model.onnx"
    assert settings.max_batch_size == 64
    assert settings.model_sha256 == "ab" * 32
    assert settings.log_level == "DEBUG"


def test_empty_checksum_means_no_pin(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("PREDICTOR_MODEL_SHA256", "")

    assert PredictorSettings().model_sha256 is None


@pytest.mark.parametrize(
    ("field", "value"),
    [("model_sha256", "abc"), ("max_batch_size", 0), ("log_level", "LOUD")],
)
def test_invalid_values_are_refused(field: str, value: object):
    with pytest.raises(ValidationError, match=field):
        PredictorSettings(**{field: value})


def test_unknown_prefixed_variables_are_reported():
    environ = {"PREDICTOR_MODLE_URI": "x", "PREDICTOR_MODEL_URI": "y", "HOME": "/root"}

    assert PredictorSettings.unknown_variables(environ) == ["PREDICTOR_MODLE_URI"]


def test_every_role_of_the_project_has_a_settings_class():
    # The predictor's own, or a predictor role's that extends it (the cached predictors).
    assert any(issubclass(found, PredictorSettings) for found in role_settings_classes())


def test_fields_are_documented():
    for settings_class in role_settings_classes():
        for name, field in settings_class.model_fields.items():
            assert field.description, f"{settings_class.__name__}.{name}"
