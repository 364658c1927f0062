"""Every HTTP role's settings are documented in .env.example, with their defaults."""

from tests.support import assert_env_example_documents, role_settings_classes


def test_env_example_documents_every_setting_with_its_default():
    for settings_class in role_settings_classes():
        prefix = settings_class.model_config.get("env_prefix", "")
        assert_env_example_documents(settings_class, prefix)
