"""``research.topics.LDA`` and ``research.topics.NMF``: one estimator per model family, with
the back-end as a parameter, for use with scikit-learn outside a run::

    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import Pipeline
    from research.topics import NMF, topic_words

    pipe = Pipeline([("tfidf", TfidfVectorizer(min_df=5)), ("nmf", NMF(num_topics=10))])
    pipe.fit(texts)
    topic_words(pipe, 10)                       # words from the vectoriser in front
    GridSearchCV(pipe, {"nmf__num_topics": [5, 10, 20]}, cv=3).fit(texts)

``backend`` names a registered back-end of the family (``"gensim"`` -> ``lda.gensim``); any
further keyword is that back-end's own setting (``NMF(init="nndsvda", max_iter=400)``),
checked at ``fit`` like every scikit-learn parameter. The fitted back-end is ``model_``.

``score(X)`` (higher is better): for LDA the per-word variational bound of X (a
log-likelihood), for NMF minus the reconstruction error of X with the topics fixed.
Both favour more topics on held-out folds only as far as the data support them; coherence,
which needs the token lists, is the experiment's measure.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.exceptions import NotFittedError
from sklearn.utils.metaestimators import available_if

from research.errors import ParameterError
from research.topics._base import TOPIC_BACKENDS, TopicModel, TopicResult, top_words_of, topic_tags

__all__ = ["LDA", "NMF", "backend_params", "topic_words"]

_OWN = ("num_topics", "backend", "seed")


def backend_params(name: str) -> dict[str, Any]:
    """The settings of the registered back-end ``name`` ("lda.gensim") and their defaults,
    besides ``num_topics`` and ``seed``."""
    cls = TOPIC_BACKENDS.get(name, "backend")
    return {key: p.default for key, p in inspect.signature(cls).parameters.items()
            if key not in ("num_topics", "seed")}


class _Family(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    family: ClassVar[str] = ""

    def __init__(self, num_topics: int = 10, backend: str = "", seed: int = 42, **options: Any):
        self.num_topics = num_topics
        self.backend = backend
        self.seed = seed
        for key, value in options.items():
            setattr(self, key, value)

    # -- parameters: the three above plus the back-end's own, all plain attributes ---------
    def get_params(self, deep: bool = True) -> dict[str, Any]:  # noqa: ARG002
        own = {key: getattr(self, key) for key in _OWN}
        return {**own, **self._options()}

    def set_params(self, **params: Any):
        for key, value in params.items():
            setattr(self, key, value)
        return self

    def __repr__(self, N_CHAR_MAX: int = 700) -> str:
        defaults = {k: p.default for k, p in inspect.signature(type(self)).parameters.items()}
        shown = {k: v for k, v in self.get_params().items() if k not in defaults or defaults[k] != v}
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in shown.items())})"

    def _options(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items()
                if k not in _OWN and not k.startswith("_") and not k.endswith("_")}

    def _backend_class(self) -> type[TopicModel]:
        allowed = [n.split(".", 1)[1] for n in TOPIC_BACKENDS.names(f"{self.family}.")]
        if self.backend not in allowed:
            raise ParameterError("backend", f"one of {', '.join(allowed)}", self.backend)
        return TOPIC_BACKENDS.get(f"{self.family}.{self.backend}")

    def _build(self) -> TopicModel:
        cls = self._backend_class()
        valid = backend_params(cls.name)
        for key in self._options():
            if key not in valid:
                raise ParameterError(key, f"a setting of {cls.name} ({', '.join(valid)})", key)
        return cls(num_topics=self.num_topics, seed=self.seed, **self._options())

    # -- estimator API ------------------------------------------------------------------
    def fit(self, X, y=None, feature_names: Sequence[str] | None = None, **fit_params: Any):
        """Fit the configured back-end (see :meth:`TopicModel.fit`); returns self."""
        self.model_ = self._build().fit(X, y, feature_names=feature_names, **fit_params)
        self.n_features_in_ = self.model_.n_features_in_
        if hasattr(self.model_, "feature_names_in_"):
            self.feature_names_in_ = self.model_.feature_names_in_
        return self

    def _online(self) -> bool:
        try:
            return bool(self._backend_class().online)
        except ParameterError:
            return False

    @available_if(_online)   # only when the back-end learns from a stream
    def partial_fit(self, X, y=None, feature_names: Sequence[str] | None = None,
                    stream_documents: int | None = None):
        """One online update from a mini-batch (back-ends that learn from a stream:
        ``nmf.sklearn_minibatch``, ``lda.gensim``; see :meth:`TopicModel.partial_fit`)."""
        if not hasattr(self, "model_"):
            self.model_ = self._build()
        self.model_.partial_fit(X, y, feature_names=feature_names, stream_documents=stream_documents)
        self.n_features_in_ = self.model_.n_features_in_
        return self

    def fit_transform(self, X, y=None, **fit_params: Any) -> np.ndarray:
        return self.fit(X, y, **fit_params).model_.doc_topic_

    def transform(self, X) -> np.ndarray:
        return self._fitted().transform(X)

    def score(self, X, y=None) -> float:  # noqa: ARG002
        return self._fitted().score(X)

    def top_words(self, n: int = 10) -> list[list[tuple[str, float]]]:
        return self._fitted().top_words(n)

    def result(self, doc_ids: Sequence[str] | None = None) -> TopicResult:
        return self._fitted().result(doc_ids)

    @property
    def components_(self) -> np.ndarray:
        return self._fitted().topic_word_

    @property
    def _n_features_out(self) -> int:
        return self._fitted().topic_word_.shape[0]

    def _fitted(self) -> TopicModel:
        if not hasattr(self, "model_"):
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet; call fit first")
        return self.model_

    def __sklearn_tags__(self):
        return topic_tags(super().__sklearn_tags__())


class LDA(_Family):
    """Latent Dirichlet allocation: ``backend`` = ``"tomotopy"`` (collapsed Gibbs sampling, the
    default), ``"gensim"`` or ``"sklearn"``."""

    family = "lda"

    def __init__(self, num_topics: int = 10, backend: str = "tomotopy", seed: int = 42,
                 **options: Any):
        super().__init__(num_topics, backend, seed, **options)


class NMF(_Family):
    """Non-negative matrix factorisation: ``backend`` = ``"sklearn"`` (default) or
    ``"sklearn_minibatch"``."""

    family = "nmf"

    def __init__(self, num_topics: int = 10, backend: str = "sklearn", seed: int = 42,
                 **options: Any):
        super().__init__(num_topics, backend, seed, **options)


def topic_words(model: Any, n: int = 10) -> list[list[str]]:
    """The ``n`` heaviest words of each topic of a fitted topic model, or of a fitted
    ``Pipeline`` ending in one (the words come from the steps in front of it)."""
    steps = getattr(model, "steps", None)
    if steps is None:
        return [[w for w, _ in topic] for topic in model.top_words(n)]
    words = model[:-1].get_feature_names_out()
    return [[w for w, _ in topic] for topic in top_words_of(model[-1].components_, words, n)]
