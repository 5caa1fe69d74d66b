"""Sizes in bytes as a config states them (``4GB``, ``500MB``, ``2GiB`` or an integer) and as
people read them. Light on purpose: the config schema imports it before anything heavy."""

from __future__ import annotations

import re
from typing import Any

__all__ = ["format_size", "parse_size"]

_UNITS = {"": 1, "b": 1, "k": 10**3, "kb": 10**3, "m": 10**6, "mb": 10**6, "g": 10**9,
          "gb": 10**9, "t": 10**12, "tb": 10**12, "kib": 2**10, "mib": 2**20, "gib": 2**30,
          "tib": 2**40}
_SIZE = re.compile(r"\s*(\d+(?:\.\d*)?)\s*([a-z]*)\s*", re.IGNORECASE)


def parse_size(value: Any) -> int:
    """Bytes from an integer >= 0 or a string such as ``"500MB"``, ``"4GB"``, ``"2GiB"``."""
    problem = (f"cache.max_size: allowed: a number of bytes >= 0 or a size such as 500MB, "
               f"4GB, 2GiB, got {value!r}")
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ValueError(problem)
    if isinstance(value, int):
        if value < 0:
            raise ValueError(problem)
        return value
    match = _SIZE.fullmatch(value)
    if not match or match.group(2).lower() not in _UNITS:
        raise ValueError(problem)
    return int(float(match.group(1)) * _UNITS[match.group(2).lower()])


def format_size(n: int) -> str:
    for unit, scale in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} B"
