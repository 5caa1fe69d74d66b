"""What every topic-model back-end shares: the result type, input checks, parameter checks.

A back-end subclasses :class:`TopicModel` and implements ``_fit(X)`` (which sets the fitted
library object and returns raw topic-word and doc-topic weights) and ``_transform(X)``.
``fit`` here does the rest: checks the settings (one :class:`~research.errors.ParameterError`
naming the parameter), checks the matrix, normalises rows and stores the learned state. The
class registers itself in :data:`TOPIC_BACKENDS` under its ``name``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.exceptions import NotFittedError
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_non_negative, validate_data

from research.errors import ParameterError
from research.topics.seeding import check_seed_words, seed_columns
from research.util.registry import Registry

__all__ = ["TOPIC_BACKENDS", "TopicModel", "TopicResult", "normalize_rows", "top_words_of"]


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
    return [[(vocabulary[j], float(row[j])) for j in idx] for row, idx in zip(topic_word, order, strict=True)]


# -- parameter checks ----------------------------------------------------------------------
Check = tuple[Callable[[Any], bool], str]


def int_range(low: int, high: int | None = None) -> Check:
    text = f"an integer >= {low}" if high is None else f"an integer in [{low}, {high}]"
    return (lambda v: isinstance(v, Integral) and not isinstance(v, bool) and v >= low  # type: ignore[operator]
            and (high is None or v <= high)), text


def real_range(low: float, high: float | None = None, *, low_open: bool = False) -> Check:
    op = ">" if low_open else ">="
    text = f"a number {op} {low}" + ("" if high is None else f" and <= {high}")
    return (lambda v: isinstance(v, Real) and not isinstance(v, bool)
            and (v > low if low_open else v >= low) and (high is None or v <= high)), text  # type: ignore[operator]


def one_of(*options: Any) -> Check:
    return (lambda v: isinstance(v, str) and v in options), "one of " + ", ".join(map(str, options))


def either(*checks: Check) -> Check:
    return (lambda v: any(c[0](v) for c in checks)), " or ".join(c[1] for c in checks)


NONE: Check = (lambda v: v is None, "null")
POSITIVE: Check = real_range(0, low_open=True)


TOPIC_BACKENDS: Registry[type[TopicModel]] = Registry("topic back-end")
"""``"lda.gensim"`` -> :class:`~research.topics.lda.GensimLDA`, ...: each back-end module
registers its class; :class:`research.topics.LDA` / ``NMF`` and the experiment look it up."""


def topic_tags(tags: Any) -> Any:
    """scikit-learn tags of a topic model (back-end or facade): sparse, non-negative input;
    float64 output."""
    tags.input_tags.sparse = True
    tags.input_tags.positive_only = True
    tags.transformer_tags.preserves_dtype = ["float64"]
    return tags


class TopicModel(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Base estimator: ``fit(X, feature_names=...)`` -> self with ``topic_word_``, ``doc_topic_``.

    Subclasses declare ``name`` ("lda.gensim") and ``_constraints`` (param -> (predicate,
    description)), implement ``_fit``, ``_transform`` and ``score``; ``__init__`` only stores
    its keyword arguments (their defaults agree with ``defaults.yaml``, a test checks).
    A bad setting raises :class:`~research.errors.ParameterError` naming the parameter.
    """

    name: ClassVar[str] = ""
    needs_counts: ClassVar[bool] = False   # an experiment refuses vectorizer.kind: tfidf for it
    generative: ClassVar[bool] = False     # topic_word_/doc_topic_ are a generative model's
    #                                        distributions (a run adds pyLDAvis's view)
    # how a run folder stores the fitted library model ``model_`` (research.runs.artifacts):
    # "skops" (a scikit-learn object made only of the types in ``skops_types``) or "gensim"
    online: ClassVar[bool] = False         # learns from a stream of mini-batches (partial_fit)
    seedable: ClassVar[bool] = False       # honours seed_words (guided topics, research.topics.seeding);
    #                                        every back-end takes seed_words and seed_strength
    artifact: ClassVar[str] = "skops"
    skops_types: ClassVar[tuple[str, ...]] = ()
    _constraints: ClassVar[dict[str, Check]] = {}

    # -- public API ------------------------------------------------------------------------
    def fit(self, X, y=None, feature_names: Sequence[str] | None = None,  # noqa: ARG002
            texts: Sequence[Sequence[str]] | None = None):  # noqa: ARG002
        """Fit on a documents x words matrix (counts or TF-IDF; ``y`` is ignored).

        ``feature_names``: the words of X's columns (``vectorizer.get_feature_names_out()``);
        without them the words are ``x0, x1, ...`` and :func:`research.topics.topic_words`
        takes them from the vectoriser in front of the model in a ``Pipeline``. ``texts``
        (the cleaned token lists) is accepted so that every back-end has one signature.
        """
        self.validate_params()
        X = self._check_matrix(X, reset=True)
        self.vocabulary_ = _vocabulary(feature_names, X.shape[1])   # _fit reads it to place seed words
        self._check_num_topics(X)
        topic_word, doc_topic = self._fit(X)
        self.topic_word_ = normalize_rows(topic_word)
        self.doc_topic_ = normalize_rows(doc_topic)
        return self

    @available_if(lambda self: type(self).online)   # batch-only back-ends have no partial_fit
    def partial_fit(self, X, y=None, feature_names: Sequence[str] | None = None,  # noqa: ARG002
                    stream_documents: int | None = None):
        """Update the topics from one mini-batch of documents (streamed fitting, back-ends with
        ``online = True``); ``feature_names`` as for :meth:`fit`, read on the first call.
        ``stream_documents``: how many documents one pass over the stream holds, for back-ends
        whose forgetting is set per pass (MiniBatchNMF); None = the mini-batch alone, as
        scikit-learn's ``partial_fit``. ``doc_topic_`` stays empty: the streamed documents'
        shares come from :meth:`transform`."""
        first = not hasattr(self, "topic_word_")
        if first:
            self.validate_params()
            if self.seeded:
                raise ParameterError("seed_words", "empty for partial_fit: seeded topics are placed from the whole "
                                     "matrix, so fit them with fit()", f"{len(self.seed_words)} seeded topics")
        X = self._check_matrix(X, reset=first)
        if first:
            self.vocabulary_ = _vocabulary(feature_names, X.shape[1])
            self._check_num_topics_online(X)
        self.topic_word_ = normalize_rows(self._partial_fit(X, first, stream_documents))
        self.doc_topic_ = np.empty((0, self.num_topics))
        return self

    def fit_transform(self, X, y=None, **fit_params) -> np.ndarray:
        """``fit`` and the training documents' topic shares (``doc_topic_``)."""
        return self.fit(X, y, **fit_params).doc_topic_

    def transform(self, X_new) -> np.ndarray:
        """Topic shares of new documents (rows sum to 1), columns ordered as ``topic_word_``."""
        self._check_fitted()
        return normalize_rows(self._transform(self._check_matrix(X_new)))

    def score(self, X, y=None) -> float:
        """Higher is better (``GridSearchCV`` maximises it); see the back-end."""
        raise NotImplementedError

    @property
    def components_(self) -> np.ndarray:
        """``topic_word_`` under scikit-learn's name (K x V, rows sum to 1)."""
        self._check_fitted()
        return self.topic_word_

    @property
    def _n_features_out(self) -> int:
        return self.topic_word_.shape[0]

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

    def validate_params(self) -> None:
        """Raise :class:`ParameterError` for the first bad setting (``num_topics``, ``seed``
        and the back-end's own); the experiment re-raises it naming the config key."""
        params = self.get_params()
        for name, (ok, allowed) in {"num_topics": int_range(2), "seed": int_range(0),
                                    **self._constraints}.items():
            if not ok(params[name]):
                raise ParameterError(name, allowed, params[name])
        self._check_seeds(params)
        self._check_combinations()

    @property
    def seeded(self) -> bool:
        """Whether topics are guided by ``seed_words`` (None or {} = not)."""
        return bool(getattr(self, "seed_words", None))

    def _check_seeds(self, params: dict[str, Any]) -> None:
        """``seed_words``: None or a mapping of topic name -> non-empty word list, at most
        ``num_topics`` of them, on a back-end that can be seeded; ``seed_strength`` > 0."""
        if "seed_words" not in params:   # a back-end that predates guided topics
            return
        words = params["seed_words"]
        if not check_seed_words(words):
            raise ParameterError("seed_words", "null or a mapping of topic name -> non-empty list of words", words)
        if not POSITIVE[0](params["seed_strength"]):
            raise ParameterError("seed_strength", POSITIVE[1], params["seed_strength"])
        if words and not type(self).seedable:
            can = ", ".join(n for n in TOPIC_BACKENDS if TOPIC_BACKENDS.get(n).seedable)
            raise ParameterError("seed_words", f"empty for {self.name}, which cannot be seeded (back-ends that "
                                 f"can: {can})", list(words))
        if words and len(words) > params["num_topics"]:
            raise ParameterError("seed_words", f"at most num_topics = {params['num_topics']} seeded topics "
                                 "(the other topics are free)", f"{len(words)} seeded topics")

    def _seed_columns(self) -> list[np.ndarray]:
        """Each seeded topic's vocabulary columns (:func:`~research.topics.seeding.seed_columns`)."""
        return seed_columns(getattr(self, "seed_words", None), self.vocabulary_)

    def __sklearn_tags__(self):
        return topic_tags(super().__sklearn_tags__())

    # -- for subclasses ------------------------------------------------------------------
    def _check_combinations(self) -> None:
        """Settings that are fine alone but not together (override)."""

    def _fit(self, X: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    def _transform(self, X: sp.csr_matrix) -> np.ndarray:
        raise NotImplementedError

    def _partial_fit(self, X: sp.csr_matrix, first: bool, stream_documents: int | None) -> np.ndarray:
        """One online update; the unnormalised topic-word weights (online back-ends)."""
        raise NotImplementedError

    # -- checks ----------------------------------------------------------------------------
    def _check_fitted(self) -> None:
        if not hasattr(self, "topic_word_"):
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet; call fit first")

    def _check_matrix(self, X, reset: bool = False) -> sp.csr_matrix:
        """X as float64 CSR: scikit-learn's own checks (shape, NaN, infinity, column count
        against the fitted one), then non-negativity and at least one document."""
        checked = validate_data(self, X, reset=reset, accept_sparse="csr", dtype=np.float64)
        check_non_negative(checked, type(self).__name__)
        # a sparse X keeps its own order of words in each row (scikit-learn sorts them): gensim
        # sums a document's words in that order, and the last bits of its shares depend on it.
        # A copy: a converted matrix would share X's index arrays, and scikit-learn's LDA sorts
        # them in place, which scrambled the caller's counts (their values stayed in place)
        return sp.csr_matrix(X, dtype=np.float64, copy=True) if sp.issparse(X) else sp.csr_matrix(checked)

    def _check_num_topics_online(self, X: sp.csr_matrix) -> None:
        """A stream's first mini-batch may be small: only the vocabulary bounds K."""
        if self.num_topics > X.shape[1]:
            raise ParameterError("num_topics", f"at most the number of vocabulary words (n_features = "
                                 f"{X.shape[1]})", self.num_topics)

    def _check_num_topics(self, X: sp.csr_matrix) -> None:
        n_docs, n_words = X.shape
        if self.num_topics > n_docs or self.num_topics > n_words:
            raise ParameterError("num_topics", f"at most the number of documents (n_samples = "
                                 f"{n_docs}) and of vocabulary words (n_features = {n_words})",
                                 self.num_topics)


def _vocabulary(feature_names: Sequence[str] | None, n_words: int) -> list[str]:
    if feature_names is None:
        return [f"x{j}" for j in range(n_words)]
    names = [str(w) for w in feature_names]
    if len(names) != n_words:
        raise ParameterError("feature_names", f"one word per column of X ({n_words})",
                             f"{len(names)} words")
    return names
