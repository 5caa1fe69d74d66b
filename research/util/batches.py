"""Lists of up to ``size`` items from any iterable, for the stages that work chunk by chunk."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice
from typing import TypeVar

T = TypeVar("T")

__all__ = ["batched"]


def batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Consecutive lists of ``size`` items (the last may be shorter; none is empty).

    ``itertools.batched`` arrives in Python 3.12 and yields tuples; the stages here append to
    and index these lists, and the package supports 3.11."""
    if size < 1:
        raise ValueError(f"batched: size must be at least 1, not {size}")
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk
