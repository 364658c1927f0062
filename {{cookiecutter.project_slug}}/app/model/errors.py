"""Errors raised by the model core; transports turn them into status codes."""


class ModelError(Exception):
    """Root of every error the model core raises on purpose."""


class ModelLoadError(ModelError):
    """The model or its metadata could not be fetched, verified or opened."""


class ChecksumMismatchError(ModelLoadError):
    """The model's bytes do not hash to the sha256 they were expected to."""


class ModelNotReadyError(ModelError):
    """A prediction was asked for before the model finished loading."""


class UnknownModelError(ModelError):
    """A request named a model this process does not serve."""


class InvalidInputError(ModelError):
    """The request's content does not fit the model's signature."""


class BatchTooLargeError(InvalidInputError):
    """The request holds more rows than the configured maximum batch size."""
