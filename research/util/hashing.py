"""64-bit hashes of byte spans and strings that are the same in every process.

Cleaning compares shingles and template lines across documents handled by different
worker processes, so it cannot use Python's ``hash`` (salted per process). These are
polynomial hashes modulo 2**64, computed for many spans of one byte string at once with
numpy: with prefix sums ``S[j] = sum(b[i] * R**i for i < j)`` (``R`` the inverse of the odd
base ``P`` modulo 2**64), the hash of ``b[s:e]`` is ``(S[e] - S[s]) * P**(e - 1)``, the
same value wherever the span sits. The span length is mixed in at the end. Equal bytes
always give equal values; distinct spans collide with a chance of about 2**-64.
"""

from __future__ import annotations

import numpy as np

__all__ = ["separated_spans", "span_hashes", "string_hashes"]

_BASE = 0x100000001B3                      # the 64-bit FNV prime (odd, so invertible)
_INVERSE = pow(_BASE, -1, 2**64)
_MIX = np.uint64(0x9E3779B97F4A7C15)
_MIX2 = np.uint64(0xBF58476D1CE4E5B9)
_powers: dict[str, np.ndarray] = {"base": np.ones(1, np.uint64), "inverse": np.ones(1, np.uint64)}


def _power_table(n: int) -> tuple[np.ndarray, np.ndarray]:
    """base**i and inverse**i modulo 2**64 for i < n (grown by doubling, kept)."""
    have = len(_powers["base"])
    if have < n:
        size = max(n, 2 * have)
        for name, value in (("base", _BASE), ("inverse", _INVERSE)):
            steps = np.full(size, value, dtype=np.uint64)
            steps[0] = 1
            with np.errstate(over="ignore"):
                _powers[name] = np.cumprod(steps, dtype=np.uint64)
    return _powers["base"], _powers["inverse"]


def span_hashes(data: bytes, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """uint64 hash of ``data[starts[i]:ends[i]]`` for every i (spans must not be empty)."""
    n = len(data)
    base, inverse = _power_table(n + 1)
    values = np.frombuffer(data, dtype=np.uint8).astype(np.uint64) + np.uint64(1)
    prefix = np.zeros(n + 1, dtype=np.uint64)
    with np.errstate(over="ignore"):
        np.cumsum(values * inverse[:n], out=prefix[1:])
        h = (prefix[ends] - prefix[starts]) * base[ends - 1]
        return (h ^ ((ends - starts).astype(np.uint64) * _MIX)) * _MIX2


def separated_spans(raw: np.ndarray, separator: int) -> tuple[np.ndarray, np.ndarray]:
    """(starts, ends) of the fields of byte array ``raw`` between ``separator`` bytes."""
    cuts = np.flatnonzero(raw == separator)
    return np.concatenate(([0], cuts + 1)), np.concatenate((cuts, [len(raw)]))


def string_hashes(strings: list[str]) -> np.ndarray:
    """uint64 hash of each string (none may hold a newline or be empty)."""
    if not strings:
        return np.empty(0, dtype=np.uint64)
    data = "\n".join(strings).encode("utf-8", "surrogatepass")
    return span_hashes(data, *separated_spans(np.frombuffer(data, dtype=np.uint8), 10))
