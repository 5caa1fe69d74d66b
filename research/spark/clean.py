"""Cleaning on Apache Spark: :func:`research.clean.cleaner.clean_corpus` with the same result,
document by document, on a Spark DataFrame of documents.

:func:`clean_spark` runs the local engine's steps:

1. per document, on the executors (``mapPartitions``, the fitted
   :class:`~research.clean.pipeline.TextPipeline` broadcast once): repair, furniture, links,
   repeated paragraphs, token segments, and the hashes the corpus steps need (each text's word
   digest and distinct 5-shingle hashes, its segment key hashes), by
   :func:`~research.clean.cleaner.pass_chunk` on sub-chunks of each partition;
2. corpus level, with Spark joins and grouped counts (no text or shingle goes to the driver):

   - exact duplicates: a group-by on the digest, the lowest ``index`` being the original
     (documents without words, an empty digest, are never exact duplicates);
   - near duplicates: the exact shingle join of :func:`research.clean.dedup._near_pairs`:
     ``(index, shingle)`` of the documents that are not exact copies, each shingle's document
     frequency, shingles in more than ``max(100, 1% of those documents)`` dropped (the sizes
     count the rest), shingles of one document left out of the join, a self-join on the
     shingle counting the shared ones per pair; only ``(a, b, shared, size_a, size_b)`` of the
     pairs near the threshold are collected, and the containment is computed and rounded on the
     driver in float64 exactly as the local engine does;
   - the pairs are few: their clusters (:func:`~research.clean.dedup.cluster_labels` over the
     documents in a pair) and :func:`~research.clean.dedup.assign_duplicates` run on the driver;
   - repeated template lines: distinct clusters per (outlet, key hash) and per outlet, grouped
     counts with the rule of :func:`~research.clean.templates.find_repeated_segments`; the
     (small) repeated set is broadcast and the documents holding one of its keys are cleaned
     again on the executors (:func:`~research.clean.templates.drop_repeated_segments`); when
     any changed, the duplicates are searched again on the new texts;

3. phrases (``clean.tokens.phrases.enabled``) from the kept documents' token segments: gensim's
   unigram and bigram counts made per partition on the executors and summed by key; the summed
   vocabulary is streamed to the driver (``toLocalIterator()``) and scored and frozen there by
   gensim (its scoring needs the whole vocabulary, as in the local engine). Past gensim's
   ``max_vocab_size`` (40 million entries, where gensim prunes in reading order) the segments
   themselves are streamed to the driver in corpus order and fitted there instead;
4. tokens and records on the executors (phrases broadcast), ``min_tokens``, and the summary
   from Spark aggregations.

The input frame is read up to four times (the first pass, the raw texts of the documents
cleaned again for templates, the ids of the documents in duplicate pairs, the passthrough
columns of the result): persist it first when it is costly to compute. The Python workers must
run an interpreter with the package's dependencies (``PYSPARK_PYTHON``).

pyspark is imported inside the functions: this module imports without it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from research.clean.cleaner import (
    TextPipeline,
    fail_no_documents,
    pack_segments,
    pass_chunk,
    pass_options,
    unpack_segments,
)
from research.clean.dedup import MIN_SHINGLES, DuplicatePair, assign_duplicates, cluster_labels, shingle_entries
from research.clean.pipeline import check_settings
from research.clean.settings import choice, get_setting
from research.clean.templates import drop_repeated_segments
from research.clean.tokens import apply_phrases, learn_phrases
from research.errors import CleaningError
from research.util.batches import batched

__all__ = ["SparkCleaning", "clean_spark", "near_pairs_spark", "repeated_segments_spark"]

CHUNK_DOCS = 100            # texts per pass_chunk call inside a partition
_UINT64 = 0xFFFF_FFFF_FFFF_FFFF
_SLACK = 1e-9               # the Spark-side similarity filter is this lenient; the driver decides exactly

RECORD_COLUMNS = ("text", "tokens", "chars_before", "chars_after", "lines_removed", "paragraphs_removed",
                  "repeated_paragraphs_kept", "junk_removed", "links_removed", "duplicate_of",
                  "duplicate_similarity", "kept", "drop_reason", "n_tokens")


@dataclass
class SparkCleaning:
    """What :func:`clean_spark` returns.

    ``frame``: one row per input document, ordered by ``index``: the input's columns other than
    ``text`` unchanged, then ``text`` (the cleaned text), ``tokens`` (the final tokens, empty
    for a dropped document) and the fields of :func:`~research.clean.cleaner.clean_corpus`'s
    records (``lines_removed``, ``paragraphs_removed`` and ``repeated_paragraphs_kept`` as JSON
    strings). It is persisted: call ``frame.unpersist()`` (or :meth:`unpersist`) when done.
    ``duplicate_pairs``, ``summary`` and ``pipeline`` are those of ``clean_corpus``.
    """

    frame: Any
    duplicate_pairs: list[dict]
    summary: dict
    pipeline: TextPipeline = field(repr=False)
    documents_in: int = 0
    documents_kept: int = 0
    _persisted: list = field(default_factory=list, repr=False)

    def unpersist(self) -> None:
        for frame in self._persisted:
            frame.unpersist()
        self._persisted.clear()


# ---------------------------------------------------------------- executors


def _signed(values: np.ndarray) -> list[int]:
    """uint64 hashes as Spark longs (the same 64 bits)."""
    return values.astype(np.uint64, copy=False).view(np.int64).tolist()


def _first_pass(rows: Iterable, pipeline_bc: Any, options: dict) -> Iterator[tuple]:
    """Per partition: :func:`pass_chunk` on sub-chunks; one state row per document."""
    pipeline = pipeline_bc.value
    for chunk in batched(rows, CHUNK_DOCS):
        texts = [row["text"] or "" for row in chunk]
        for row, raw, p in zip(chunk, texts, pass_chunk(texts, pipeline, options), strict=True):
            digest, shingles = p.shingles if p.shingles is not None else (b"", np.empty(0, dtype=np.uint64))
            keys = p.keys if p.keys is not None else np.empty(0, dtype=np.uint64)
            yield (row["index"], row["outlet"], len(raw), p.text, p.tokens, json.dumps(p.removed),
                   json.dumps(p.found), int(p.junk), int(p.links), digest.hex(), _signed(shingles),
                   _signed(keys))


def _reclean(rows: Iterable, pipeline_bc: Any, repeated_bc: Any, options: dict) -> Iterator[tuple]:
    """Per partition: documents holding a repeated template key, cleaned again without those
    lines (as ``_repeated_lines`` in the cleaner); only the ones that changed come out."""
    pipeline = pipeline_bc.value
    repeated = repeated_bc.value
    plain = {**options, "keys": False, "shingles": False}
    for chunk in batched(rows, CHUNK_DOCS):
        passes = pass_chunk([row["raw"] or "" for row in chunk], pipeline, plain)
        changed = []
        for row, p in zip(chunk, passes, strict=True):
            if drop_repeated_segments(p.cleaned, row["outlet"], repeated):  # type: ignore[arg-type]
                text = p.cleaned.text()  # type: ignore[union-attr]
                changed.append((row, p, text))
        if not changed:
            continue
        entries = (shingle_entries([text for _, _, text in changed]) if options["shingles"]
                   else [(b"", np.empty(0, dtype=np.uint64))] * len(changed))
        for (row, p, text), (digest, shingles) in zip(changed, entries, strict=True):
            yield (row["index"], row["outlet"], row["chars_before"], text,
                   pack_segments(pipeline.segments(text)), json.dumps(p.removed), row["found"],
                   row["junk"], row["links"], digest.hex(), _signed(shingles), row["keys"])


def _final_rows(rows: Iterable, pipeline_bc: Any, mode: str, min_tokens: int) -> Iterator[tuple]:
    """Per partition: each document's tokens (phrases applied) and record fields."""
    pipeline = pipeline_bc.value
    phrases = getattr(pipeline, "phrases_", None)
    for row in rows:
        removed = json.loads(row["removed"])
        found = row["found"]
        n_found = len(json.loads(found)) if mode == "drop" else 0
        kept, reason, tokens, n_tokens = True, None, [], 0
        if row["dup_drop"]:
            kept, reason = False, "duplicate"
        else:
            tokens = apply_phrases(unpack_segments(row["tokens"]), phrases)
            n_tokens = len(tokens)
            if n_tokens < min_tokens:
                kept, reason, tokens = False, "too_few_tokens", []
        yield (row["index"], row["text"], tokens, row["chars_before"], len(row["text"]), row["removed"],
               found if mode == "drop" else "[]", found if mode == "keep" else "[]",
               row["junk"], row["links"], row["duplicate_of"], row["duplicate_similarity"],
               kept, reason, n_tokens, [r["reason"] for r in removed], n_found)


# ---------------------------------------------------------------- corpus steps


def _state_schema():
    from pyspark.sql import types as T

    return T.StructType([
        T.StructField("index", T.LongType(), False), T.StructField("outlet", T.StringType(), True),
        T.StructField("chars_before", T.LongType(), False), T.StructField("text", T.StringType(), False),
        T.StructField("tokens", T.StringType(), False), T.StructField("removed", T.StringType(), False),
        T.StructField("found", T.StringType(), False), T.StructField("junk", T.LongType(), False),
        T.StructField("links", T.LongType(), False), T.StructField("digest", T.StringType(), False),
        T.StructField("shingles", T.ArrayType(T.LongType(), False), False),
        T.StructField("keys", T.ArrayType(T.LongType(), False), False)])


def near_pairs_spark(docs, threshold: float) -> list[DuplicatePair]:
    """:func:`research.clean.dedup.find_duplicates` over a DataFrame of ``index`` (long),
    ``digest`` (hex, "" without words) and ``shingles`` (array<long>: the distinct shingle
    hashes): every exact and near-duplicate pair, sorted by (a, b). Only the pairs (and, for
    near ones, their shared/size counts) reach the driver."""
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    docs = docs.select("index", "digest", "shingles")
    firsts = (docs.filter(F.col("digest") != "").groupBy("digest")
              .agg(F.min("index").alias("first")))
    tagged = docs.join(firsts, "digest", "left").persist(StorageLevel.MEMORY_AND_DISK)
    try:
        exact = [DuplicatePair(int(r["first"]), int(r["index"]), 1.0, "exact") for r in
                 tagged.filter(F.col("first").isNotNull() & (F.col("index") != F.col("first")))
                 .select("first", "index").collect()]
        unique = tagged.filter(F.col("first").isNull() | (F.col("index") == F.col("first")))
        n_unique = unique.count()
        near = _near_pairs_spark(unique, n_unique, threshold) if n_unique > 1 else []
    finally:
        tagged.unpersist()
    return sorted(exact + near, key=lambda p: (p.a, p.b))


def _near_pairs_spark(unique, n_unique: int, threshold: float) -> list[DuplicatePair]:
    """``_near_pairs`` of the cleaner as a Spark shingle join (see the module docstring)."""
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    limit = float(max(100, 0.01 * n_unique))     # a shingle in more documents is common
    entries = unique.select("index", F.explode("shingles").alias("h"))
    freq = entries.groupBy("h").agg(F.count(F.lit(1)).alias("df"))
    usable = (entries.join(freq, "h").filter(F.col("df") <= F.lit(limit))
              .persist(StorageLevel.MEMORY_AND_DISK))
    try:
        sizes = usable.groupBy("index").agg(F.count(F.lit(1)).alias("size"))
        shared = usable.filter(F.col("df") > 1).select("h", "index")
        left = shared.select("h", F.col("index").alias("a"))
        right = shared.select("h", F.col("index").alias("b"))
        counts = (left.join(right, "h").filter(F.col("a") < F.col("b"))
                  .groupBy("a", "b").agg(F.count(F.lit(1)).alias("shared")))
        size_a = sizes.select(F.col("index").alias("a"), F.col("size").alias("size_a"))
        size_b = sizes.select(F.col("index").alias("b"), F.col("size").alias("size_b"))
        smaller = F.least("size_a", "size_b")
        hits = (counts.join(size_a, "a").join(size_b, "b")
                .filter((smaller >= MIN_SHINGLES)
                        & (F.col("shared") / F.greatest(smaller, F.lit(1)) >= F.lit(threshold - _SLACK)))
                .select("a", "b", "shared", "size_a", "size_b").collect())
    finally:
        usable.unpersist()
    pairs = []
    for r in hits:        # float64 division and rounding exactly as _near_pairs
        smaller_size = min(int(r["size_a"]), int(r["size_b"]))
        sim = np.float64(int(r["shared"])) / np.float64(max(smaller_size, 1))
        if sim >= threshold and smaller_size >= MIN_SHINGLES:
            pairs.append(DuplicatePair(int(r["a"]), int(r["b"]), round(float(sim), 4), "near"))
    return pairs


def _clusters_frame(spark, pairs: list[DuplicatePair]):
    """(index, cluster) for the documents in a pair (the others are their own cluster):
    :func:`cluster_labels` on those documents only."""
    from pyspark.sql import types as T

    members = sorted({i for p in pairs for i in (p.a, p.b)})
    position = {i: k for k, i in enumerate(members)}
    labels = cluster_labels(len(members), [DuplicatePair(position[p.a], position[p.b], p.similarity, p.kind)
                                           for p in pairs])
    schema = T.StructType([T.StructField("index", T.LongType(), False),
                           T.StructField("cluster", T.LongType(), False)])
    # positions keep the order of indices, so the first member's position is the lowest index
    return spark.createDataFrame([(i, members[label]) for i, label in zip(members, labels, strict=True)], schema)


def repeated_segments_spark(state, clusters, min_docs: int, min_share: float) -> set[tuple]:
    """:func:`research.clean.templates.find_repeated_segments` with Spark grouped counts:
    ``state`` has ``index``, ``outlet`` and ``keys`` (array<long>), ``clusters`` (index,
    cluster) for the documents in a duplicate pair. (outlet, unsigned key hash) pairs."""
    from pyspark.sql import functions as F

    docs = (state.select("index", "outlet", "keys").join(F.broadcast(clusters), "index", "left")
            .withColumn("cluster", F.coalesce(F.col("cluster"), F.col("index"))))
    outlet_sizes = docs.groupBy("outlet").agg(F.countDistinct("cluster").alias("size"))
    counts = (docs.select("outlet", "cluster", F.explode("keys").alias("key"))
              .groupBy("outlet", "key").agg(F.countDistinct("cluster").alias("n")))
    sizes = outlet_sizes.select(F.col("outlet").alias("o"), "size")
    hits = (counts.join(sizes, counts["outlet"].eqNullSafe(sizes["o"]))
            .filter((F.col("n") >= F.lit(min_docs))
                    & (F.col("n") >= F.lit(float(min_share)) * F.col("size").cast("double")))
            .select("outlet", "key").collect())
    return {(r["outlet"], int(r["key"]) & _UINT64) for r in hits}


def _repeated_lines(spark, frame, state, pairs, pipeline_bc, settings: dict, options: dict):
    """Templates removed: the state with the changed documents replaced, and how many changed."""
    from pyspark import StorageLevel
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    furniture = settings["furniture"]
    repeated = repeated_segments_spark(state, _clusters_frame(spark, pairs),
                                       int(furniture["repeated_min_docs"]),
                                       float(furniture["repeated_min_share"]))
    if not repeated:
        return state, 0
    schema = T.StructType([T.StructField("outlet", T.StringType(), True),
                           T.StructField("key", T.LongType(), False)])
    wanted = spark.createDataFrame([(o, k - (1 << 64) if k >= 1 << 63 else k) for o, k in repeated], schema)
    held = state.select("index", "outlet", F.explode("keys").alias("key"))
    affected = (held.join(F.broadcast(wanted.withColumnRenamed("outlet", "o")),
                          held["outlet"].eqNullSafe(F.col("o")) & (held["key"] == wanted["key"]))
                .select("index").distinct())
    rows = (state.join(affected, "index")
            .join(frame.select(F.col("index").cast("long").alias("index"), F.col("text").alias("raw")), "index"))
    repeated_bc = spark.sparkContext.broadcast(repeated)
    try:
        changed = spark.createDataFrame(
            rows.rdd.mapPartitions(lambda it: _reclean(it, pipeline_bc, repeated_bc, options)),
            _state_schema()).persist(StorageLevel.MEMORY_AND_DISK)
        n_changed = changed.count()
    finally:
        repeated_bc.unpersist()
    if not n_changed:
        changed.unpersist()
        return state, 0
    new_state = (state.join(changed.select("index"), "index", "left_anti").unionByName(changed)
                 .persist(StorageLevel.MEMORY_AND_DISK))
    new_state.count()
    changed.unpersist()
    return new_state, n_changed


def _marks_frame(spark, frame, pairs: list[DuplicatePair], drop: bool):
    """(index, duplicate_of, duplicate_similarity, dup_drop) of the later documents of pairs;
    the ids of the documents in pairs."""
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    chosen = assign_duplicates(0, pairs, drop=drop)
    members = sorted({i for p in pairs for i in (p.a, p.b)})
    index_schema = T.StructType([T.StructField("index", T.LongType(), False)])
    ids: dict[int, str] = {}
    if members:
        wanted = spark.createDataFrame([(i,) for i in members], index_schema)
        ids = {int(r["index"]): r["id"] for r in
               frame.select(F.col("index").cast("long").alias("index"), "id")
               .join(F.broadcast(wanted), "index").collect()}
    schema = T.StructType([T.StructField("index", T.LongType(), False),
                           T.StructField("duplicate_of", T.StringType(), True),
                           T.StructField("duplicate_similarity", T.DoubleType(), True),
                           T.StructField("dup_drop", T.BooleanType(), False)])
    marks = spark.createDataFrame([(b, ids[p.a], float(p.similarity), drop) for b, p in sorted(chosen.items())],
                                  schema)
    return marks, ids


def _phrase_counts(rows: Iterable, max_vocab_size: int) -> Iterator[tuple]:
    """Per partition: gensim's unigram and bigram counts of the documents' segments (its own
    counting, :meth:`Phrases._learn_vocab`), and the number of words under the key None."""
    from gensim.models.phrases import Phrases

    segments = (segment for row in rows for segment in unpack_segments(row["tokens"]))
    _, vocab, total = Phrases._learn_vocab(segments, max_vocab_size=max_vocab_size, delimiter=PHRASE_DELIMITER,
                                           connector_words=frozenset(), progress_per=1 << 62)
    yield None, total
    yield from vocab.items()


PHRASE_DELIMITER = "_"         # as research.clean.tokens.learn_phrases
_MAX_VOCAB = 40_000_000        # gensim Phrases' default max_vocab_size: above it gensim prunes


def _fit_phrases(state, marks, pipeline: TextPipeline) -> None:
    """Phrases from the kept documents' segments, as ``pipeline.fit_phrases`` learns them.

    gensim's counts are made per partition on the executors and summed with ``reduceByKey``;
    the summed vocabulary (gensim needs it whole to score) is streamed to the driver with
    ``toLocalIterator()`` and frozen there. The sums are gensim's counts exactly unless its
    vocabulary outgrows ``max_vocab_size`` (40 million unigrams + bigrams), where gensim
    prunes in the order it reads; then the segments themselves are streamed to the driver in
    corpus order and fitted there, as the local engine does."""
    from gensim.models.phrases import Phrases

    options = pipeline.tokens["phrases"]
    pipeline.phrases_ = None
    if not options["enabled"]:
        return
    kept = state.select("index", "tokens").join(marks.filter("dup_drop").select("index"), "index", "left_anti")
    counts = kept.rdd.mapPartitions(lambda it: _phrase_counts(it, _MAX_VOCAB)).reduceByKey(lambda x, y: x + y)
    model = Phrases(None, min_count=int(options["min_count"]), threshold=float(options["threshold"]),
                    scoring="npmi", delimiter=PHRASE_DELIMITER)
    vocab: dict = {}
    total = 0
    for word, count in counts.toLocalIterator():
        if word is None:
            total = count
        else:
            vocab[word] = count
    if len(vocab) <= _MAX_VOCAB:
        model.vocab, model.corpus_word_count = vocab, total
        pipeline.phrases_ = model.freeze()
        return
    del vocab
    segments = (segment for row in kept.orderBy("index").toLocalIterator()
                for segment in unpack_segments(row["tokens"]))
    pipeline.phrases_ = learn_phrases(segments, int(options["min_count"]),  # type: ignore[arg-type]
                                      float(options["threshold"]))   # gensim reads any iterable once


def _final_schema():
    from pyspark.sql import types as T

    return T.StructType([
        T.StructField("index", T.LongType(), False), T.StructField("text", T.StringType(), False),
        T.StructField("tokens", T.ArrayType(T.StringType(), False), False),
        T.StructField("chars_before", T.LongType(), False), T.StructField("chars_after", T.LongType(), False),
        T.StructField("lines_removed", T.StringType(), False),
        T.StructField("paragraphs_removed", T.StringType(), False),
        T.StructField("repeated_paragraphs_kept", T.StringType(), False),
        T.StructField("junk_removed", T.LongType(), False), T.StructField("links_removed", T.LongType(), False),
        T.StructField("duplicate_of", T.StringType(), True),
        T.StructField("duplicate_similarity", T.DoubleType(), True),
        T.StructField("kept", T.BooleanType(), False), T.StructField("drop_reason", T.StringType(), True),
        T.StructField("n_tokens", T.LongType(), False),
        T.StructField("_reasons", T.ArrayType(T.StringType(), False), False),
        T.StructField("_n_paragraphs", T.LongType(), False)])


def _summary(final) -> dict:
    """``_summary`` of the cleaner, from Spark aggregations."""
    from pyspark.sql import functions as F

    total = final.agg(
        F.count(F.lit(1)).alias("documents_in"),
        F.sum(F.col("kept").cast("long")).alias("documents_kept"),
        F.sum((F.col("drop_reason") == "duplicate").cast("long")).alias("dropped_duplicates"),
        F.sum((F.col("drop_reason") == "too_few_tokens").cast("long")).alias("dropped_empty"),
        F.sum("_n_paragraphs").alias("paragraphs_removed"),
        F.sum("junk_removed").alias("junk_removed"),
        F.sum("chars_before").alias("chars_before"),
        F.sum(F.when(F.col("kept"), F.col("chars_after")).otherwise(F.lit(0))).alias("chars_after"),
    ).first()
    reasons = (final.select(F.explode("_reasons").alias("reason")).groupBy("reason")
               .agg(F.count(F.lit(1)).alias("n")).collect())
    value = {k: int(v or 0) for k, v in total.asDict().items()}
    return {"documents_in": value["documents_in"], "documents_kept": value["documents_kept"],
            "dropped_duplicates": value["dropped_duplicates"], "dropped_empty": value["dropped_empty"],
            "lines_removed_by_reason": dict(sorted((r["reason"], int(r["n"])) for r in reasons)),
            "paragraphs_removed": value["paragraphs_removed"], "junk_removed": value["junk_removed"],
            "chars_before": value["chars_before"], "chars_after": value["chars_after"]}


def clean_spark(spark, frame, settings: dict) -> SparkCleaning:
    """Clean the documents of ``frame`` (columns ``index``, ``id``, ``outlet``, ``text``, any
    others passed through) with the ``clean:`` settings, with the results of
    :func:`~research.clean.cleaner.clean_corpus`; see the module docstring."""
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    check_settings(settings)
    sc = spark.sparkContext
    pipeline = TextPipeline.from_settings(settings)
    pipeline._prepared()        # compiled once here, shipped to the executors
    options = pass_options(settings)
    mode = options["mode"]
    enabled = bool(get_setting(settings, "duplicates.enabled"))
    threshold = float(get_setting(settings, "duplicates.threshold"))
    drop = choice(settings, "duplicates.action") == "drop"
    min_tokens = int(get_setting(settings, "min_tokens"))
    furniture = settings["furniture"]
    frame = frame.withColumn("index", F.col("index").cast("long"))

    pipeline_bc = sc.broadcast(pipeline)
    persisted: list = []
    try:
        source = frame.select("index", "outlet", "text")
        state = spark.createDataFrame(source.rdd.mapPartitions(lambda it: _first_pass(it, pipeline_bc, options)),
                                      _state_schema()).persist(StorageLevel.MEMORY_AND_DISK)
        persisted.append(state)
        n = state.count()
        if not n:
            raise CleaningError("no documents to clean (0 read); check corpus.path and corpus.where")
        pairs = near_pairs_spark(state, threshold) if enabled else []
        if furniture["enabled"] and furniture["repeated_lines"]:
            state, n_changed = _repeated_lines(spark, frame, state, pairs, pipeline_bc, settings, options)
            if n_changed:
                persisted.append(state)
                if enabled:
                    pairs = near_pairs_spark(state, threshold)
        marks, ids = _marks_frame(spark, frame, pairs, drop)
        _fit_phrases(state, marks, pipeline)
        final_bc = sc.broadcast(pipeline)     # now with its phrases
        persisted.append(final_bc)
        joined = (state.select("index", "chars_before", "text", "tokens", "removed", "found", "junk", "links")
                  .join(F.broadcast(marks), "index", "left")
                  .withColumn("dup_drop", F.coalesce(F.col("dup_drop"), F.lit(False))))
        final = spark.createDataFrame(
            joined.rdd.mapPartitions(lambda it: _final_rows(it, final_bc, mode, min_tokens)),
            _final_schema()).persist(StorageLevel.MEMORY_AND_DISK)
        persisted.append(final)
        summary = _summary(final)             # computes (and caches) every partition of final
        if summary["documents_kept"] == 0:
            fail_no_documents(summary, min_tokens)
        out = (frame.drop(*[c for c in RECORD_COLUMNS if c in frame.columns])
               .join(final.drop("_reasons", "_n_paragraphs"), "index").orderBy("index")
               .persist(StorageLevel.MEMORY_AND_DISK))
        out.count()
    finally:    # the intermediate frames and broadcasts; out stays cached for the caller
        for item in persisted:
            item.unpersist()
        pipeline_bc.unpersist()
    duplicate_pairs = [{"a": ids[p.a], "b": ids[p.b], "similarity": p.similarity, "kind": p.kind}
                       for p in pairs]
    return SparkCleaning(frame=out, duplicate_pairs=duplicate_pairs, summary=summary, pipeline=pipeline,
                         documents_in=summary["documents_in"], documents_kept=summary["documents_kept"],
                         _persisted=[out])
