"""Topic models: scikit-learn estimators behind one interface and one result type.

For researchers: :class:`LDA` and :class:`NMF` (``backend=`` picks the library), usable in a
scikit-learn ``Pipeline`` and ``GridSearchCV``; :func:`topic_words` reads a fitted model's
or pipeline's topics. Underneath, every back-end is registered in :data:`TOPIC_BACKENDS`
under ``"<family>.<backend>"``; ``fit(X, feature_names=...)`` returns the model with
``topic_word_`` (K x V, rows sum to 1), ``doc_topic_`` (N x K, rows sum to 1) and
``vocabulary_``; ``transform(X_new)`` gives topic shares of new documents; ``result()`` a
plain :class:`TopicResult` for evaluation and figures.

    name                   class                 module   X
    lda.gensim             GensimLDA             lda.py   counts
    lda.sklearn            SklearnLDA            lda.py   counts
    lda.tomotopy           TomotopyLDA           tomotopy_lda.py  counts (optional extra)
    nmf.sklearn            SklearnNMF            nmf.py   TF-IDF (or counts)
    nmf.sklearn_minibatch  MiniBatchSklearnNMF   nmf.py   TF-IDF (or counts)
    embed.sklearn          EmbeddingTopics       embed.py counts or TF-IDF (optional extra)

A new back-end is a module that registers its class (``@TOPIC_BACKENDS.register(...)``),
a section ``topics.<family>_<backend>`` in ``research/config/defaults.yaml`` and an import
in :data:`BACKEND_MODULES` below.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from research.errors import ParameterError
from research.topics._base import TOPIC_BACKENDS, TopicModel, TopicResult, normalize_rows, top_words_of
from research.topics.estimators import LDA, NMF, backend_params, topic_words
from research.topics.labels import topic_labels
from research.topics.merge import MergedTopicModel, merge_groups

BACKEND_MODULES = ("research.topics.lda", "research.topics.tomotopy_lda", "research.topics.nmf",
                   "research.topics.embed")
for _module in BACKEND_MODULES:  # each registers its back-ends in TOPIC_BACKENDS
    import_module(_module)

from research.topics.lda import GensimLDA, SklearnLDA  # noqa: E402
from research.topics.nmf import MiniBatchSklearnNMF, SklearnNMF, beta_divergence  # noqa: E402
from research.topics.tomotopy_lda import TomotopyLDA  # noqa: E402

__all__ = [
    "LDA",
    "NMF",
    "TOPIC_BACKENDS",
    "GensimLDA",
    "MergedTopicModel",
    "MiniBatchSklearnNMF",
    "SklearnLDA",
    "SklearnNMF",
    "TomotopyLDA",
    "TopicModel",
    "TopicResult",
    "backend_params",
    "beta_divergence",
    "build_topic_model",
    "merge_groups",
    "normalize_rows",
    "top_words_of",
    "topic_labels",
    "topic_words",
]


def build_topic_model(name: str, num_topics: int, seed: int, **params: Any) -> TopicModel:
    """An unfitted back-end ``name`` ("nmf.sklearn"), its settings checked now (so that a bad
    config fails before any data is read) and again at ``fit``.

    Raises :class:`ParameterError` naming ``backend`` (listing the registered ones),
    ``num_topics``, ``seed`` or the back-end's setting; the caller re-raises it with
    :meth:`ParameterError.at` to name the config key.
    """
    cls = TOPIC_BACKENDS.get(name, "backend")
    valid = backend_params(name)
    for key in params:
        if key not in valid:
            raise ParameterError(key, f"a setting of {name} ({', '.join(valid)})", key)
    model = cls(num_topics=num_topics, seed=seed, **params)
    model.validate_params()
    return model
