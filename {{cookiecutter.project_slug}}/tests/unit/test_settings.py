"""Settings classes: every role reads its environment variables under its own prefix."""

import importlib
import pkgutil
import re
from pathlib import Path

import pytest
from pydantic import ValidationError

import app
from app.settings import PredictorSettings, ServiceSettings


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


def role_settings_classes() -> list[type[ServiceSettings]]:
    """Every role's settings class this project holds (app/**/settings.py)."""
    found: list[type[ServiceSettings]] = []
    for module_info in pkgutil.walk_packages(app.__path__, "app."):
        if module_info.name.rsplit(".", 1)[-1] != "settings":
            continue
        module = importlib.import_module(module_info.name)
        found += [
            value
            for value in vars(module).values()
            if isinstance(value, type)
            and issubclass(value, ServiceSettings)
            and value.__module__ == module.__name__
            and value.model_config.get("env_prefix")
        ]
    return found


def test_every_role_of_the_project_has_a_settings_class():
    assert PredictorSettings in role_settings_classes()


def test_fields_are_documented():
    for settings_class in role_settings_classes():
        for name, field in settings_class.model_fields.items():
            assert field.description, f"{settings_class.__name__}.{name}"


def _env_form(default: object) -> set[str]:
    shown = "" if default is None else str(default)
    return {shown, shown.removesuffix(".0")}


def test_env_example_documents_every_setting_with_its_default():
    env_example = Path(__file__).resolve().parents[2] / ".env.example"
    documented = dict(
        line.removeprefix("# ").split("=", 1)
        for line in env_example.read_text(encoding="utf-8").splitlines()
        if re.match(r"# [A-Z][A-Z0-9_]+=", line)
    )
    expected: set[str] = set()
    for settings_class in role_settings_classes():
        prefix = settings_class.model_config.get("env_prefix", "")
        defaults = settings_class.model_construct()
        for name, field in settings_class.model_fields.items():
            variable = f"{prefix}{name.upper()}"
            expected.add(variable)
            default = getattr(defaults, name, None) if not field.is_required() else None
            assert documented.get(variable) in _env_form(default), variable

    assert set(documented) == expected
