"""Guided (seeded) topics: seed words steer topic ``i`` towards the ``i``-th entry of
``seed_words`` (``{"sport": ["football", "match"], ...}``); the other topics are free.

Every back-end takes ``seed_words`` (None or {} = unguided) and ``seed_strength``. The words
are matched against the ``feature_names`` given to ``fit`` (words not among them are
ignored: the experiment maps config words through the run's token pipeline and reports the
missing ones before fitting). ``seed_strength`` is one quantity for every back-end that can
be seeded: how much the seed words weigh in their topic's prior, as a share of their own
weight in the training matrix (the mean over a topic's seeds of each word's summed count for
LDA, of its summed squared weight, the unit of the squared loss, for NMF): 0.5 gives each seed
word of a topic a prior as heavy as half the occurrences of an average seed of that topic.
Being a share, it does not depend on the corpus size or on the vectoriser's scale.

* ``lda.gensim``: the word prior ``eta`` becomes a K x V matrix: the base prior (``eta``:
  symmetric = 1/K, or the number given) everywhere, plus pseudo-counts on a seeded topic's
  own seed words (:func:`seeded_eta`). gensim starts its topics from random
  statistics that leave ``eta`` out, so the first pass would sort the documents by chance and
  the data then outweigh the prior (on BBC, K=5, with 50 pseudo-counts a seed: no seed in
  its topic's top 10);
  the seeds are therefore also added to the starting statistics (:func:`seed_gensim_start`),
  as if the start were drawn from the prior. ``eta='auto'`` is refused: gensim learns it as
  one vector shared by all topics, which has no seeded rows.
* ``nmf.sklearn`` / ``nmf.sklearn_minibatch``: ``init='custom'`` (:func:`seeded_nmf_start`)
  and pseudo-documents that keep the topics from drifting away from their seeds.
* ``lda.sklearn`` cannot be seeded: scikit-learn's topic-word prior is a single number and its
  start cannot be given (:data:`SEEDABLE` lists the back-ends that can).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.decomposition._nmf import _initialize_nmf  # scikit-learn's own starts (nndsvda, ...)

__all__ = ["check_seed_words", "seed_columns", "seed_gensim_start", "seed_mass", "seeded_eta", "seeded_nmf_start"]


def check_seed_words(value: Any) -> bool:
    """None, or a mapping of topic name -> non-empty list of words (strings)."""
    if value is None:
        return True
    return isinstance(value, Mapping) and all(
        isinstance(name, str) and name and isinstance(words, (list, tuple)) and words
        and all(isinstance(w, str) and w for w in words) for name, words in value.items())


def seed_columns(seed_words: Mapping[str, Sequence[str]] | None,
                 vocabulary: Sequence[str]) -> list[np.ndarray]:
    """The vocabulary columns of each seeded topic's words, in mapping order (words not in the
    vocabulary are ignored; a topic none of whose words is there gets no columns)."""
    index = {word: j for j, word in enumerate(vocabulary)}
    return [np.array(sorted({index[w] for w in words if w in index}), dtype=np.int64)
            for words in (seed_words or {}).values()]


def seed_mass(X: sp.csr_matrix, columns: list[np.ndarray], power: int) -> np.ndarray:
    """Per seeded topic: the mean over its seed words of each word's total weight in X
    (counts summed for ``power=1``; squared weights summed for ``power=2``, the unit of NMF's
    squared loss); 0 for a topic without known seeds. ``seed_strength`` is a share of it."""
    totals = np.asarray((X.power(power) if power != 1 else X).sum(axis=0)).ravel()
    return np.array([float(totals[cols].mean()) if cols.size else 0.0 for cols in columns])


def seeded_eta(base: float, num_topics: int, X: sp.csr_matrix, columns: list[np.ndarray],
               strength: float) -> np.ndarray:
    """gensim's K x V word prior: ``base`` everywhere; on topic i's seed words, ``base`` plus
    ``strength`` times the mean count of those words in X (:func:`seed_mass`)."""
    eta = np.full((num_topics, X.shape[1]), float(base))
    for topic, (cols, mass) in enumerate(zip(columns, seed_mass(X, columns, 1), strict=True)):
        eta[topic, cols] += strength * mass
    return eta


def seed_gensim_start(lda: Any, eta: np.ndarray, base: float) -> None:
    """Add the seeded part of ``eta`` (``eta - base``) to the starting statistics of a gensim
    ``LdaModel`` made without a corpus, and recompute its starting topics from them."""
    from gensim.matutils import dirichlet_expectation

    lda.state.sstats += (eta - base).astype(lda.dtype)
    lda.expElogbeta = np.exp(dirichlet_expectation(lda.state.sstats)).astype(lda.dtype, copy=False)


def _pseudo_documents(X: sp.csr_matrix, columns: list[np.ndarray], strength: float) -> sp.csr_matrix:
    """One row per seeded topic, on its seed words only: each word's squared weight is
    ``strength`` times the mean summed squared weight of the topic's seeds in X, so under the
    squared loss the row weighs as much as that share of the seeds' occurrences."""
    rows = np.zeros((len(columns), X.shape[1]))
    for topic, (cols, mass) in enumerate(zip(columns, seed_mass(X, columns, 2), strict=True)):
        rows[topic, cols] = np.sqrt(strength * mass)
    return sp.csr_matrix(rows)


def seeded_nmf_start(X: sp.csr_matrix, num_topics: int, init: str, seed: int, columns: list[np.ndarray],
                     strength: float) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
    """(X with one pseudo-document per seeded topic appended, W0, H0) for ``init='custom'``.

    Seeded topic i starts as the centroid of the documents weighted by their seed-word mass,
    its seed words raised to the weight of its heaviest word; its documents' shares are their
    projections on it. The free topics take the first K - n components of ``init`` (nndsvda,
    ...). Topic i's pseudo-document starts wholly in topic i.
    """
    n_seeded = len(columns)
    W_free, H_free = _initialize_nmf(X, num_topics, init=init, random_state=seed)
    H = np.zeros((num_topics, X.shape[1]))
    H[n_seeded:] = H_free[:num_topics - n_seeded]
    for topic, cols in enumerate(columns):
        H[topic] = _seeded_row(X, cols, H_free[0])
    W = np.zeros((X.shape[0] + n_seeded, num_topics))
    W[:X.shape[0], n_seeded:] = W_free[:, :num_topics - n_seeded]
    W[:X.shape[0], :n_seeded] = np.asarray(X @ H[:n_seeded].T) / np.sum(H[:n_seeded] ** 2, axis=1)
    pseudo = _pseudo_documents(X, columns, strength)
    fits = np.asarray(pseudo @ H[:n_seeded].T)   # each pseudo-document's projection on its topic
    for topic in range(n_seeded):
        W[X.shape[0] + topic, topic] = fits[topic, topic] / float(H[topic] @ H[topic])
    return sp.vstack([X, pseudo], format="csr"), W, H


def _seeded_row(X: sp.csr_matrix, cols: np.ndarray, fallback: np.ndarray) -> np.ndarray:
    """The start of a seeded topic: the seed-mass-weighted centroid of the documents, seeds
    raised to its heaviest weight (``fallback``, the first free component, when no document
    holds a seed: a topic whose seeds are all unknown)."""
    mass = np.asarray(X[:, cols].sum(axis=1)).ravel() if cols.size else np.zeros(X.shape[0])
    row = np.asarray(X.T @ mass).ravel() / mass.sum() if mass.sum() > 0 else np.asarray(fallback, dtype=float)
    if cols.size:
        row[cols] = np.maximum(row[cols], row.max())
    return np.maximum(row, 0.0)
