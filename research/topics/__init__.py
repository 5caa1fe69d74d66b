"""Topic models behind one interface and one result type.

Every back-end is a scikit-learn-style estimator: ``fit(X, vocabulary)`` returns the model
with ``topic_word_`` (K x V, rows sum to 1), ``doc_topic_`` (N x K, rows sum to 1) and
``vocabulary_``; ``transform(X_new)`` gives topic shares of new documents; ``top_words(n)``
the heaviest words; ``result()`` a plain :class:`TopicResult` for evaluation and figures.

    kind  backend            class                 X
    lda   gensim             GensimLDA             counts
    lda   sklearn            SklearnLDA            counts
    nmf   sklearn            SklearnNMF            TF-IDF (or counts)
    nmf   sklearn_minibatch  MiniBatchSklearnNMF   TF-IDF (or counts)
"""

from __future__ import annotations

import inspect
from typing import Any

from research.errors import ModelError
from research.topics._base import TopicModel, TopicResult, normalize_rows, top_words_of
from research.topics.lda import GensimLDA, SklearnLDA
from research.topics.nmf import MiniBatchSklearnNMF, SklearnNMF, beta_divergence

__all__ = [
    "BACKENDS",
    "GensimLDA",
    "MiniBatchSklearnNMF",
    "SklearnLDA",
    "SklearnNMF",
    "TopicModel",
    "TopicResult",
    "beta_divergence",
    "build_topic_model",
    "default_params",
    "normalize_rows",
    "top_words_of",
]

BACKENDS: dict[str, dict[str, type[TopicModel]]] = {
    "lda": {"gensim": GensimLDA, "sklearn": SklearnLDA},
    "nmf": {"sklearn": SklearnNMF, "sklearn_minibatch": MiniBatchSklearnNMF},
}


def _model_class(kind: str, backend: str) -> type[TopicModel]:
    if kind not in BACKENDS:
        raise ModelError(f"model.kind must be one of {', '.join(BACKENDS)}; got {kind!r}")
    if backend not in BACKENDS[kind]:
        raise ModelError(f"model.backend for kind {kind!r} must be one of "
                         f"{', '.join(BACKENDS[kind])}; got {backend!r}")
    return BACKENDS[kind][backend]


def default_params(kind: str, backend: str) -> dict[str, Any]:
    """The back-end's settings and their defaults, besides ``num_topics`` and ``seed``
    (what a defaults file should list; a test can compare the two)."""
    cls = _model_class(kind, backend)
    return {name: p.default for name, p in inspect.signature(cls).parameters.items()
            if name not in ("num_topics", "seed")}


def build_topic_model(kind: str, backend: str, num_topics: int, seed: int,
                      key_prefix: str = "model", **params: Any) -> TopicModel:
    """An unfitted topic model, its settings checked now (so that a bad config fails before
    any data is read) and again at ``fit``.

    Raises :class:`ModelError` naming ``model.kind`` / ``model.backend`` (listing the valid
    ones), ``model.num_topics``, ``seed``, or ``<key_prefix>.<param>`` for an unknown or
    out-of-range back-end setting (``key_prefix`` = where the config keeps them).
    """
    cls = _model_class(kind, backend)
    valid = default_params(kind, backend)
    for name in params:
        if name not in valid:
            raise ModelError(f"{key_prefix}.{name} is not a setting of {cls.name}; valid "
                             f"settings: {', '.join(sorted(valid))}")
    model = cls(num_topics=num_topics, seed=seed, **params)
    model.validate_params(key_prefix)
    return model
