"""Load the model a job service runs: blocking, logged, never raising."""

import logging
from collections.abc import Callable

from app.jobs.settings import QueueSettings
from app.model.errors import ModelLoadError
from app.model.runner import ModelRunner
from app.model.source import display_location

logger = logging.getLogger(__name__)


def load_model(
    runner: ModelRunner, settings: QueueSettings, on_loaded: Callable[[str, str], None]
) -> bool:
    """Load `settings.model_uri` into `runner`; log the outcome; True when it loaded."""
    location = display_location(settings.model_uri)
    logger.info("loading model from %s", location, extra={"model_uri": location})
    try:
        metadata = runner.load(
            settings.model_uri,
            expected_sha256=settings.model_sha256,
            timeout_s=settings.model_download_timeout_s,
        )
    except ModelLoadError as error:  # the message says everything; a traceback buries it
        logger.error("model load failed: %s", error, extra={"model_uri": location})
        return False
    on_loaded(metadata.name, metadata.version)
    logger.info(
        "model %s version %s loaded",
        metadata.name,
        metadata.version,
        extra={"model_name": metadata.name, "model_version": metadata.version},
    )
    return True
