"""Repeated template lines: segments that recur across one outlet's documents (site
templates, author boxes, donation appeals), found corpus-wide and dropped as
``repeated_line`` (see :mod:`research.clean.furniture` for the rule).

A segment's key is its lowercased words with numbers as 0 (``Join over 240,000 readers`` =
``... 250,000``); keys are hashed to 64 bits and counted per outlet, documents of one
near-duplicate cluster counting once.
"""

from __future__ import annotations

import re
from collections import defaultdict

import numpy as np

from research.clean.furniture import CleanedText
from research.util.hashing import separated_spans, span_hashes, string_hashes

__all__ = ["drop_repeated_segments", "find_repeated_segments", "segment_key_hashes", "segment_keys"]

_DIGITS = re.compile(r"\d+")
_KEY_BYTES = bytes(ord("0") if chr(b).isdigit() else b if chr(b).isalpha() or chr(b) in "_\n"
                   else ord(" ") for b in range(256))
_NON_WORD = re.compile(r"[^\w\n]+")
_ZERO_RUN = re.compile(rb"00+")


def _key_bytes(text: str) -> bytes:
    """Lowercased ``text`` as key characters: words kept, numbers as 0, other characters a
    space (newlines kept); UTF-8."""
    text = text.lower()
    if text.isascii():
        return text.encode().translate(_KEY_BYTES)
    return _DIGITS.sub("0", _NON_WORD.sub(" ", text)).encode("utf-8", "surrogatepass")


def _squeeze(data: bytes) -> np.ndarray:
    """Bytes from :func:`_key_bytes` with runs of 0 and of spaces collapsed and spaces at
    line ends trimmed. The only whitespace bytes there are " " and newline (UTF-8 puts none
    inside a character), so each line's ``split()`` and join do it: 1.5x faster than a
    numpy pass on a chunk's keys, the same bytes."""
    if b"00" in data:
        data = _ZERO_RUN.sub(b"0", data)
    squeezed = b"\n".join([b" ".join(line.split()) for line in data.split(b"\n")])
    return np.frombuffer(squeezed, dtype=np.uint8)


def segment_keys(segments: list[str]) -> list[str | None]:
    """Comparison keys: lowercase words, numbers as 0; None below two words."""
    keys = _squeeze(_key_bytes("\n".join(segments))).tobytes().decode("utf-8", "surrogatepass")
    return [key if " " in key else None for key in keys.split("\n")]


def segment_key_hashes(texts: list[CleanedText]) -> list[np.ndarray]:
    """Per text: 64-bit hashes (:func:`research.util.hashing.span_hashes` of the UTF-8 key, the
    same in every process) of the keys (:func:`segment_keys`) of its kept segments that
    are not None; all texts' keys are made and hashed in one numpy pass."""
    counts, parts = [], []
    for cleaned in texts:
        found = [s for seg in cleaned.lines if seg for s in seg]
        counts.append(len(found))
        if found:
            parts.append(_key_bytes("\n".join(found)))
    if not parts:
        return [np.empty(0, dtype=np.uint64) for _ in texts]
    raw = _squeeze(b"\n".join(parts))
    data = raw.tobytes()
    starts, ends = separated_spans(raw, 10)
    spaces = np.concatenate(([0], np.cumsum(raw == 32)))
    wanted = spaces[ends] > spaces[starts]          # two words or more
    hashes = span_hashes(data, starts[wanted], ends[wanted])
    # text i owns the lines from its predecessors' line total up to its own
    wanted_before = np.concatenate(([0], np.cumsum(wanted)))
    bounds = wanted_before[np.concatenate(([0], np.cumsum(counts)))]
    return [hashes[bounds[i]:bounds[i + 1]] for i in range(len(texts))]


def find_repeated_segments(keys: list[np.ndarray], outlets: list, clusters: list[int],
                           min_docs: int, min_share: float) -> set[tuple]:
    """(outlet, key hash) pairs of segments repeated across an outlet's documents.

    ``keys[i]``: :func:`segment_key_hashes` of document i. A key counts once per
    near-duplicate cluster (``clusters[i]``); it is repeated when it is found in at least
    ``min_docs`` clusters and ``min_share`` of the outlet's clusters."""
    codes: dict = {}
    outlet_code = np.fromiter((codes.setdefault(o, len(codes)) for o in outlets),
                              dtype=np.int64, count=len(outlets))
    cluster = np.asarray(clusters, dtype=np.int64)
    outlet_clusters: dict = defaultdict(set)
    for code, c in zip(outlet_code.tolist(), clusters, strict=True):
        outlet_clusters[code].add(c)
    sizes = np.array([len(outlet_clusters[c]) for c in range(len(codes))], dtype=float)
    counts = np.fromiter(map(len, keys), dtype=np.int64, count=len(keys))
    if not counts.sum():
        return set()
    doc = np.repeat(np.arange(len(keys)), counts)
    key = np.concatenate(keys)
    oc, cl = outlet_code[doc], cluster[doc]
    order = np.lexsort((cl, key, oc))
    oc, key, cl = oc[order], key[order], cl[order]
    new_pair = np.ones(len(key), dtype=bool)
    new_pair[1:] = (oc[1:] != oc[:-1]) | (key[1:] != key[:-1])
    new_cluster = new_pair.copy()
    new_cluster[1:] |= cl[1:] != cl[:-1]
    n_clusters = np.add.reduceat(new_cluster.astype(np.int64), np.flatnonzero(new_pair))
    pair_outlet, pair_key = oc[new_pair], key[new_pair]
    hit = (n_clusters >= min_docs) & (n_clusters >= min_share * sizes[pair_outlet])
    names = list(codes)
    return {(names[o], k) for o, k in zip(pair_outlet[hit].tolist(), pair_key[hit].tolist(), strict=True)}


def drop_repeated_segments(cleaned: CleanedText, outlet, repeated: set[tuple]) -> bool:
    """Remove (in place) the segments of one text that are repeated templates
    (``repeated`` as from :func:`find_repeated_segments`); True when any was removed."""
    removed = False
    for i, segments in enumerate(cleaned.lines):
        if not segments:
            continue
        keys = segment_keys(segments)
        hashes = iter(string_hashes([k for k in keys if k is not None]).tolist())
        kept = []
        for segment, key in zip(segments, keys, strict=True):
            if key is not None and (outlet, next(hashes)) in repeated:
                cleaned.remove(segment, "repeated_line")
                removed = True
            else:
                kept.append(segment)
        cleaned.lines[i] = kept or None
    return removed
