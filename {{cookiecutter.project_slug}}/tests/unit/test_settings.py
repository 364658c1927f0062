"""PredictorSettings: environment variables with the PREDICTOR_ prefix."""

from pathlib import Path

import pytest
from pydantic import ValidationError

from app.settings import PredictorSettings


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


def test_fields_are_documented():
    assert all(field.description for field in PredictorSettings.model_fields.values())


def test_env_example_documents_every_setting_with_its_default():
    env_example = Path(__file__).resolve().parents[2] / ".env.example"
    documented = dict(
        line.removeprefix("# ").split("=", 1)
        for line in env_example.read_text(encoding="utf-8").splitlines()
        if line.startswith("# PREDICTOR_")
    )
    defaults = PredictorSettings.model_construct()
    fields = PredictorSettings.model_fields

    assert set(documented) == {f"PREDICTOR_{name.upper()}" for name in fields}
    for name in fields:
        default = getattr(defaults, name)
        shown = "" if default is None else str(default)
        assert documented[f"PREDICTOR_{name.upper()}"] in {shown, shown.removesuffix(".0")}, name
