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

from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp

__all__ = ["CoherenceScore", "CoherenceScorer", "coherence", "MEASURES", "WINDOW_SIZES"]

EPSILON = 1e-12
WINDOW_SIZES = {"c_v": 110, "c_uci": 10, "c_npmi": 10, "u_mass": None}
MEASURES = tuple(WINDOW_SIZES)


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
    """Texts indexed once (tokens -> integer codes) so several topic sets score quickly."""

    def __init__(self, texts: Iterable[Sequence[str]], measure: str = "c_npmi",
                 window_size: int | None = None):
        if measure not in WINDOW_SIZES:
            raise ValueError(f"measure must be one of {', '.join(MEASURES)}; got {measure!r}")
        self.measure = measure
        if measure == "u_mass":
            self.window_size = None
        else:
            self.window_size = WINDOW_SIZES[measure] if window_size is None else int(window_size)
            if self.window_size < 1:
                raise ValueError(f"window_size must be >= 1; got {window_size!r}")
        texts = [list(t) for t in texts]
        lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
        flat = [tok for t in texts for tok in t]
        codes, uniques = pd.factorize(pd.Series(flat, dtype=object), sort=False)
        self._codes = np.asarray(codes, dtype=np.int64)
        self._doc_of_token = np.repeat(np.arange(len(texts), dtype=np.int64), lengths)
        self._starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
        self._lengths = lengths
        self._index = {w: i for i, w in enumerate(uniques)}
        self.num_texts = len(texts)

    # -- topics ------------------------------------------------------------------------
    def _topic_codes(self, topics: Sequence[Sequence[str]], topn: int) -> list[np.ndarray]:
        if len(topics) == 0:
            raise ValueError("topics is empty")
        out = []
        for k, topic in enumerate(topics):
            ids = [self._index[w] for w in topic if w in self._index]
            if not ids:
                raise ValueError(f"topic {k} has no word that occurs in the texts")
            out.append(np.asarray(ids, dtype=np.int64))
        if len(out[0]) > topn:  # gensim truncates only when the first topic is longer
            out = [ids[:topn] for ids in out]
        return out

    # -- counts ------------------------------------------------------------------------
    def _presence(self, relevant: np.ndarray) -> tuple[sp.csr_matrix, int]:
        """Boolean (units x relevant words) matrix, units = documents or gensim windows."""
        lut = np.full(len(self._index), -1, dtype=np.int64)
        lut[relevant] = np.arange(len(relevant))
        col = lut[self._codes]
        hit = np.flatnonzero(col >= 0)
        doc, word = self._doc_of_token[hit], col[hit]
        if self.window_size is None:
            rows, cols, n_units = doc, word, self.num_texts
        else:
            rows, cols, n_units = self._window_presence(hit, doc, word)
        ones = np.ones(len(rows), dtype=np.float64)
        m = sp.csr_matrix((ones, (rows, cols)), shape=(n_units, len(relevant)))
        m.data[:] = 1.0  # duplicates summed by the constructor -> boolean
        return m, n_units

    def _window_presence(self, hit, doc, word):
        w = self.window_size
        n_win = np.maximum(self._lengths - w + 1, 1)
        offsets = np.concatenate([[0], np.cumsum(n_win)[:-1]])
        pos = hit - self._starts[doc]
        # sort occurrences by (doc, word, position): groups of one word in one text
        order = np.lexsort((pos, word, doc))
        doc, word, pos = doc[order], word[order], pos[order]
        group = np.concatenate([[0], np.cumsum((np.diff(doc) != 0) | (np.diff(word) != 0))])
        start = np.maximum(pos - w + 1, 0)
        key = group * (self._lengths.max() + 1) + pos
        first_after = pos[np.searchsorted(key, group * (self._lengths.max() + 1) + start)]
        end = np.minimum(first_after, n_win[doc] - 1)  # inclusive, gensim's edge rule
        # ends are non-decreasing within a group: keep only the part not already covered
        prev_end = np.concatenate([[-1], end[:-1]])
        new_group = np.concatenate([[True], group[1:] != group[:-1]])
        prev_end[new_group] = -1
        start = np.maximum(start, prev_end + 1)
        span = np.maximum(end - start + 1, 0)
        reps = np.repeat(np.arange(len(span)), span)
        within = np.arange(reps.size) - np.repeat(np.cumsum(span) - span, span)
        rows = offsets[doc[reps]] + start[reps] + within
        return rows, word[reps], int(n_win.sum())

    # -- scores ------------------------------------------------------------------------
    def score(self, topics: Sequence[Sequence[str]], topn: int = 10) -> CoherenceScore:
        """Per-topic and mean coherence of ``topics`` (each a list of words, best first)."""
        codes = self._topic_codes(topics, topn)
        relevant = np.unique(np.concatenate(codes))
        presence, n = self._presence(relevant)
        joint = (presence.T @ presence).toarray() / float(n)
        marginal = np.diag(joint).copy()
        local = [np.searchsorted(relevant, ids) for ids in codes]
        confirm = {"u_mass": _u_mass, "c_uci": _uci, "c_npmi": _npmi, "c_v": _c_v}[self.measure]
        values = tuple(float(confirm(ix, joint, marginal)) for ix in local)
        return CoherenceScore(self.measure, values, float(np.mean(values)), self.window_size,
                              topn)


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
