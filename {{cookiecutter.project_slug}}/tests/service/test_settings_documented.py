"""The predictor's settings are all documented in .env.example, with their defaults."""

from app.settings import PredictorSettings
from tests.support import assert_env_example_documents


def test_env_example_documents_every_setting_with_its_default():
    assert_env_example_documents(PredictorSettings, "PREDICTOR_")
