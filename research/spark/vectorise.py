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

With ``vectorizer.hashing: N`` there is no vocabulary: :func:`fit_spark_vectorizer` hashes the
words into N columns and fits Spark ML's ``IDF`` on the hashed counts. The hashing is
scikit-learn's ``HashingVectorizer`` (run on the executors), not Spark's ``HashingTF``: the two
use different murmur3 seeds, and only scikit-learn's lets the saved vectoriser (a
``HashingVectorizer``, or a ``Pipeline`` of it and a ``TfidfTransformer`` holding Spark's idf
weights) give the run's matrix on new text with scikit-learn alone. Each column is named after
its most frequent word (a distributed word count, then the best word per column), so topics
still print words; ``hash_collisions`` counts the columns that hold more than one word.

pyspark is imported inside the functions: this module imports without it.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse

from research.errors import ConfigError
from research.stream.vectorise import text_step, transform_tokens, vectorizer_from_frequencies
from research.util.batches import batched

__all__ = ["MIX_PARTITIONS", "SparkVectorizer", "check_hashing", "feature_names", "fit_spark_vectorizer", "hashing_vectorizer",
           "iter_batches", "matrix_blocks", "matrix_rows", "n_columns", "sized", "vector_frame"]

MIX_PARTITIONS = 4     # partitions fetched and shuffled together (research.stream.topics.MIX_PARTS)
TRANSFORM_ROWS = 2000  # documents transformed together on an executor


@dataclass
class SparkVectorizer:
    """A vectoriser fitted from Spark counts: ``vectorizer`` is the plain, fitted scikit-learn
    ``CountVectorizer``/``TfidfVectorizer`` (what a run saves), or with hashing the
    ``HashingVectorizer`` (and ``TfidfTransformer``) pipeline; ``n_documents`` the documents
    counted; ``words_counted`` the distinct words before ``min_df``/``max_df``/``max_features``;
    ``names`` the hashed columns' names (their most frequent word) and ``collisions`` the
    columns holding more than one word."""

    vectorizer: Any
    n_documents: int
    words_counted: int
    names: list[str] | None = None
    collisions: int = 0
    used: int = 0

    @property
    def vocabulary(self) -> list[str]:
        if self.names is not None:
            return list(self.names)
        return [str(w) for w in self.vectorizer.get_feature_names_out()]

    @property
    def n_features(self) -> int:
        if self.names is not None:
            return len(self.names)
        return len(self.vectorizer.vocabulary_)


def feature_names(vectorizer) -> list[str]:
    """The words of the matrix columns: a SparkVectorizer's vocabulary (with hashing, the
    columns' names), a scikit-learn vectoriser's ``get_feature_names_out``, or ``#i`` for the
    columns of a bare hashing vectoriser."""
    if isinstance(vectorizer, SparkVectorizer):
        return vectorizer.vocabulary
    reader = text_step(vectorizer)
    if hasattr(reader, "vocabulary_"):
        return [str(w) for w in reader.get_feature_names_out()]
    return [f"#{i}" for i in range(int(reader.n_features))]


def n_columns(vectorizer) -> int:
    """The number of matrix columns (of :func:`feature_names`, without building the names)."""
    if isinstance(vectorizer, SparkVectorizer):
        return vectorizer.n_features
    reader = text_step(vectorizer)
    return len(reader.vocabulary_) if hasattr(reader, "vocabulary_") else int(reader.n_features)


def hashing_vectorizer(settings: dict[str, Any], token_pattern: str, lowercase: bool):
    """The unfitted scikit-learn ``HashingVectorizer`` of ``vectorizer.hashing`` (counts into
    that many columns; no sign flipping, no norm: the TF-IDF step comes after)."""
    from sklearn.feature_extraction.text import HashingVectorizer

    return HashingVectorizer(n_features=int(settings["hashing"]), token_pattern=token_pattern, lowercase=lowercase,
                             binary=bool(settings["binary"]), norm=None, alternate_sign=False, dtype=np.float64)


def fit_spark_vectorizer(frame, settings: dict[str, Any], token_pattern: str, lowercase: bool) -> SparkVectorizer:
    """Fit the ``vectorizer:`` settings on ``frame`` (a DataFrame with an ``array<string>``
    column ``tokens``, one row per kept document); see the module docstring."""
    from pyspark.ml.feature import IDF, CountVectorizer
    from pyspark.ml.stat import Summarizer

    if settings.get("hashing"):
        return _fit_hashing(frame, settings, token_pattern, lowercase)
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


def check_hashing(settings: dict[str, Any]) -> None:
    """Refuse vocabulary pruning with ``vectorizer.hashing`` (there is no vocabulary to prune)."""
    defaults = {"min_df": 1, "max_df": 1.0, "max_features": None}
    changed = [f"{k}: {settings[k]}" for k, v in defaults.items() if settings.get("hashing") and settings[k] != v]
    if changed:
        raise ConfigError(f"vectorizer.{changed[0]} prunes a vocabulary but vectorizer.hashing keeps every word; "
                          f"leave min_df: 1, max_df: 1.0, max_features: null or set hashing: null")


def _fit_hashing(frame, settings: dict[str, Any], token_pattern: str, lowercase: bool) -> SparkVectorizer:
    from pyspark import StorageLevel
    from pyspark.ml.feature import IDF
    from sklearn.feature_extraction.text import TfidfTransformer
    from sklearn.pipeline import Pipeline

    check_hashing(settings)
    hasher = hashing_vectorizer(settings, token_pattern, lowercase)
    names, used, collisions, words = _bucket_names(frame, hasher)
    if settings["kind"] != "tfidf":
        return SparkVectorizer(hasher, frame.count(), words, names, collisions, used)
    tfidf = TfidfTransformer(norm=settings["norm"], use_idf=settings["use_idf"], smooth_idf=settings["smooth_idf"],
                             sublinear_tf=settings["sublinear_tf"])
    tfidf.n_features_in_ = hasher.n_features
    if settings["use_idf"]:
        counts = vector_frame(frame, hasher).persist(StorageLevel.MEMORY_AND_DISK)
        try:
            idf = IDF(inputCol="features", outputCol="_idf").fit(counts)
            dfs = np.asarray(idf.docFreq, dtype=np.float64)
            n_docs = int(idf.numDocs)
        finally:
            counts.unpersist()
        smooth = int(bool(settings["smooth_idf"]))
        tfidf.idf_ = np.log((n_docs + smooth) / (dfs + smooth)) + 1.0   # scikit-learn's formula, not Spark's
    else:
        n_docs = frame.count()
    return SparkVectorizer(Pipeline([("hash", hasher), ("tfidf", tfidf)]), n_docs, words, names, collisions, used)


def _word_counts(rows: Iterable) -> Iterator[tuple[str, int]]:
    counts: Counter = Counter()
    for row in rows:
        counts.update(row[0] or ())
    yield from counts.items()


def _best_word(hasher_bc) -> Callable[[Iterable], Iterator[tuple[int, tuple[int, str, int]]]]:
    def run(pairs: Iterable) -> Iterator[tuple[int, tuple[int, str, int]]]:
        hasher = hasher_bc.value
        for batch in batched(pairs, TRANSFORM_ROWS):
            X = transform_tokens(hasher, [[w] for w, _ in batch])
            for (word, count), column in zip(batch, X.indices.tolist(), strict=True):
                yield column, (-int(count), word, 1)
    return run


def _bucket_names(frame, hasher) -> tuple[list[str], int, int, int]:
    """Each hashed column's most frequent word (ties: the alphabetically first), the columns
    used, the columns holding more than one word and the distinct words: a distributed word
    count, then one row per used column back to the driver (bounded by ``hashing``)."""
    from operator import add

    hasher_bc = frame.sparkSession.sparkContext.broadcast(hasher)
    best = (frame.select("tokens").rdd.mapPartitions(_word_counts).reduceByKey(add)
            .mapPartitions(_best_word(hasher_bc))
            .reduceByKey(lambda a, b: (*min(a[:2], b[:2]), a[2] + b[2])).collect())
    names = [f"#{i}" for i in range(int(hasher.n_features))]
    for column, (_, word, _n) in best:
        names[column] = word
    return names, len(best), sum(1 for _, v in best if v[2] > 1), sum(v[2] for _, v in best)


def vector_frame(frame, vectorizer):
    """A DataFrame ``(index, features)`` of the vectoriser's rows of ``frame``'s tokens as Spark
    SparseVectors (columns in the vectoriser's order)."""
    from pyspark.ml.linalg import SparseVector, VectorUDT
    from pyspark.sql.types import LongType, StructField, StructType

    n_features = n_columns(vectorizer)
    rows = matrix_rows(frame, vectorizer).map(
        lambda r: (r[0], SparseVector(n_features, r[1].tolist(), r[2].astype(np.float64).tolist())))
    schema = StructType([StructField("index", LongType(), False), StructField("features", VectorUDT(), False)])
    return frame.sparkSession.createDataFrame(rows, schema)


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
        for batch in batched(rows, TRANSFORM_ROWS):
            X = transform_tokens(vectorizer, [list(row[1] or ()) for row in batch])
            for row, a, b in zip(batch, X.indptr[:-1].tolist(), X.indptr[1:].tolist(), strict=True):
                yield int(row[0]), X.indices[a:b].copy(), X.data[a:b].copy()
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
