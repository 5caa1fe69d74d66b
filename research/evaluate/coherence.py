"""Topic coherence with exactly gensim's definitions, computed with sparse matrix algebra.

``coherence(topics, texts, measure)`` returns the same numbers as
``gensim.models.CoherenceModel(topics=topics, texts=texts, dictionary=Dictionary(texts),
coherence=measure, topn=topn).get_coherence_per_topic()`` (to floating-point rounding) for
``c_npmi``, ``c_uci``, ``u_mass`` and ``c_v``, but counts co-occurrences as ``XᵀX`` of a sparse
boolean *windows × top-words* matrix instead of gensim's per-window Python loop.

What "exactly gensim" means, read from gensim 4.4 ``topic_coherence/*.py``:

* Topics: words that occur in no text are dropped from a topic first (gensim's dictionary is
  built from the texts), then topics are cut to ``topn`` words -- but only when the *first*
  topic is longer than ``topn`` (``CoherenceModel.topics``). A topic left with no word raises.
* Segmentation: ``u_mass`` pairs each word with every earlier one (``s_one_pre``);
  ``c_npmi``/``c_uci`` use every ordered pair of distinct positions (``s_one_one``);
  ``c_v`` pairs each word with the whole topic (``s_one_set``).
* Probabilities: ``u_mass`` counts documents (boolean document, N = number of texts).
  The others slide a window (``c_npmi``/``c_uci`` 10, ``c_v`` 110) over the full token
  stream of each text, tokens that are not top words included. A text of ``n >= w`` tokens
  gives ``n - w + 1`` windows; a shorter (even empty) text is one window. N = number of
  windows. gensim updates its "word is in the window" flags incrementally: entering
  ``window[-1]`` sets a flag and the token that just left (``window[0]`` of the previous
  window) clears it -- even when another copy of that token is still inside the window. So a
  word occurrence at position ``p`` marks windows ``max(0, p-w+1) .. q`` where ``q`` is the
  first occurrence of the same word at or after ``max(0, p-w+1)``; a word is present in a
  window when any of its occurrences marks it. This module reproduces that rule exactly.
* Confirmation (EPSILON = 1e-12): u_mass ``log((P(w',w*) + e) / P(w*))``; c_uci
  ``log((P(wi,wj) + e) / (P(wi) P(wj)))``; c_npmi that divided by ``-log(P(wi,wj) + e)``;
  c_v the cosine between the NPMI context vector of each word and that of the whole topic
  (gamma 1). Per topic: mean over segments; overall: arithmetic mean over topics.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import chain, repeat

import numpy as np
import scipy.sparse as sp

from research.util.console import bars_on
from research.util.progress import Progress

__all__ = ["MEASURES", "WINDOW_SIZES", "CoherenceScore", "CoherenceScorer", "CooccurrenceCounts", "coherence"]

EPSILON = 1e-12
WINDOW_SIZES = {"c_v": 110, "c_uci": 10, "c_npmi": 10, "u_mass": None}
MEASURES = tuple(WINDOW_SIZES)
BAR_TEXTS = 2000        # texts counted between two updates of a progress bar


@dataclass(frozen=True)
class CoherenceScore:
    """Coherence of a set of topics: one value per topic and their arithmetic mean."""

    measure: str
    per_topic: tuple[float, ...]
    mean: float
    window_size: int | None
    topn: int


def coherence(
    topics: Sequence[Sequence[str]],
    texts: Iterable[Sequence[str]],
    measure: str = "c_npmi",
    window_size: int | None = None,
    topn: int = 10,
) -> CoherenceScore:
    """Coherence of ``topics`` (lists of words, best first) on tokenised ``texts``.

    ``window_size=None`` uses gensim's default for the measure. To score many topic sets on
    the same texts, build one :class:`CoherenceScorer` and call :meth:`~CoherenceScorer.score`.
    """
    return CoherenceScorer(texts, measure, window_size).score(topics, topn)


class CoherenceScorer:
    """The measure's settings and the texts, held for scoring one or more topic sets
    (the token lists are referenced, not copied: do not change them meanwhile). Each
    :meth:`score` counts the topic words' co-occurrences with :class:`CooccurrenceCounts`;
    to score texts that do not fit in memory, use that class on chunks directly.

    ``chunk_entries`` bounds memory: documents are processed in chunks whose window x word
    matrix holds at most about that many entries (c_v's 110-token windows make it large).
    Small chunks are also faster: their temporaries stay below glibc's mmap threshold, so
    memory is reused instead of page-faulted in afresh for every array.
    """

    def __init__(self, texts: Iterable[Sequence[str]], measure: str = "c_npmi",
                 window_size: int | None = None, chunk_entries: int = 250_000):
        self.measure = measure
        self.window_size = _window_size(measure, window_size)
        self._texts = [t if isinstance(t, (list, tuple)) else list(t) for t in texts]
        if not self._texts:
            raise ValueError("texts is empty")
        self._chunk_entries = int(chunk_entries)
        self.num_texts = len(self._texts)

    def score(self, topics: Sequence[Sequence[str]], topn: int = 10) -> CoherenceScore:
        """Per-topic and mean coherence of ``topics`` (each a list of words, best first)."""
        if len(topics) == 0:
            raise ValueError("topics is empty")
        counts = CooccurrenceCounts(chain.from_iterable(topics), self.measure, self.window_size,
                                    self._chunk_entries)
        if not bars_on():
            return counts.update(self._texts).score(topics, topn)
        with Progress(None, f"coherence {self.measure}", total=self.num_texts) as progress:
            for start in range(0, self.num_texts, BAR_TEXTS):   # the same counts, in parts
                counts.update(self._texts[start:start + BAR_TEXTS])
                progress.update(min(start + BAR_TEXTS, self.num_texts))
        return counts.score(topics, topn)


def _window_size(measure: str, window_size: int | None) -> int | None:
    if measure not in WINDOW_SIZES:
        raise ValueError(f"measure must be one of {', '.join(MEASURES)}; got {measure!r}")
    if measure == "u_mass":
        return None
    size = WINDOW_SIZES[measure] if window_size is None else int(window_size)
    if size < 1:  # type: ignore[operator]
        raise ValueError(f"window_size must be >= 1; got {window_size!r}")
    return size


class CooccurrenceCounts:
    """Co-occurrence counts of a fixed set of ``words`` (the top words of every topic set to be
    scored), accumulated over texts given chunk by chunk with :meth:`update`, so that texts
    never need to be in memory at once. Counts are integers summed per document (a window
    never crosses a document), so any chunking gives the very same counts and scores as one
    pass over all texts; memory is the words x words count matrix plus one chunk.
    """

    def __init__(self, words: Iterable[str], measure: str = "c_npmi", window_size: int | None = None,
                 chunk_entries: int = 250_000):
        self.measure = measure
        self.window_size = _window_size(measure, window_size)
        self.lookup = {w: i for i, w in enumerate(dict.fromkeys(words))}
        self.counts = np.zeros((len(self.lookup), len(self.lookup)), dtype=np.int64)
        self.num_units = 0   # documents (u_mass) or windows
        self.num_texts = 0
        self._chunk_entries = int(chunk_entries)

    def update(self, texts: Iterable[Sequence[str]]) -> CooccurrenceCounts:
        """Add one chunk of tokenised texts (whole documents)."""
        chunk = _Chunk([t if isinstance(t, (list, tuple)) else list(t) for t in texts], self.lookup)
        if chunk.lengths.size:
            counts, units = chunk.joint_counts(len(self.lookup), self.window_size, self._chunk_entries)
            self.counts += counts
            self.num_units += units
            self.num_texts += int(chunk.lengths.size)
        return self

    def score(self, topics: Sequence[Sequence[str]], topn: int = 10) -> CoherenceScore:
        """Per-topic and mean coherence of ``topics``, whose words must all be in ``words``."""
        if len(topics) == 0:
            raise ValueError("topics is empty")
        if self.num_texts == 0:
            raise ValueError("texts is empty")
        missing = [w for w in dict.fromkeys(chain.from_iterable(topics)) if w not in self.lookup]
        if missing:
            raise ValueError(f"topic words {missing[:5]} were not counted; pass them in words")
        present = np.diag(self.counts) > 0   # a word that occurs marks at least one unit
        local = _topic_indices(topics, self.lookup, present, topn)
        relevant = np.flatnonzero(present)
        remap = np.full(len(self.lookup), -1, dtype=np.int64)
        remap[relevant] = np.arange(len(relevant))
        joint = self.counts[np.ix_(relevant, relevant)] / float(self.num_units)
        marginal = np.diag(joint).copy()
        confirm = {"u_mass": _u_mass, "c_uci": _uci, "c_npmi": _npmi, "c_v": _c_v}[self.measure]
        values = tuple(float(confirm(remap[ix], joint, marginal)) for ix in local)
        return CoherenceScore(self.measure, values, float(np.mean(values)), self.window_size, topn)


def _topic_indices(topics, lookup: dict, present: np.ndarray, topn: int) -> list:
    """Each topic as indices into ``lookup``, words absent from the texts dropped, then
    cut to ``topn`` -- only if the first topic is longer than ``topn`` (as gensim)."""
    out = []
    for k, topic in enumerate(topics):
        ix = np.array([lookup[w] for w in topic], dtype=np.int64)
        ix = ix[present[ix]]
        if ix.size == 0:
            raise ValueError(f"topic {k} has no word that occurs in the texts")
        out.append(ix)
    if len(out[0]) > topn:
        out = [ix[:topn] for ix in out]
    return out


class _Chunk:
    """Some whole texts, their tokens coded as indices of the counted words (-1: other)."""

    def __init__(self, texts: list, lookup: dict):
        self.lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
        self.n_tokens = int(self.lengths.sum())
        self.starts = np.concatenate([[0], np.cumsum(self.lengths)[:-1]]).astype(np.int64)
        self.codes = np.fromiter(map(lookup.get, chain.from_iterable(texts), repeat(-1)),
                                 dtype=np.int32, count=self.n_tokens)

    def joint_counts(self, n_words: int, w: int | None, chunk_entries: int) -> tuple[np.ndarray, int]:
        """``XᵀX`` of the boolean (units x words) matrix, units = documents (u_mass) or
        gensim's windows; returns the counts and the number of units."""
        col = self.codes
        n_units_per_doc = np.ones_like(self.lengths) if w is None else np.maximum(self.lengths - w + 1, 1)
        unit_offsets = np.concatenate([[0], np.cumsum(n_units_per_doc)])
        hit = np.flatnonzero(col >= 0)
        doc = np.searchsorted(self.starts, hit, side="right") - 1
        counts = np.zeros((n_words, n_words), dtype=np.int64)
        for a, b in _chunks(doc, max(1, chunk_entries // (1 if w is None else w))):
            rows, words = self._presence(hit[a:b], doc[a:b], col[hit[a:b]], w, n_units_per_doc, unit_offsets)
            lo, hi = unit_offsets[doc[a]], unit_offsets[doc[b - 1] + 1]
            indptr = np.concatenate([[0], np.cumsum(np.bincount(words, minlength=n_words))])
            index = np.int32 if max(hi - lo, len(rows)) < 2**31 - 1 else np.int64
            x = sp.csc_matrix((np.ones(len(rows)), (rows - lo).astype(index),
                               indptr.astype(index)), shape=(hi - lo, n_words))
            counts += np.rint((x.T @ x.tocsr()).toarray()).astype(np.int64)
        return counts, int(unit_offsets[-1])

    def _presence(self, hit, doc, word, w, n_units_per_doc, unit_offsets):
        """(unit, word) entries of the boolean presence matrix, sorted by word then unit,
        without duplicates, for one chunk of hits (token positions in this chunk)."""
        order = np.argsort(word.astype(np.uint16 if word.max() < 65536 else np.int64),
                           kind="stable")  # by word; (doc, position) order kept within
        hit, doc, word = hit[order], doc[order], word[order]
        if w is None:
            first = np.concatenate([[True], (word[1:] != word[:-1]) | (doc[1:] != doc[:-1])])
            return unit_offsets[doc[first]], word[first]
        pos = hit - self.starts[doc]
        start = np.maximum(pos - w + 1, 0)
        key = word.astype(np.int64) * self.n_tokens + hit  # sorted by word, then position
        first_after = pos[np.searchsorted(key, key - pos + start)]
        end = np.minimum(first_after, n_units_per_doc[doc] - 1)  # gensim's edge rule
        # ends never decrease within one (doc, word): keep the part not covered yet
        same = np.concatenate([[False], (word[1:] == word[:-1]) & (doc[1:] == doc[:-1])])
        prev_end = np.where(same, np.concatenate([[-1], end[:-1]]), -1)
        start = np.maximum(start, prev_end + 1)
        span = np.maximum(end - start + 1, 0)
        first_row = unit_offsets[doc] + start
        rows = np.repeat(first_row - np.cumsum(span) + span, span) + np.arange(span.sum())
        return rows, np.repeat(word, span)


def _chunks(doc: np.ndarray, step: int):
    """Ranges of hits, cut at document boundaries, of at most ``step`` hits (or one document)."""
    a = 0
    while a < len(doc):
        b = min(a + step, len(doc))
        if b < len(doc):  # extend to the end of the document
            b = int(np.searchsorted(doc, doc[b - 1], side="right"))
        yield a, b
        a = b


def _mean(segment_values: np.ndarray) -> float:
    return float(np.mean(segment_values)) if segment_values.size else float("nan")


def _u_mass(ix: np.ndarray, joint: np.ndarray, marginal: np.ndarray) -> float:
    later, earlier = np.tril_indices(len(ix), k=-1)  # (w', w*) with w* before w'
    co = joint[ix[later], ix[earlier]]
    return _mean(np.log((co + EPSILON) / marginal[ix[earlier]]))


def _log_ratio(ix: np.ndarray, joint: np.ndarray, marginal: np.ndarray) -> tuple:
    i, j = np.nonzero(~np.eye(len(ix), dtype=bool))  # ordered pairs of distinct positions
    co = joint[ix[i], ix[j]]
    return np.log((co + EPSILON) / (marginal[ix[i]] * marginal[ix[j]])), co


def _uci(ix, joint, marginal) -> float:
    return _mean(_log_ratio(ix, joint, marginal)[0])


def _npmi(ix, joint, marginal) -> float:
    pmi, co = _log_ratio(ix, joint, marginal)
    return _mean(pmi / -np.log(co + EPSILON))


def _npmi_matrix(ix, joint, marginal) -> np.ndarray:
    co = joint[np.ix_(ix, ix)]
    pmi = np.log((co + EPSILON) / np.outer(marginal[ix], marginal[ix]))
    return pmi / -np.log(co + EPSILON)


def _c_v(ix, joint, marginal) -> float:
    sims = _npmi_matrix(ix, joint, marginal)
    # context vectors live on the topic's distinct words; repeated words add up (gensim +=)
    uniq, inverse = np.unique(ix, return_inverse=True)
    fold = np.zeros((len(ix), len(uniq)))
    fold[np.arange(len(ix)), inverse] = 1.0
    word_vectors = sims @ fold
    topic_vector = word_vectors.sum(axis=0)
    cos = (word_vectors @ topic_vector) / (
        np.linalg.norm(word_vectors, axis=1) * np.linalg.norm(topic_vector))
    return _mean(cos)
