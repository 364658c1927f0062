"""What one call to a backend came to, typed so no strategy confuses two kinds of failure.

- Answered: the model answered (2xx).
- Refused: the model answered that the input is wrong (4xx): the client's input, or an
  earlier step's output, does not fit it. Retrying or falling back would not help.
- Failed: the service failed (timeout, connection refused or reset, 5xx, 408/429, or an
  answer that is not a JSON object). The model never judged the input.
"""

from dataclasses import dataclass
from typing import Any, Literal

FailureReason = Literal["timeout", "unreachable", "error_status", "bad_answer"]


@dataclass(frozen=True)
class Answered:
    """The backend's model answered."""

    backend: str
    status: int
    body: dict[str, Any]
    seconds: float


@dataclass(frozen=True)
class Refused:
    """The backend's model refused the input with a 4xx and a message."""

    backend: str
    status: int
    error: str
    seconds: float

    def describe(self) -> str:
        """One line for an error body."""
        return f"{self.backend} refused the input ({self.status}): {self.error}"


@dataclass(frozen=True)
class Failed:
    """The backend service failed; `detail` says how."""

    backend: str
    reason: FailureReason
    detail: str
    seconds: float

    def describe(self) -> str:
        """One line for an error body."""
        return f"{self.backend} failed: {self.detail}"


Outcome = Answered | Refused | Failed
