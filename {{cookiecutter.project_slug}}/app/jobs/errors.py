"""Errors of the queue, turned into 503 answers by the job API."""


class QueueError(Exception):
    """Root of the queue's errors: the job was not accepted, and the client may retry."""


class QueueUnavailableError(QueueError):
    """Redis did not answer (down, unreachable, timed out)."""


class QueueFullError(QueueError):
    """The queue holds its maximum number of jobs."""
