"""The vocabulary with Spark ML, and the matrix rows computed on the executors.

:func:`fit_spark_vectorizer` counts every word's document frequency with Spark ML
(``CountVectorizer`` with ``minDF=1`` over the token arrays, then ``IDF``, whose model holds
``docFreq`` and ``numDocs``) and its total count with a distributed sum of the count vectors
(``Summarizer``; not needed when ``vectorizer.binary``), then chooses the vocabulary exactly as
scikit-learn does (:func:`research.stream.vectorise.vectorizer_from_frequencies`): the saved
vectoriser is the plain scikit-learn ``CountVectorizer``/``TfidfVectorizer`` a local run saves,
and its ``transform`` gives the same matrix.

:func:`matrix_rows` transforms the tokens on the executors with that vectoriser (broadcast,
:func:`research.stream.vectorise.transform_tokens`), so the Spark engine's matrix is the local
engine's row for row; :func:`iter_batches` brings the rows to the driver a few partitions at
a time (bounded memory), as scipy CSR mini-batches in a seeded order that changes every epoch.

pyspark is imported inside the functions: this module imports without it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse

from research.stream.vectorise import transform_tokens, vectorizer_from_frequencies

__all__ = ["MIX_PARTITIONS", "SparkVectorizer", "fit_spark_vectorizer", "iter_batches", "matrix_blocks",
           "matrix_rows", "sized"]

MIX_PARTITIONS = 4     # partitions fetched and shuffled together (research.stream.topics.MIX_PARTS)
TRANSFORM_ROWS = 2000  # documents transformed together on an executor


@dataclass
class SparkVectorizer:
    """A vectoriser fitted from Spark counts: ``vectorizer`` is the plain, fitted scikit-learn
    ``CountVectorizer``/``TfidfVectorizer`` (what a run saves); ``n_documents`` the documents
    counted; ``words_counted`` the distinct words before ``min_df``/``max_df``/``max_features``."""

    vectorizer: Any
    n_documents: int
    words_counted: int

    @property
    def vocabulary(self) -> list[str]:
        return [str(w) for w in self.vectorizer.get_feature_names_out()]

    @property
    def n_features(self) -> int:
        return len(self.vectorizer.vocabulary_)


def fit_spark_vectorizer(frame, settings: dict[str, Any], token_pattern: str, lowercase: bool) -> SparkVectorizer:
    """Fit the ``vectorizer:`` settings on ``frame`` (a DataFrame with an ``array<string>``
    column ``tokens``, one row per kept document); see the module docstring."""
    from pyspark.ml.feature import IDF, CountVectorizer
    from pyspark.ml.stat import Summarizer

    counter = CountVectorizer(inputCol="tokens", outputCol="_counts", minDF=1.0, minTF=1.0,
                              vocabSize=2**31 - 1, binary=False)
    model = counter.fit(frame)
    words = [str(w) for w in model.vocabulary]
    counts = model.transform(frame.select("tokens")).select("_counts").persist()
    try:
        idf = IDF(inputCol="_counts", outputCol="_idf").fit(counts)
        dfs = np.asarray(idf.docFreq, dtype=np.int64)
        n_docs = int(idf.numDocs)
        tfs = None
        if not settings["binary"] and settings["max_features"] is not None and words:
            total = counts.select(Summarizer.sum(counts["_counts"]).alias("s")).first()
            assert total is not None
            tfs = np.rint(np.asarray(total["s"].toArray(), dtype=np.float64)).astype(np.int64)
    finally:
        counts.unpersist()
    fitted = vectorizer_from_frequencies(words, dfs, tfs, n_docs, settings, token_pattern, lowercase)
    return SparkVectorizer(fitted, n_docs, len(words))


def sized(frame, rows_per_partition: int | None):
    """``frame`` cut into contiguous ranges of ``index`` of about ``rows_per_partition`` rows
    when its partitions are larger (None: as it is)."""
    if rows_per_partition is None:
        return frame
    want = max(1, math.ceil(frame.count() / int(rows_per_partition)))
    if frame.rdd.getNumPartitions() >= want:
        return frame
    return frame.repartitionByRange(want, "index")


def _transform_partition(vectorizer_bc) -> Callable[[Iterable], Iterator[tuple[int, np.ndarray, np.ndarray]]]:
    def run(rows: Iterable) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
        vectorizer = vectorizer_bc.value
        index: list[int] = []
        tokens: list[list[str]] = []

        def flush():
            X = transform_tokens(vectorizer, tokens)
            for i, (a, b) in enumerate(zip(X.indptr[:-1].tolist(), X.indptr[1:].tolist(), strict=True)):
                yield index[i], X.indices[a:b].copy(), X.data[a:b].copy()

        for row in rows:
            index.append(int(row[0]))
            tokens.append(list(row[1] or ()))
            if len(index) >= TRANSFORM_ROWS:
                yield from flush()
                index, tokens = [], []
        if index:
            yield from flush()
    return run


def matrix_rows(frame, vectorizer):
    """An RDD of ``(index, column indices, values)``: each document's row of the matrix, as
    ``vectorizer.transform`` (the fitted scikit-learn vectoriser, broadcast) gives it on the
    executors from its tokens -- the local engine's row, exactly."""
    vectorizer = getattr(vectorizer, "vectorizer", vectorizer)
    bc = frame.sparkSession.sparkContext.broadcast(vectorizer)
    return frame.select("index", "tokens").rdd.mapPartitions(_transform_partition(bc))


def _pack(n_features: int) -> Callable[[int, Iterable], Iterator[tuple[int, np.ndarray, sparse.csr_matrix]]]:
    def run(partition: int, rows: Iterable) -> Iterator[tuple[int, np.ndarray, sparse.csr_matrix]]:
        found = sorted(rows, key=lambda r: r[0])     # corpus order within the partition
        if not found:
            return
        lengths = [len(r[1]) for r in found]
        indptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        X = sparse.csr_matrix((np.concatenate([r[2] for r in found]), np.concatenate([r[1] for r in found]), indptr),
                              shape=(len(found), n_features))
        yield partition, np.asarray([r[0] for r in found], dtype=np.int64), X
    return run


def matrix_blocks(rows, n_features: int):
    """The rows of :func:`matrix_rows` packed per partition: one ``(partition, index array,
    CSR block)`` each, rows in corpus order."""
    return rows.mapPartitionsWithIndex(_pack(n_features))


def iter_batches(blocks, batch_size: int, seed: int, epochs: int = 1,
                 mix: int = MIX_PARTITIONS) -> Iterator[sparse.csr_matrix]:
    """CSR mini-batches of ``batch_size`` rows from ``blocks`` (:func:`matrix_blocks`, best
    persisted), ``epochs`` times. Each epoch takes the partitions in a seeded random order,
    ``mix`` at a time (fetched to the driver with one job: memory is bounded by ``mix``
    partitions, as ``toLocalIterator`` bounds it by one), and shuffles their rows together --
    as :func:`research.stream.topics.fit_online` does with matrix parts: with the same parts
    (partitions of the same rows) and seed, the very same mini-batches."""
    sc = blocks.context
    rng = np.random.default_rng(seed)
    n_parts = blocks.getNumPartitions()
    for _ in range(epochs):
        order = rng.permutation(n_parts).tolist()
        for start in range(0, n_parts, mix):
            group = order[start:start + mix]
            fetched = sc.runJob(blocks, lambda it: it, group)
            if not fetched:
                continue
            fetched.sort(key=lambda b: group.index(b[0]))   # the group's order, however the job returned them
            X = sparse.vstack([b[2] for b in fetched]).tocsr()
            X = X[rng.permutation(X.shape[0])]
            for a in range(0, X.shape[0], batch_size):
                yield X[a:a + batch_size]
