"""Progress lines for long streamed stages: :class:`research.util.progress.Progress` (one
mechanism for the periodic log lines and the console's progress bars)."""

from __future__ import annotations

from research.util.progress import Progress

__all__ = ["Progress"]
