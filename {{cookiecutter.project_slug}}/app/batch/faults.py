"""Test-only fault injection: make chosen records fail, or crash after some chunks.

Off unless one of these variables is set, which only tests and drills should do:
- `FAULT_FAIL_RECORD_IDS=3,17`: those records' features are replaced by NaN before the
  model sees them, so they fail the model's own input validation like bad data would;
- `FAULT_FAIL_ATTEMPTS=1`: ...only on their first N attempts (0, the default: always);
- `FAULT_CRASH_AFTER_CHUNKS=2`: the process dies (exit 137, no clean-up) right after its
  second chunk is written, as if the pod were killed.
"""

import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

logger = logging.getLogger(__name__)

CRASH_EXIT_CODE = 137


@dataclass(frozen=True)
class Faults:
    """Which records fail, on how many attempts, and when the process crashes."""

    fail_record_ids: frozenset[int] = frozenset()
    fail_attempts: int = 0
    crash_after_chunks: int | None = None

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] = os.environ) -> "Faults":
        """Read the FAULT_* variables; a malformed one is a ValueError naming it."""
        ids = environ.get("FAULT_FAIL_RECORD_IDS", "")
        crash = environ.get("FAULT_CRASH_AFTER_CHUNKS", "")
        try:
            faults = cls(
                fail_record_ids=frozenset(int(part) for part in ids.split(",") if part.strip()),
                fail_attempts=int(environ.get("FAULT_FAIL_ATTEMPTS", "0")),
                crash_after_chunks=int(crash) if crash else None,
            )
        except ValueError as error:
            raise ValueError(f"invalid FAULT_* variable: {error}") from error
        if faults.active:
            logger.warning("fault injection is ON: %s", faults)
        return faults

    @property
    def active(self) -> bool:
        """Whether any fault is configured."""
        return bool(self.fail_record_ids) or self.crash_after_chunks is not None

    def corrupt(
        self, record_ids: Sequence[int], matrix: npt.NDArray[np.float64], attempt: int
    ) -> None:
        """Replace the chosen records' features by NaN, in place, on a failing attempt."""
        if not self.fail_record_ids:
            return
        if self.fail_attempts and attempt > self.fail_attempts:
            return
        for index, record_id in enumerate(record_ids):
            if record_id in self.fail_record_ids:
                matrix[index] = np.nan

    def after_chunk(self, chunks_written: int) -> None:
        """Die without clean-up once `crash_after_chunks` chunks are written."""
        if self.crash_after_chunks is not None and chunks_written >= self.crash_after_chunks:
            logger.warning("fault injection: crashing after %d chunks", chunks_written)
            os._exit(CRASH_EXIT_CODE)
