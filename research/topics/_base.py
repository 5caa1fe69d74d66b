"""What every topic-model back-end shares: the result type, input checks, parameter checks.

A back-end subclasses :class:`TopicModel` and implements ``_fit(X)`` (which sets the fitted
library object and returns raw topic-word and doc-topic weights) and ``_transform(X)``.
``fit`` here does the rest: checks the settings (one :class:`~research.errors.ModelError`
naming ``model.<param>``), checks the matrix, normalises rows and stores the learned state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from numbers import Integral, Real
from typing import Any, Callable, ClassVar, Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator

from research.errors import ModelError

__all__ = ["TopicModel", "TopicResult", "normalize_rows", "top_words_of"]


@dataclass(frozen=True)
class TopicResult:
    """A fitted topic model as plain arrays, whichever library fitted it.

    ``topic_word`` is K x V with rows summing to 1, ``doc_topic`` N x K with rows summing
    to 1, ``vocabulary`` the V words in column order, ``doc_ids`` the N document ids (or
    None), ``model`` the back-end name (``"lda.gensim"``) and ``params`` its settings.
    """

    topic_word: np.ndarray
    doc_topic: np.ndarray
    vocabulary: tuple[str, ...]
    doc_ids: tuple[str, ...] | None = None
    model: str = ""
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def num_topics(self) -> int:
        return self.topic_word.shape[0]

    def top_words(self, n: int = 10) -> list[list[tuple[str, float]]]:
        """The ``n`` heaviest words of each topic with their topic-word probability."""
        return top_words_of(self.topic_word, self.vocabulary, n)

    def topics(self, n: int = 10) -> list[list[str]]:
        """The ``n`` heaviest words of each topic (what coherence and diversity take)."""
        return [[w for w, _ in topic] for topic in self.top_words(n)]

    def prevalence(self) -> np.ndarray:
        """Mean share of each topic over the documents (sums to 1)."""
        return self.doc_topic.mean(axis=0)

    def dominant_topic(self) -> np.ndarray:
        """Index of each document's largest topic share (ties: the lowest index)."""
        return np.argmax(self.doc_topic, axis=1)


def normalize_rows(weights: np.ndarray) -> np.ndarray:
    """Rows scaled to sum to 1; an all-zero row becomes uniform (a document with no words)."""
    weights = np.asarray(weights, dtype=np.float64)
    sums = weights.sum(axis=1, keepdims=True)
    out = np.divide(weights, sums, out=np.zeros_like(weights), where=sums > 0)
    out[sums[:, 0] <= 0] = 1.0 / weights.shape[1]
    return out


def top_words_of(topic_word: np.ndarray, vocabulary: Sequence[str],
                 n: int) -> list[list[tuple[str, float]]]:
    """Top ``n`` words per row, heaviest first; ties keep vocabulary order (stable)."""
    n = min(int(n), topic_word.shape[1])
    order = np.argsort(-topic_word, axis=1, kind="stable")[:, :n]
    return [[(vocabulary[j], float(row[j])) for j in idx] for row, idx in zip(topic_word, order)]


# -- parameter checks ----------------------------------------------------------------------
Check = tuple[Callable[[Any], bool], str]


def int_range(low: int, high: int | None = None) -> Check:
    text = f"an integer >= {low}" if high is None else f"an integer in [{low}, {high}]"
    return (lambda v: isinstance(v, Integral) and not isinstance(v, bool) and v >= low
            and (high is None or v <= high)), text


def real_range(low: float, high: float | None = None, *, low_open: bool = False) -> Check:
    op = ">" if low_open else ">="
    text = f"a number {op} {low}" + ("" if high is None else f" and <= {high}")
    return (lambda v: isinstance(v, Real) and not isinstance(v, bool)
            and (v > low if low_open else v >= low) and (high is None or v <= high)), text


def one_of(*options: Any) -> Check:
    return (lambda v: isinstance(v, str) and v in options), "one of " + ", ".join(map(str, options))


def either(*checks: Check) -> Check:
    return (lambda v: any(c[0](v) for c in checks)), " or ".join(c[1] for c in checks)


NONE: Check = (lambda v: v is None, "null")
POSITIVE: Check = real_range(0, low_open=True)


class TopicModel(BaseEstimator):
    """Base estimator: ``fit(X, vocabulary)`` -> self with ``topic_word_``, ``doc_topic_``.

    Subclasses declare ``name`` ("lda.gensim"), ``needs_counts`` and ``_constraints``
    (param -> (predicate, description)); ``__init__`` only stores its keyword arguments.
    """

    name: ClassVar[str] = ""
    needs_counts: ClassVar[bool] = False
    _constraints: ClassVar[dict[str, Check]] = {}

    # -- public API ------------------------------------------------------------------------
    def fit(self, X, vocabulary: Sequence[str], texts: Sequence[Sequence[str]] | None = None):
        """Fit on a documents x words matrix whose columns are ``vocabulary``.

        ``texts`` (the cleaned token lists) is accepted so that every back-end has one
        signature; the current back-ends do not need it (coherence is computed by
        :mod:`research.evaluate` from the texts the caller holds).
        """
        self.validate_params()
        X = self._check_matrix(X, len(vocabulary))
        self._check_num_topics(X)
        topic_word, doc_topic = self._fit(X)
        self.topic_word_ = normalize_rows(topic_word)
        self.doc_topic_ = normalize_rows(doc_topic)
        self.vocabulary_ = list(vocabulary)
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X_new) -> np.ndarray:
        """Topic shares of new documents (rows sum to 1), columns ordered as ``topic_word_``."""
        self._check_fitted()
        X_new = self._check_matrix(X_new, self.n_features_in_)
        return normalize_rows(self._transform(X_new))

    def top_words(self, n: int = 10) -> list[list[tuple[str, float]]]:
        """The ``n`` heaviest words of each topic with their weight in ``topic_word_``."""
        self._check_fitted()
        return top_words_of(self.topic_word_, self.vocabulary_, n)

    def result(self, doc_ids: Sequence[str] | None = None) -> TopicResult:
        """The fitted state as a :class:`TopicResult` (what evaluation and figures take)."""
        self._check_fitted()
        if doc_ids is not None and len(doc_ids) != self.doc_topic_.shape[0]:
            raise ValueError(f"doc_ids has {len(doc_ids)} ids for {self.doc_topic_.shape[0]} "
                             "documents")
        return TopicResult(self.topic_word_, self.doc_topic_, tuple(self.vocabulary_),
                           None if doc_ids is None else tuple(map(str, doc_ids)),
                           self.name, self.get_params())

    def validate_params(self, key_prefix: str = "model") -> None:
        """Raise :class:`ModelError` for the first bad setting, naming its config key:
        ``model.num_topics``, ``seed``, and ``<key_prefix>.<param>`` for the back-end's own."""
        params = self.get_params()
        keys = {"num_topics": "model.num_topics", "seed": "seed"}
        for name, (ok, allowed) in {"num_topics": int_range(2), "seed": int_range(0),
                                    **self._constraints}.items():
            if not ok(params[name]):
                key = keys.get(name, f"{key_prefix}.{name}")
                raise ModelError(f"{key} must be {allowed}; got {params[name]!r}")
        self._check_combinations(key_prefix)

    # -- for subclasses ------------------------------------------------------------------
    def _check_combinations(self, key_prefix: str) -> None:
        """Settings that are fine alone but not together (override)."""

    def _fit(self, X: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    def _transform(self, X: sp.csr_matrix) -> np.ndarray:
        raise NotImplementedError

    # -- checks ----------------------------------------------------------------------------
    def _check_fitted(self) -> None:
        if not hasattr(self, "topic_word_"):
            raise ValueError(f"this {type(self).__name__} is not fitted yet; call fit first")

    def _check_matrix(self, X, n_columns: int) -> sp.csr_matrix:
        X = sp.csr_matrix(X, dtype=np.float64)
        if X.shape[1] != n_columns:
            raise ValueError(f"X has {X.shape[1]} columns but the vocabulary has {n_columns} "
                             "words")
        if X.shape[0] == 0:
            raise ValueError("X has no documents")
        if X.nnz and (X.data.min() < 0 or not np.all(np.isfinite(X.data))):
            raise ValueError("X must hold finite, non-negative weights")
        if self.needs_counts and not np.array_equal(X.data, np.round(X.data)):
            raise ModelError(f"{self.name} needs word counts but X holds non-integer weights "
                             "(TF-IDF?); set vectorizer.kind=count")
        return X

    def _check_num_topics(self, X: sp.csr_matrix) -> None:
        n_docs, n_words = X.shape
        if self.num_topics > n_docs or self.num_topics > n_words:
            raise ModelError(f"model.num_topics must be at most the number of documents "
                             f"({n_docs}) and of vocabulary words ({n_words}); got "
                             f"{self.num_topics}")
