"""Topic models on Spark: LDA with Spark ML, NMF from mini-batches streamed to the driver,
document-topic shares, coherence and prevalence by group as distributed work.

Every fitted model is a package :class:`~research.topics.TopicModel` that is saved, loaded
and used without pyspark:

* LDA (:func:`fit_spark_lda`): ``pyspark.ml.clustering.LDA`` (optimizer ``online`` or ``em``)
  on the count rows of the scikit-learn vectoriser (built on the executors as Spark
  ``SparseVector`` s, so the columns are already the vectoriser's alphabetical words). The
  fitted model becomes an ``lda.sklearn`` back-end whose scikit-learn
  ``LatentDirichletAllocation`` holds Spark's variational topics (``topicsMatrix``: lambda for
  the online optimizer; for ``em`` the expected topic counts plus ``eta - 1``, whose rows are
  Spark's MAP topics; its ``toLocal`` takes the bare counts, 0 for a column no document uses) as ``components_`` and Spark's priors as ``doc_topic_prior_``/``topic_word_prior_``,
  so ``transform`` is scikit-learn's variational inference with Spark's topics. scikit-learn
  takes one number for the document prior: when Spark estimated an asymmetric one
  (``optimize_doc_concentration``), the mean of its values is used.
* NMF (:func:`fit_spark_nmf`): Spark has none. The ``nmf.sklearn_minibatch`` back-end learns
  from TF-IDF mini-batches that :func:`research.spark.vectorise.iter_batches` brings to the
  driver a few partitions at a time, several epochs, as :func:`research.stream.topics.fit_online`.

Shares of the corpus' documents come from the fitted model broadcast to the executors
(:func:`doc_topics_spark`); :func:`coherence_spark` sums per-partition co-occurrence counts
(:class:`research.evaluate.coherence.CooccurrenceCounts`) into the very counts of a local
pass; :func:`group_means_spark` is :class:`research.stream.topics.GroupMeans` as a
distributed group-by.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import numpy as np
from scipy.special import psi

from research.errors import ModelError
from research.evaluate import month_of
from research.evaluate.coherence import CooccurrenceCounts
from research.spark.vectorise import (
    MIX_PARTITIONS,
    TRANSFORM_ROWS,
    feature_names,
    iter_batches,
    matrix_blocks,
    matrix_rows,
    sized,
    vector_frame,
)
from research.stream.topics import GroupMeans, scores_from_counts
from research.stream.vectorise import transform_tokens
from research.topics import build_topic_model, normalize_rows
from research.util.batches import batched

__all__ = ["coherence_spark", "doc_topics_spark", "fit_spark_lda", "fit_spark_nmf",
           "group_means_spark", "lda_from_spark", "topic_columns"]



def _plain(vectorizer):
    return getattr(vectorizer, "vectorizer", vectorizer)


def topic_columns(k: int) -> list[str]:
    return [f"topic_{t}" for t in range(k)]


# -- LDA -------------------------------------------------------------------------------------

def fit_spark_lda(frame, vectorizer, k: int, settings: dict[str, Any], seed: int = 42):
    """An ``lda.sklearn`` TopicModel fitted by Spark ML's LDA on ``frame`` (``index``,
    ``tokens``) with the count ``vectorizer`` (scikit-learn, or a SparkVectorizer) and the
    ``topics.lda_spark`` ``settings`` (defaults.yaml holds their defaults)."""
    from pyspark import StorageLevel
    from pyspark.ml.clustering import LDA
    from sklearn.feature_extraction.text import TfidfVectorizer

    names = feature_names(vectorizer)
    vectorizer = _plain(vectorizer)
    if isinstance(vectorizer, TfidfVectorizer) or hasattr(vectorizer, "steps"):
        raise ModelError("vectorizer.kind is 'tfidf' but LDA is a model of word counts; set vectorizer.kind: count")
    s = settings
    if s["optimizer"] not in ("online", "em"):
        raise ModelError(f"topics.lda_spark.optimizer: {s['optimizer']!r}; use online or em")
    features = vector_frame(frame, vectorizer).persist(StorageLevel.MEMORY_AND_DISK)
    try:
        n_docs = features.count()
        lda = LDA(k=int(k), maxIter=int(s["max_iter"]), seed=int(seed), optimizer=s["optimizer"],
                  featuresCol="features", topicDistributionCol="topicDistribution",
                  subsamplingRate=float(s["subsampling_rate"]), learningOffset=float(s["learning_offset"]),
                  learningDecay=float(s["learning_decay"]),
                  optimizeDocConcentration=bool(s["optimize_doc_concentration"]))
        if s["doc_concentration"] is not None:
            lda.setDocConcentration([float(s["doc_concentration"])])
        if s["topic_concentration"] is not None:
            lda.setTopicConcentration(float(s["topic_concentration"]))
        fitted = lda.fit(features)
        topics = np.asarray(fitted.topicsMatrix().toArray(), dtype=np.float64).T     # K x V
        alpha = np.asarray(fitted.estimatedDocConcentration().toArray(), dtype=np.float64)
        param = fitted.getParam("topicConcentration")
        eta = float(fitted.getOrDefault(param)) if fitted.isDefined(param) else -1.0
        if eta <= 0:     # unset or "auto" (-1) on the model: Spark's own choice
            eta = 1.0 / k if s["optimizer"] == "online" else 1.1
        if s["optimizer"] == "em":   # expected counts, 0 for a column no document uses: Spark's MAP
            topics = topics + (eta - 1.0)   # estimate of the topics is proportional to counts + eta - 1
    finally:
        features.unpersist()
    return lda_from_spark(topics, alpha, eta, names, seed, s, n_docs)


def _dirichlet_expectation(lam: np.ndarray) -> np.ndarray:
    return psi(lam) - psi(lam.sum(axis=1))[:, None]


def lda_from_spark(topics: np.ndarray, doc_concentration, topic_concentration: float, vocabulary: Sequence[str],
                   seed: int, settings: dict[str, Any], n_docs: int):
    """The ``lda.sklearn`` TopicModel holding Spark's topics (K x V, lambda) and priors."""
    from sklearn.decomposition import LatentDirichletAllocation
    from sklearn.utils import check_random_state

    k, n_words = topics.shape
    alpha = float(np.mean(doc_concentration))
    eta = float(topic_concentration)
    if not (alpha > 0 and eta > 0 and np.all(np.isfinite(topics)) and np.all(topics > 0)):
        raise ModelError(f"Spark LDA returned unusable topics or priors (doc concentration {alpha}, "
                         f"topic concentration {eta})")
    online = settings["optimizer"] == "online"
    model = build_topic_model(
        "lda.sklearn", k, seed, learning_method="online" if online else "batch",
        max_iter=int(settings["max_iter"]),
        batch_size=max(1, round(float(settings["subsampling_rate"]) * n_docs)) if online else 128,
        learning_decay=float(settings["learning_decay"]), learning_offset=max(1.0, float(settings["learning_offset"])),
        doc_topic_prior=alpha, topic_word_prior=eta)
    lda = LatentDirichletAllocation(
        n_components=k, doc_topic_prior=alpha, topic_word_prior=eta, learning_method=model.learning_method,
        learning_decay=model.learning_decay, learning_offset=model.learning_offset, max_iter=model.max_iter,
        batch_size=model.batch_size, mean_change_tol=model.mean_change_tol,
        max_doc_update_iter=model.max_doc_update_iter, random_state=seed)
    lda.components_ = np.ascontiguousarray(topics, dtype=np.float64)
    lda.exp_dirichlet_component_ = np.exp(_dirichlet_expectation(lda.components_))
    lda.doc_topic_prior_ = alpha
    lda.topic_word_prior_ = eta
    lda.n_features_in_ = n_words
    lda.n_iter_ = int(settings["max_iter"])
    lda.n_batch_iter_ = int(settings["max_iter"]) + 1
    lda.random_state_ = check_random_state(seed)
    lda.bound_ = np.float64(np.nan)
    model.model_ = lda
    model.n_features_in_ = n_words
    model.topic_word_ = normalize_rows(topics)
    model.doc_topic_ = np.empty((0, k))
    model.vocabulary_ = list(vocabulary)
    if len(model.vocabulary_) != n_words:
        raise ModelError(f"Spark LDA has {n_words} words but the vectoriser {len(model.vocabulary_)}")
    return model


# -- NMF -------------------------------------------------------------------------------------

def fit_spark_nmf(model, frame, vectorizer, epochs: int, batch_size: int, seed: int,
                  rows_per_partition: int | None = 5000, log: Callable[[str], None] | None = None):
    """``model.partial_fit`` (an unfitted online back-end, ``nmf.sklearn_minibatch``) over the
    vectoriser's rows of ``frame``, streamed to the driver in mini-batches of ``batch_size``,
    ``epochs`` times (:func:`research.spark.vectorise.iter_batches`: partitions of about
    ``rows_per_partition`` rows, :data:`MIX_PARTITIONS` at a time, in a seeded order); the
    driver holds the model and a few partitions, whatever the number of documents."""
    from pyspark import StorageLevel

    vocabulary = feature_names(vectorizer)
    vectorizer = _plain(vectorizer)
    rows = matrix_rows(sized(frame, rows_per_partition), vectorizer)
    blocks = matrix_blocks(rows, len(vocabulary)).persist(StorageLevel.MEMORY_AND_DISK)
    try:
        n_train = int(blocks.map(lambda b: b[2].shape[0]).sum())
        if n_train == 0:
            raise ModelError("no documents to fit the topic model on")
        done = 0
        for X in iter_batches(blocks, batch_size, seed, epochs, MIX_PARTITIONS):
            model.partial_fit(X, feature_names=vocabulary, stream_documents=n_train)
            done += X.shape[0]
            if log is not None and done % n_train == 0:
                log(f"fit: epoch {done // n_train} of {epochs} done")
    finally:
        blocks.unpersist()
    return model


# -- document-topic shares -------------------------------------------------------------------

def _shares_partition(bc, columns: list[str]) -> Callable[[Iterable], Iterator[tuple]]:
    def run(rows: Iterable) -> Iterator[tuple]:
        vectorizer, model = bc.value
        for batch in batched(rows, TRANSFORM_ROWS):
            X = transform_tokens(vectorizer, [list(r[1] or ()) for r in batch])
            shares = model.transform(X)
            for r, s in zip(batch, shares.tolist(), strict=True):
                yield (int(r[0]), *[r[2 + j] for j in range(len(columns))], *s)
    return run


def doc_topics_spark(frame, vectorizer, model, columns: Sequence[str] = ("id", "outlet", "label", "date")):
    """A DataFrame ``index``, the ``columns`` of ``frame`` it has (as strings) and
    ``topic_0 .. topic_{K-1}``: each document's topic shares from ``model.transform`` of its
    row, computed on the executors with the fitted vectoriser and model broadcast."""
    from pyspark.sql.types import DoubleType, LongType, StringType, StructField, StructType

    vectorizer = _plain(vectorizer)
    present = [c for c in columns if c in frame.columns]
    k = int(model.num_topics)
    schema = StructType([StructField("index", LongType(), False)]
                        + [StructField(c, StringType(), True) for c in present]
                        + [StructField(c, DoubleType(), False) for c in topic_columns(k)])
    source = frame.select("index", "tokens", *[frame[c].cast("string").alias(c) for c in present])
    bc = frame.sparkSession.sparkContext.broadcast((vectorizer, model))
    return frame.sparkSession.createDataFrame(source.rdd.mapPartitions(_shares_partition(bc, present)), schema)


# -- evaluation ------------------------------------------------------------------------------

def _count_partition(words: list[str], measures: list[str], chunk: int) -> Callable[[Iterable], Iterator[dict]]:
    def run(rows: Iterable) -> Iterator[dict]:
        counters = {m: CooccurrenceCounts(words, m) for m in measures}
        for batch in batched(rows, chunk):
            texts = [list(row[0] or ()) for row in batch]
            for c in counters.values():
                c.update(texts)
        yield {m: (c.counts, c.num_units, c.num_texts) for m, c in counters.items()}
    return run


def _add_counts(a: dict, b: dict) -> dict:
    return {m: (a[m][0] + b[m][0], a[m][1] + b[m][1], a[m][2] + b[m][2]) for m in a}


def coherence_spark(frame, topic_sets: list[list[list[str]]], measures: Sequence[str], top_n: int,
                    chunk_documents: int = 2000) -> list[dict[str, Any]]:
    """:func:`research.stream.topics.coherence_scores` over ``frame``'s ``tokens``: each
    partition counts the topic words' co-occurrences, the driver adds the (integer) counts
    and scores them with the same formulas: the same values as one local pass."""
    words = [w for topics in topic_sets for topic in topics for w in topic]
    measures = list(measures)
    totals = (frame.select("tokens").rdd.mapPartitions(_count_partition(words, measures, chunk_documents))
              .treeReduce(_add_counts))
    counters = {}
    for m in measures:
        counter = CooccurrenceCounts(words, m)
        counter.counts, counter.num_units, counter.num_texts = (np.asarray(totals[m][0], dtype=np.int64),
                                                                int(totals[m][1]), int(totals[m][2]))
        counters[m] = counter
    return scores_from_counts(counters, topic_sets, top_n)


def _group_partition(month: bool) -> Callable[[Iterable], Iterator[tuple]]:
    def run(rows: Iterable) -> Iterator[tuple]:
        sums: dict = {}
        counts: dict = {}
        rows = list(rows)
        values = [r[0] for r in rows]
        keys = month_of(values) if month else values
        for key, r in zip(keys, rows, strict=True):
            if key is None or (isinstance(key, float) and key != key):
                continue
            shares = np.asarray(r[1:], dtype=np.float64)
            sums[key] = sums.get(key, 0) + shares
            counts[key] = counts.get(key, 0) + 1
        for key, total in sums.items():
            yield key, (total, counts[key])
    return run


def group_means_spark(doc_topics_frame, column: str, k: int):
    """Mean topic share per value of ``column`` (``outlet``, ``label``, ... or ``month``, the
    ``"YYYY-MM"`` of ``date`` as :func:`research.evaluate.month_of` reads it), documents without
    a value left out: the table of :meth:`research.stream.topics.GroupMeans.table`, from a
    distributed group-by of ``doc_topics_frame`` (:func:`doc_topics_spark`)."""
    source = "date" if column == "month" else column
    rdd = doc_topics_frame.select(source, *topic_columns(k)).rdd
    reduced = (rdd.mapPartitions(_group_partition(column == "month"))
               .reduceByKey(lambda a, b: (a[0] + b[0], a[1] + b[1])).collect())
    means = GroupMeans(k)
    for key, (total, n) in reduced:
        means.sums[key] = total
        means.counts[key] = int(n)
    return means.table()
