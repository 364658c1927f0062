"""Progress of a long run: records/s and time left, logged every few seconds."""

import logging
import time
from collections.abc import Callable

logger = logging.getLogger(__name__)


class Progress:
    """Counts records done against a known total and logs a line every `interval_s`."""

    def __init__(
        self, total: int, interval_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.total = total
        self.done = 0
        self._interval_s = interval_s
        self._clock = clock
        self._started = clock()
        self._last_report = self._started

    @property
    def elapsed_s(self) -> float:
        """Seconds since the run started."""
        return self._clock() - self._started

    @property
    def per_second(self) -> float:
        """Records per second so far."""
        elapsed = self.elapsed_s
        return self.done / elapsed if elapsed > 0 else 0.0

    def eta_s(self) -> float | None:
        """Seconds left at the current rate; None before anything is done."""
        rate = self.per_second
        return max(self.total - self.done, 0) / rate if rate > 0 else None

    def advance(self, count: int) -> None:
        """Add `count` records done; log a progress line when one is due."""
        self.done += count
        if self._clock() - self._last_report >= self._interval_s:
            self._last_report = self._clock()
            self.report()

    def report(self) -> None:
        """Log where the run is: done/total, percent, records/s, ETA."""
        eta = self.eta_s()
        percent = 100.0 * self.done / self.total if self.total else 100.0
        eta_text = f"{eta:.0f} s" if eta is not None else "unknown"
        logger.info(
            "progress %d/%d records (%.1f%%), %.0f records/s, ETA %s",
            self.done,
            self.total,
            percent,
            self.per_second,
            eta_text,
            extra={
                "done": self.done,
                "total": self.total,
                "records_per_s": round(self.per_second, 1),
                "eta_s": None if eta is None else round(eta, 1),
            },
        )
