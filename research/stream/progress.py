"""Progress lines for long stages: counts, throughput and time left, at most every few seconds."""

from __future__ import annotations

import time
from collections.abc import Callable

__all__ = ["Progress"]


class Progress:
    """``update(done, fraction)`` logs ``stage: 120,000 documents (12%), 1,350/s, ~11 min left``.

    ``total`` (when known) or ``fraction`` (the share of the input read so far, e.g. bytes of
    a corpus file) gives the share done; without either, only counts and throughput are shown.
    """

    def __init__(self, log: Callable[[str], None], stage: str, total: int | None = None,
                 unit: str = "documents", every: float = 10.0):
        self.log, self.stage, self.total, self.unit, self.every = log, stage, total, unit, every
        self.start = self._last = time.perf_counter()
        self.done = 0

    def update(self, done: int, fraction: float | None = None, force: bool = False) -> None:
        self.done = done
        now = time.perf_counter()
        if not force and now - self._last < self.every:
            return
        self._last = now
        self.log(self.line(now, fraction))

    def line(self, now: float | None = None, fraction: float | None = None) -> str:
        elapsed = max((now or time.perf_counter()) - self.start, 1e-9)
        rate = self.done / elapsed
        share = self.done / self.total if self.total else fraction
        text = f"{self.stage}: {self.done:,} {self.unit}"
        if self.total:
            text += f" of {self.total:,}"
        if share:
            text += f" ({100 * min(share, 1.0):.0f}%)"
        text += f", {rate:,.0f}/s"
        if share and 0 < share < 1:
            text += f", ~{_duration(elapsed * (1 - share) / share)} left"
        return text

    def finish(self) -> None:
        elapsed = time.perf_counter() - self.start
        self.log(f"{self.stage}: {self.done:,} {self.unit} in {_duration(elapsed)} "
                 f"({self.done / max(elapsed, 1e-9):,.0f}/s)")


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
