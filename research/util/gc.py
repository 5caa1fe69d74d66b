"""Pause Python's cyclic garbage collector around allocation-heavy batch work.

Cleaning a corpus allocates millions of small lists, tuples and dicts that live until the
end of the run. Each full collection walks every one of them, and the collector runs
again and again while they are being built: on 20 Newsgroups that cost about a quarter
of the cleaning time. Reference counting still frees everything that is not in a cycle;
the collector is switched back on (as it was) on the way out.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager

__all__ = ["paused_gc"]


@contextmanager
def paused_gc():
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
