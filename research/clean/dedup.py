"""Exact and near-duplicate documents, and paragraphs repeated inside one document.

Documents
    Each text becomes its set of word 5-shingles (lowercased words of letters/digits).
    Identical word sequences are ``exact`` duplicates (similarity 1.0). For the rest, the
    similarity of two documents is the containment ``|A∩B| / min(|A|, |B|)``, so a page
    that holds a whole report plus an unrelated one still matches the clean report.
    It scales without a Python loop over pairs: shingles are hashed to 64-bit integers
    (a polynomial hash of their bytes, vectorised in numpy and the same in every process,
    see :mod:`research.util.hashing`), the documents x
    shingles incidence is a sparse matrix, shingles in more than
    ``max(100, 1% of documents)`` documents (quoted boilerplate, signatures) are dropped,
    so are shingles in one document only (they cannot be shared), and ``X·Xᵀ`` is
    computed in row blocks, keeping only pairs at or above the threshold. Documents with
    fewer than :data:`MIN_SHINGLES` shingles are only compared exactly.
    Quoted e-mail/forum lines (starting with ``>``, ``|``, ``:``, ``=``, ``}`` or
    ``name>``) are left out of the shingles: a reply that quotes a whole earlier post is
    not a copy of it.
    Which copy goes: documents are visited in input order and one is a duplicate of the
    most similar *kept* earlier document it matches, so of a chain A~B~C with A and C
    unlike, only B is dropped.

Paragraphs
    Paragraphs are runs of lines split at blank (or removed) lines and after a line that
    ends a sentence. A paragraph of at least :data:`MIN_PARAGRAPH_WORDS` words repeats an
    earlier one when the share of its word 3-shingles found in that earlier paragraph
    reaches the threshold. Shorter shingles than for documents, because a one-word edit
    in a 25-word paragraph already breaks 5 of its 21 5-shingles; the share is taken of
    the *later* paragraph, which is the one that would be removed.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import numpy as np

from research.util.hashing import separated_spans, span_hashes

__all__ = [
    "MIN_SHINGLES",
    "SHINGLE_SIZE",
    "DuplicatePair",
    "ShingleCache",
    "assign_duplicates",
    "cluster_labels",
    "find_duplicates",
    "repeated_paragraphs",
    "shingle_entries",
    "shingle_hashes",
    "words",
]

SHINGLE_SIZE = 5
MIN_SHINGLES = 5
MIN_PARAGRAPH_WORDS = 8
BLOCK_ROWS = 1000
_WORD = re.compile(r"[^\W_]+")
_ASCII_WORD = re.compile(r"[a-z0-9]+")   # _WORD on lowercased ASCII text
_ASCII_WORD_BYTES = bytes(b if chr(b).isalnum() and b < 128 else 32 for b in range(256))
_QUOTED = re.compile(r"\n[ \t]*(?:[>|:=}]|\w{1,10}>)[^\n]*")


@dataclass(frozen=True)
class DuplicatePair:
    a: int            # index of the earlier document
    b: int            # index of the later document
    similarity: float
    kind: str         # exact | near


def words(text: str) -> list[str]:
    text = text.lower()
    return (_ASCII_WORD if text.isascii() else _WORD).findall(text)


def _spans(word_lists: list[list[bytes]], k: int) -> list[np.ndarray]:
    """The k-shingle hashes of each list of UTF-8 words, hashed in one numpy pass."""
    counts = np.fromiter(map(len, word_lists), dtype=np.int64, count=len(word_lists))
    n_shingles = np.maximum(counts - k + 1, 0)
    if not n_shingles.any():
        return [np.empty(0, dtype=np.uint64) for _ in word_lists]
    data = b" ".join([w for ws in word_lists for w in ws])
    starts, ends = separated_spans(np.frombuffer(data, dtype=np.uint8), 32)   # words hold no space
    first_word = np.concatenate(([0], np.cumsum(counts)[:-1]))
    offsets = np.concatenate(([0], np.cumsum(n_shingles)))
    # word index of each shingle's first word: first_word[d] + 0, 1, ... per document d
    first = np.repeat(first_word - offsets[:-1], n_shingles) + np.arange(offsets[-1])
    hashes = span_hashes(data, starts[first], ends[first + k - 1])
    return [hashes[offsets[d]:offsets[d + 1]] for d in range(len(word_lists))]


def _distinct(arrays: list[np.ndarray]) -> list[np.ndarray]:
    """Each array sorted without repeats, in one numpy pass over all of them."""
    counts = np.fromiter(map(len, arrays), dtype=np.int64, count=len(arrays))
    if not counts.sum():
        return arrays
    values = np.concatenate([np.sort(a) for a in arrays])
    owner = np.repeat(np.arange(len(arrays)), counts)
    first = np.ones(len(values), dtype=bool)
    first[1:] = (values[1:] != values[:-1]) | (owner[1:] != owner[:-1])
    values, ends = values[first], np.cumsum(np.bincount(owner[first], minlength=len(arrays)))
    return [values[end - n:end] for n, end in zip(np.diff(ends, prepend=0).tolist(), ends.tolist(), strict=True)]


def shingle_hashes(word_list: list[str], k: int = SHINGLE_SIZE) -> np.ndarray:
    """64-bit hashes of the word k-shingles of one text (possibly repeated), the same in
    every process (a 64-bit collision, about 1 in 10^12 per pair, is the only error)."""
    return _spans([[w.encode("utf-8", "surrogatepass") for w in word_list]], k)[0]


def _exact_groups(keys: list[bytes]) -> tuple[list[DuplicatePair], list[int]]:
    """Pairs (first, copy) of identical word sequences (equal digests); indices of the
    first copies."""
    first: dict[bytes, int] = {}
    pairs, unique = [], []
    for i, key in enumerate(keys):
        if key and key in first:
            pairs.append(DuplicatePair(first[key], i, 1.0, "exact"))
            continue
        first.setdefault(key, i)
        unique.append(i)
    return pairs, unique


def _shared_shingles(hashes: list[np.ndarray]):
    """(binary documents x shingles CSR matrix of the shingles that can be shared, i.e. in
    2+ documents but not common; each document's number of non-common shingles).

    ``hashes[i]``: document i's distinct shingle hashes. Shingles in more than
    ``max(100, 1% of documents)`` documents are common; shingles in one document cannot
    be shared and are left out of the matrix (most of them), but count in the sizes."""
    import scipy.sparse as sp  # here: cleaning workers import this module, not scipy

    n = len(hashes)
    lengths = np.fromiter(map(len, hashes), dtype=np.int64, count=n)
    all_h = np.concatenate(hashes) if n else np.empty(0, dtype=np.uint64)
    docs = np.repeat(np.arange(n, dtype=np.int32), lengths)
    _, column, df = np.unique(all_h, return_inverse=True, return_counts=True)
    column = column.ravel()
    common = df > max(100, 0.01 * n)
    sizes = np.bincount(docs[~common[column]], minlength=n)
    wanted = (df > 1) & ~common
    new_column = np.cumsum(wanted) - 1
    keep = wanted[column]
    shared = sp.csr_matrix((np.ones(int(keep.sum()), dtype=np.int32),
                            (docs[keep], new_column[column[keep]])),
                           shape=(n, int(wanted.sum())))
    return shared, sizes


def _near_pairs(hashes: list[np.ndarray], rows: list[int], threshold: float) -> list[DuplicatePair]:
    """Pairs of documents (``rows`` gives their indices) whose containment reaches
    ``threshold``, from the shingles they share, in blocks of :data:`BLOCK_ROWS` rows."""
    shared, sizes = _shared_shingles(hashes)
    shared_t = shared.T.tocsr()
    pairs = []
    for start in range(0, shared.shape[0], BLOCK_ROWS):
        block = (shared[start:start + BLOCK_ROWS] @ shared_t).tocoo()
        i, j = block.row + start, block.col
        keep = j > i
        i, j, inter = i[keep], j[keep], block.data[keep]
        smaller = np.minimum(sizes[i], sizes[j])
        sim = inter / np.maximum(smaller, 1)
        hit = (sim >= threshold) & (smaller >= MIN_SHINGLES)
        pairs += [DuplicatePair(rows[a], rows[b], round(float(s), 4), "near")
                  for a, b, s in zip(i[hit], j[hit], sim[hit], strict=True)]
    return pairs


def _utf8_words(text: str) -> list[bytes]:
    """:func:`words` as UTF-8 (for ASCII text by byte translation, the same words)."""
    if text.isascii():
        return text.lower().encode().translate(_ASCII_WORD_BYTES).split()
    return [w.encode("utf-8", "surrogatepass") for w in words(text)]


def shingle_entries(texts: list[str]) -> list[tuple[bytes, np.ndarray]]:
    """Per text: (a 128-bit digest of its word sequence, b"" when it has no words; the
    distinct hashes of its shingles (:func:`shingle_hashes`), sorted, quoted lines left
    out)."""
    digests, own_words = [], []
    for text in texts:
        ws = _utf8_words(text)
        quoted = _QUOTED.search("\n" + text) is not None
        own_words.append(_utf8_words(_QUOTED.sub("\n", "\n" + text)) if quoted else ws)
        digests.append(hashlib.blake2b(b" ".join(ws), digest_size=16).digest() if ws else b"")
    return list(zip(digests, _distinct(_spans(own_words, SHINGLE_SIZE)), strict=True))


class ShingleCache:
    """:func:`shingle_entries` per text, reused when the same text comes again."""

    def __init__(self, entries: dict[str, tuple[bytes, np.ndarray]] | None = None):
        self._entries = dict(entries or {})

    def get_many(self, texts: list[str]) -> list[tuple[bytes, np.ndarray]]:
        missing = list(dict.fromkeys(t for t in texts if t not in self._entries))
        self._entries.update(zip(missing, shingle_entries(missing), strict=True))
        return [self._entries[t] for t in texts]

    def get(self, text: str) -> tuple[bytes, np.ndarray]:
        return self.get_many([text])[0]


def find_duplicates(texts: list[str], threshold: float,
                    cache: ShingleCache | None = None) -> list[DuplicatePair]:
    """All exact and near-duplicate pairs (a earlier than b), sorted by (a, b)."""
    cache = cache or ShingleCache()
    entries = cache.get_many(texts)
    pairs, unique = _exact_groups([e[0] for e in entries])
    if len(unique) > 1:
        pairs += _near_pairs([entries[i][1] for i in unique], unique, threshold)
    return sorted(pairs, key=lambda p: (p.a, p.b))


def assign_duplicates(n: int, pairs: list[DuplicatePair],  # noqa: ARG001
                      drop: bool = True) -> dict[int, DuplicatePair]:
    """Later document -> the pair linking it to its most similar kept earlier document.

    With ``drop`` False every document stays, so any earlier document may be chosen.
    """
    by_later: dict[int, list[DuplicatePair]] = {}
    for pair in pairs:
        by_later.setdefault(pair.b, []).append(pair)
    chosen: dict[int, DuplicatePair] = {}
    for b in sorted(by_later):
        candidates = [p for p in by_later[b] if not (drop and p.a in chosen)]
        if candidates:
            chosen[b] = max(candidates, key=lambda p: (p.similarity, -p.a))
    return chosen


def cluster_labels(n: int, pairs: list[DuplicatePair]) -> list[int]:
    """Connected components of the duplicate graph, labelled by their first member."""
    parent = list(range(n))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for pair in pairs:
        ra, rb = root(pair.a), root(pair.b)
        parent[max(ra, rb)] = min(ra, rb)
    return [root(i) for i in range(n)]


def _paragraph_shingles(text: str) -> frozenset | None:
    """The word 3-shingles of a paragraph of 8+ words (else None), words as UTF-8
    (:func:`_utf8_words`: for ASCII text a byte translation, 2x faster than the regex)."""
    if text.count(" ") + 1 < MIN_PARAGRAPH_WORDS:
        return None
    ws = _utf8_words(text)
    if len(ws) < MIN_PARAGRAPH_WORDS:
        return None
    return frozenset(zip(ws, ws[1:], ws[2:], strict=False))   # k = 3 written out (~12% faster than zipping k slices)


def repeated_paragraphs(texts: list[str], threshold: float) -> list[tuple[int, int, float]]:
    """(later, earlier, similarity) for each paragraph that repeats an earlier one."""
    seen: list[tuple[int, frozenset]] = []
    union: set = set()
    found = []
    for idx, text in enumerate(texts):
        shingles = _paragraph_shingles(text)
        if shingles is None:
            continue
        if len(shingles & union) >= threshold * len(shingles):
            best = max(((len(shingles & s) / len(shingles), j) for j, s in seen),
                       key=lambda t: (t[0], -t[1]))
            if best[0] >= threshold:
                found.append((idx, best[1], round(best[0], 4)))
                continue
        seen.append((idx, shingles))
        union |= shingles
    return found
