"""Progress of long stages: a bar on the console (counts, rate, time left) and, for a run's log,
a line with the same at most every few seconds.

One mechanism for both: :class:`Progress` draws a tqdm bar on stderr when
:func:`research.util.console.bars_on` says so (a terminal, or ``--progress``), and calls
``log`` with a line like ``stage: 120,000 documents of 1,000,000 (12%), 1,350/s, ~11 min left``
every ``every`` seconds when a ``log`` is given (streamed runs: ``scale.progress_seconds``).
The bar is redrawn at most :data:`REFRESH` times a second, so updating it per item costs
next to nothing; bars are never written to a log file.

tqdm rather than rich: one small pure-Python package that writes plain carriage-return
lines to a stream, prints log lines around its bars (``tqdm.write``) and rate-limits itself;
rich's live display would take the terminal over with a refresh thread.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from research.util.console import bars_forced, bars_on, current_tag

__all__ = ["REFRESH", "Progress", "Tracked", "progress_iter"]

REFRESH = 0.25          # seconds between redraws of a bar
DELAY = 0.5             # a bar appears once its stage has lasted this long (on a terminal)
T = TypeVar("T")


class Progress:
    """``update(done, fraction)`` for a stage; ``total`` (when known) or ``fraction`` (the
    share of the input read so far, e.g. bytes of a corpus file) gives the share done;
    without either, only counts and throughput are shown. Use as a context manager (or call
    :meth:`close`) so the bar is removed even when the stage fails."""

    def __init__(self, log: Callable[[str], None] | None, stage: str, total: int | None = None,
                 unit: str = "documents", every: float = 10.0):
        self.log, self.stage, self.total, self.unit, self.every = log, stage, total, unit, every
        self.start = self._last = self._drawn = time.perf_counter()
        self.done = 0
        self._bar = _bar(stage, total, unit) if bars_on() else None

    @property
    def drawing(self) -> bool:
        return self._bar is not None

    def update(self, done: int, fraction: float | None = None, force: bool = False) -> None:
        self.done = done
        if self._bar is None and self.log is None:
            return
        now = time.perf_counter()
        if self._bar is not None and (force or now - self._drawn >= REFRESH):
            self._drawn = now
            self._draw(fraction)
        if self.log is None or (not force and now - self._last < self.every):
            return
        self._last = now
        self.log(self.line(now, fraction))

    def advance(self, step: int = 1) -> None:
        self.update(self.done + step)

    def _draw(self, fraction: float | None) -> None:
        bar = self._bar
        assert bar is not None
        if not self.total and fraction and fraction > 0:   # a total estimated from the share read
            bar.total = max(int(self.done / min(fraction, 1.0)), self.done)
        bar.update(self.done - bar.n)

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
        """Remove the bar and (with a ``log``) log the stage's count, time and rate."""
        self.close()
        if self.log is not None:
            elapsed = time.perf_counter() - self.start
            self.log(f"{self.stage}: {self.done:,} {self.unit} in {_duration(elapsed)} "
                     f"({self.done / max(elapsed, 1e-9):,.0f}/s)")

    def close(self) -> None:
        """Show the final count (a fast stage's bar may not have drawn it), then remove the bar."""
        bar, self._bar = self._bar, None
        if bar is not None:
            if self.done != bar.n:
                bar.n = self.done
                bar.refresh()
            bar.close()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class Tracked(Iterator[T]):
    """``items`` unchanged, counted on a bar as they are taken (``fraction()``: the share of the
    input read so far, when the count's total is unknown). The bar goes when the items end or
    at :meth:`close` (the items may still be taken afterwards, uncounted)."""

    def __init__(self, items: Iterable[T], stage: str, total: int | None = None, unit: str = "documents",
                 fraction: Callable[[], float | None] | None = None):
        if total is None and hasattr(items, "__len__"):
            total = len(items)  # type: ignore[arg-type]
        self._items = iter(items)
        self.progress = Progress(None, stage, total, unit)
        self._fraction = fraction

    def __iter__(self) -> Tracked[T]:
        return self

    def __next__(self) -> T:
        try:
            item = next(self._items)
        except BaseException:       # the end, or an error: the bar goes
            self.progress.close()
            raise
        progress = self.progress
        if progress.drawing:
            progress.update(progress.done + 1, self._fraction() if self._fraction else None)
        return item

    def close(self) -> None:
        self.progress.close()


def progress_iter(items: Iterable[T], stage: str, total: int | None = None, unit: str = "documents") -> Iterator[T]:
    """``items`` unchanged, with a bar while they are consumed (no bar: no cost but a check)."""
    return Tracked(items, stage, total, unit) if bars_on() else iter(items)


def _bar(stage: str, total: int | None, unit: str):
    """A bar that disappears when done; on a terminal, only for a stage that lasts over
    :data:`DELAY` seconds (asked for with --progress: every stage's)."""
    from tqdm import tqdm

    tag = current_tag()
    return tqdm(total=total, desc=f"[{tag}] {stage}" if tag else stage, unit=f" {unit}",
                unit_scale=bool(total and total >= 10_000), leave=False, mininterval=REFRESH,
                delay=0 if bars_forced() else DELAY, dynamic_ncols=True, smoothing=0.1)


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
