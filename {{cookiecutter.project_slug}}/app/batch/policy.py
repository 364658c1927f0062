"""What a run does when records fail: the three policies of the batch pattern."""

from enum import StrEnum


class RetryPolicy(StrEnum):
    """How a run treats failed records."""

    ALL = "all"
    """Results depend on each other: any failure rolls the whole range back and retries it;
    a run that still fails commits nothing."""
    PARTIAL = "partial"
    """Good results are committed as they come; only failed records are retried, each up
    to `max_attempts` times with exponential backoff."""
    NONE = "none"
    """Failures are recorded (prediction_failures) and left for the next scheduled run."""


def backoff_s(attempt: int, base_s: float) -> float:
    """Seconds to wait before `attempt` (2, 3, ...): base, then doubling."""
    return base_s * float(2 ** max(attempt - 2, 0))
