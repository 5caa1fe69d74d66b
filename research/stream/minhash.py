"""MinHash signatures and LSH banding for near-duplicate search without all documents at once.

Each document's distinct word 5-shingle hashes (:func:`research.clean.dedup.shingle_entries`)
give :data:`N_PERM` minima of fixed random hash permutations (a multiply-add on 64 bits, the
top 32 bits kept), the same in every process. The signature is cut into :data:`N_BANDS`
bands of :data:`BAND_ROWS` values; two documents whose band hashes agree in some band are a
*candidate* pair, which is then verified with the exact containment of their shingles, as the
in-memory search does. Only the band hashes (8 bytes x :data:`N_BANDS` per document) stay in
memory; the documents' shingles are recomputed for candidates only.

The chance that a pair of Jaccard similarity J becomes a candidate is
``1 - (1 - J**BAND_ROWS)**N_BANDS``: 0.79 at J = 0.5, 0.96 at 0.6, 0.99 at 0.67 (containment
0.8 between documents of equal size); pairs that share one sentence (J ~ 0.02) almost never.
"""

from __future__ import annotations

import numpy as np

__all__ = ["BAND_ROWS", "N_BANDS", "N_PERM", "band_hashes", "candidate_pairs", "signatures"]

N_BANDS = 24
BAND_ROWS = 4
N_PERM = N_BANDS * BAND_ROWS
MAX_BUCKET = 200          # a band value shared by more documents pairs each with the bucket's first only

_RNG = np.random.default_rng(20261202)
_A = _RNG.integers(1, 2**63, size=N_PERM, dtype=np.uint64) | np.uint64(1)
_B = _RNG.integers(0, 2**63, size=N_PERM, dtype=np.uint64)
_ROW_MIX = _RNG.integers(1, 2**63, size=BAND_ROWS, dtype=np.uint64) | np.uint64(1)
_EMPTY = np.uint32(0xFFFFFFFF)


def signatures(hashes: list[np.ndarray]) -> np.ndarray:
    """(documents x N_PERM) uint32 MinHash signatures; a document without shingles gets all
    ones (it is never a near-duplicate candidate: the caller leaves such documents out)."""
    n = len(hashes)
    sig = np.full((n, N_PERM), _EMPTY, dtype=np.uint32)
    lengths = np.fromiter(map(len, hashes), dtype=np.int64, count=n)
    has = np.flatnonzero(lengths)
    if not has.size:
        return sig
    flat = np.concatenate([hashes[i] for i in has]).astype(np.uint64, copy=False)
    starts = np.concatenate(([0], np.cumsum(lengths[has])[:-1]))
    with np.errstate(over="ignore"):
        for k in range(N_PERM):
            values = ((flat * _A[k] + _B[k]) >> np.uint64(32)).astype(np.uint32)
            sig[has, k] = np.minimum.reduceat(values, starts)
    return sig


def band_hashes(sig: np.ndarray) -> np.ndarray:
    """(documents x N_BANDS) uint64: each band's BAND_ROWS values mixed into one hash."""
    rows = sig.astype(np.uint64).reshape(sig.shape[0], N_BANDS, BAND_ROWS)
    with np.errstate(over="ignore"):
        mixed = (rows * _ROW_MIX).sum(axis=2, dtype=np.uint64)
        return mixed ^ (mixed >> np.uint64(29))


def candidate_pairs(bands: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Distinct (i, j) pairs, i < j, of ``rows`` (document indices) that share a band value;
    an (m, 2) int64 array sorted by (i, j)."""
    found = []
    for b in range(bands.shape[1]):
        values = bands[rows, b]
        order = np.argsort(values, kind="stable")
        sorted_values, members = values[order], rows[order]
        same = sorted_values[1:] == sorted_values[:-1]
        if not same.any():
            continue
        starts = np.flatnonzero(np.concatenate(([True], ~same)))
        sizes = np.diff(np.append(starts, len(sorted_values)))
        for start, size in zip(starts[sizes > 1].tolist(), sizes[sizes > 1].tolist(), strict=True):
            group = np.sort(members[start:start + size])
            if size > MAX_BUCKET:
                found.append(np.column_stack((np.full(size - 1, group[0]), group[1:])))
                continue
            i, j = np.triu_indices(size, k=1)
            found.append(np.column_stack((group[i], group[j])))
    if not found:
        return np.empty((0, 2), dtype=np.int64)
    pairs = np.unique(np.concatenate(found).astype(np.int64), axis=0)
    return pairs
