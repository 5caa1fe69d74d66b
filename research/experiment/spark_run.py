"""An ``lda`` or ``nmf`` run on Apache Spark (``engine.kind: spark``): the same config, the same
run folder, every corpus-sized step on Spark's executors (:mod:`research.spark`).

What runs where (README, "On a Spark cluster"):

- distributed: reading; cleaning (per document on the executors, near-duplicates by a shingle
  join, template lines by grouped counts); document frequencies (Spark ML ``CountVectorizer`` +
  ``IDF``); LDA (Spark ML); the rows of the matrix; every document's topic shares; coherence
  counts; prevalence by group; label agreement; the Parquet tables of the run folder;
- on the driver: the vocabulary choice and the scikit-learn vectoriser built from the counts;
  phrases (when enabled; gensim); NMF's updates from mini-batches streamed to it (Spark has no
  NMF); the held-out sample (at most ``scale.heldout_max_documents``); the CSV previews, the
  sampled documents of ``data.json``, the figures. The driver's memory is that of the vocabulary,
  the model and a few partitions, whatever the number of documents.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import numpy as np

from research.clean.cleaner import TOKEN_PATTERN
from research.config.load import Config
from research.errors import ConfigError, ModelError
from research.experiment.streamed import HEATMAP_ROWS, metrics_by_k, stream_blockers, write_topic_tables
from research.experiment.topic import _best, _ks, build_model
from research.runs.artifacts import save_artifact
from research.runs.folder import RunFolder, write_json
from research.spark.clean import clean_spark
from research.spark.read import read_frame, spark_errors, tidy_parquet
from research.spark.session import EngineError, owned_session, session_info
from research.spark.topics import (
    coherence_spark,
    doc_topics_spark,
    fit_spark_lda,
    fit_spark_nmf,
    group_means_spark,
    topic_columns,
)
from research.spark.vectorise import check_hashing, fit_spark_vectorizer, matrix_rows
from research.stream.topics import LabelTable, epochs_for
from research.util.tables import write_csv

__all__ = ["SPARK_KINDS", "check_spark_settings", "run_spark"]

SPARK_KINDS = ("lda", "nmf")
CLEANING_COLUMNS = ["id", "kept", "drop_reason", "chars_before", "chars_after", "lines_removed", "paragraphs_removed",
                    "duplicate_of", "duplicate_similarity", "n_tokens"]
DATA_COLUMNS = ["id", "title", "outlet", "date", "label", "meta", "source", "sha256", "lines_removed",
                "paragraphs_removed", "repeated_paragraphs_kept"]


def check_spark_settings(config: Config) -> None:
    """What the Spark engine cannot run, refused before any run folder exists."""
    if config["engine"]["kind"] != "spark":
        return
    kind = config["model"]["kind"]
    if kind not in SPARK_KINDS:
        raise ConfigError(f"engine.kind: spark runs model.kind lda and nmf (and apply scores tone runs); "
                          f"not {kind!r}: set engine.kind: local")
    blockers = stream_blockers(config)
    if config["topics"]["evaluate"]["reference"]:
        blockers.append("topics.evaluate.reference (leave it null)")
    if blockers:
        raise ConfigError(f"engine.kind: spark cannot run {'; '.join(blockers)}; change that or set engine.kind: local")
    if kind == "lda" and config["vectorizer"]["kind"] != "count":
        raise ConfigError("vectorizer.kind is 'tfidf' but LDA is a model of word counts: its likelihood draws whole "
                          "words from topics, so TF-IDF weights are not valid input; set vectorizer.kind: count")
    check_hashing(config["vectorizer"])
    lda = config["topics"]["lda_spark"]
    if kind == "lda" and lda["optimizer"] == "em":
        low = [f"{key}: {lda[key]}" for key in ("doc_concentration", "topic_concentration")
               if lda[key] is not None and lda[key] <= 1]
        if low:
            raise ConfigError(f"topics.lda_spark.{low[0]}: the em optimizer needs priors above 1 (Spark's MAP "
                              "estimate); set it to null for Spark's default (50/K + 1 and 1.1) or a value > 1")
    from research.spark.session import require_pyspark

    require_pyspark()


def run_spark(config: Config, run: RunFolder) -> dict[str, Any]:
    """Read, clean, vectorise, fit, evaluate and write the run on Spark; returns its metrics."""
    engine = config["engine"]
    partitions = int(engine["spark"]["partitions"])
    config = _spark_config(config, run)
    try:
        with owned_session(engine, f"research-{run.path.name}", run.path / "spark-events") as spark:
            return _run(config, run, spark, partitions)
    finally:
        if "engine" in run.record:
            run.record["engine"]["events"] = event_log_summary(run.path / "spark-events")


def _run(config: Config, run: RunFolder, spark, partitions: int) -> dict[str, Any]:
    run.record["engine"] = {**session_info(spark), "partitions": partitions}
    run.log.info("Spark %s, master %s, %d partitions", spark.version, spark.sparkContext.master, partitions)
    with run.stage("load"), spark_errors(f"corpus.source {config['corpus']['source']}"):
        frame, n = read_frame(spark, config["corpus"], partitions)
        run.log.info("read %d documents", n)
    with run.stage("clean"), spark_errors("clean", EngineError):
        cleaning = clean_spark(spark, frame, config["clean"])
        frame.unpersist()
        save_artifact(cleaning.pipeline, run.path / "artifacts" / "cleaner")
        _write_cleaning(config, run, cleaning)
        run.record["clean_cache"] = {"status": "spark"}
        run.log.info("kept %d of %d documents after cleaning", cleaning.documents_kept, cleaning.documents_in)
    kept = cleaning.frame.filter("kept").select("index", "id", "title", "outlet", "date", "label", "meta", "tokens")
    with run.stage("vectorise"), spark_errors("vectorise", EngineError):
        fitted = fit_spark_vectorizer(kept, config["vectorizer"], TOKEN_PATTERN,
                                      config["clean"]["tokens"]["lowercase"])
        save_artifact(fitted.vectorizer, run.path / "artifacts" / "vectorizer")
        metrics = _front_metrics(cleaning, kept, fitted)
    with spark_errors("topics", EngineError):
        metrics.update(_topics(config, run, kept, fitted))
    cleaning.unpersist()
    metrics["engine"] = "spark"
    return metrics


def _spark_config(config: Config, run: RunFolder) -> Config:
    """NMF on Spark learns from a stream: the config names the online back-end it fits, rewritten
    into the run's config.yaml when it changed (LDA's settings are ``topics.lda_spark``)."""
    if config["model"]["kind"] != "nmf" or config["topics"]["nmf_backend"] == "sklearn_minibatch":
        return config
    run.log.info("topics.nmf_backend: %s cannot learn from a stream; using sklearn_minibatch on Spark",
                 config["topics"]["nmf_backend"])
    data = json.loads(json.dumps(config.data))
    data["topics"]["nmf_backend"] = "sklearn_minibatch"
    run.write_config(data)
    return Config(data, config.source, config.overrides)


def _front_metrics(cleaning, kept, fitted) -> dict[str, Any]:
    from pyspark.sql import functions as F

    n = cleaning.documents_kept
    lengths = kept.select(F.sum(F.size("tokens"))).first()[0] or 0
    nnz = int(matrix_rows(kept, fitted.vectorizer).map(lambda r: len(r[1])).sum())
    return {"documents_read": cleaning.documents_in, "documents_kept": n,
            "duplicate_pairs": len(cleaning.duplicate_pairs), "vocabulary_size": fitted.n_features,
            "matrix_nnz": nnz, "matrix_density": round(nnz / max(1, n * fitted.n_features), 6),
            "tokens_per_document_mean": round(lengths / max(n, 1), 3), "unit": "document", "units_modelled": n,
            **({"hash_columns_used": fitted.used, "hash_collisions": fitted.collisions}
               if fitted.names is not None else {})}


# -- cleaning outputs -----------------------------------------------------------------------------

def _write_cleaning(config: Config, run: RunFolder, cleaning) -> None:
    """cleaning.parquet and data.parquet (every document, Parquet parts written by the executors),
    cleaning.csv (the first ``scale.csv_preview_rows`` documents) and data.json (the summary, the
    duplicate pairs and a seeded sample of ``scale.sample_documents`` documents)."""
    scale = config["scale"]
    frame = cleaning.frame
    for name, columns in (("cleaning", CLEANING_COLUMNS), ("data", DATA_COLUMNS)):
        folder = run.path / f"{name}.parquet"
        frame.select(*columns).write.parquet(str(folder), compression="zstd")
        tidy_parquet(folder)
    preview = [row.asDict() for row in frame.select(*CLEANING_COLUMNS).limit(scale["csv_preview_rows"]).collect()] \
        if scale["csv_preview_rows"] else []
    write_csv(run.path / "cleaning.csv", preview)
    want = int(scale["sample_documents"])
    share = min(1.0, want / max(cleaning.documents_in, 1))
    chosen = frame.sample(fraction=share, seed=int(config["seed"])).orderBy("index").limit(want).collect()
    pairs = cleaning.duplicate_pairs
    write_json(run.path / "data.json", {"summary": cleaning.summary, "duplicate_pairs": pairs[:10000],
                                        "duplicate_pairs_total": len(pairs), "documents_total": cleaning.documents_in,
                                        "documents_sampled": share < 1.0,
                                        "documents": [_sample_entry(r.asDict()) for r in chosen]}, rows="documents")


def _sample_entry(row: dict[str, Any]) -> dict[str, Any]:
    record = {"id": row["id"], "chars_before": row["chars_before"], "chars_after": row["chars_after"],
              "lines_removed": json.loads(row["lines_removed"]),
              "paragraphs_removed": json.loads(row["paragraphs_removed"]),
              "repeated_paragraphs_kept": json.loads(row["repeated_paragraphs_kept"]),
              "junk_removed": row["junk_removed"], "links_removed": row["links_removed"],
              "duplicate_of": row["duplicate_of"], "duplicate_similarity": row["duplicate_similarity"],
              "kept": row["kept"], "drop_reason": row["drop_reason"], "n_tokens": row["n_tokens"]}
    return {"id": row["id"], "title": row["title"], "outlet": row["outlet"], "date": row["date"],
            "label": row["label"], **json.loads(row["meta"] or "{}"), "source": row["source"],
            "sha256": row["sha256"], "cleaning": record}


# -- topics ---------------------------------------------------------------------------------------

def _split(kept, share: float, seed: int):
    """(training, held-out) documents: a seeded hash of each document's index, so the split
    does not depend on partitioning."""
    from pyspark.sql import functions as F

    if share <= 0:
        return kept, None
    bucket = F.abs(F.xxhash64(F.col("index"), F.lit(int(seed)))) % 1_000_000
    held = F.lit(round(share * 1_000_000))
    return kept.filter(bucket >= held), kept.filter(bucket < held)


def _heldout_matrix(held, fitted, limit: int):
    from scipy import sparse

    if held is None:
        return None
    rows = matrix_rows(held.orderBy("index").limit(limit), fitted.vectorizer).collect()
    if not rows:
        return None
    rows.sort(key=lambda r: r[0])
    indptr = np.concatenate(([0], np.cumsum([len(r[1]) for r in rows])))
    indices = np.concatenate([np.asarray(r[1], dtype=np.int32) for r in rows])
    data = np.concatenate([np.asarray(r[2], dtype=np.float64) for r in rows])
    return sparse.csr_matrix((data, indices, indptr), shape=(len(rows), fitted.n_features))


def _topics(config: Config, run: RunFolder, kept, fitted) -> dict[str, Any]:
    from pyspark import StorageLevel

    kind = config["model"]["kind"]
    ev, scale, seed = config["topics"]["evaluate"], config["scale"], int(config["seed"])
    ks = _ks(config)
    for k in ks:
        if k > fitted.n_features:
            raise ModelError(f"topics.num_topics={k} is more than the vocabulary ({fitted.n_features} words); lower it")
    train, held = _split(kept, float(ev["heldout"]), seed)
    train = train.persist(StorageLevel.MEMORY_AND_DISK)
    n_train = train.count()
    if n_train == 0:
        raise ModelError("no documents left to fit after topics.evaluate.heldout; lower it")

    def log(message: str) -> None:
        run.log.info("%s", message)

    with run.stage("fit+evaluate"):
        models, extra = [], {}
        for k in ks:
            if kind == "lda":
                params = dict(config["topics"]["lda_spark"])
                log(f"fitting Spark ML LDA ({params['optimizer']}, {params['max_iter']} iterations) on {n_train:,} "
                    f"documents, K={k}")
                models.append(fit_spark_lda(train, fitted, k, params, seed))
                extra = {"max_iter": params["max_iter"], "optimizer": params["optimizer"]}
            else:
                params = config["topics"]["nmf_sklearn_minibatch"]
                epochs = epochs_for(int(params["max_iter"]), scale["document_visits"], n_train)
                log(f"fitting nmf.sklearn_minibatch on {n_train:,} documents streamed from Spark: {epochs} epoch(s) of "
                    f"mini-batches of {params['batch_size']}, K={k}")
                model = build_model(config, k)
                models.append(fit_spark_nmf(model, train, fitted, epochs, int(params["batch_size"]), seed, log=log))
                extra = {"epochs": epochs}
        train.unpersist()
        heldout = _heldout_matrix(held, fitted, int(scale["heldout_max_documents"]))
        topic_sets = [m.result().topics(ev["coherence_top_n"]) for m in models]
        log("coherence: counting co-occurrences on the executors")
        scores = coherence_spark(kept, topic_sets, ev["coherence"], ev["coherence_top_n"])
        by_k = metrics_by_k(models, scores, ks, extra, ev, heldout, log)
    best = _best(by_k, config["topics"]["best_by"]) if len(ks) > 1 else 0
    model, metrics = models[best], by_k[best]
    with run.stage("outputs"):
        save_artifact(model, run.path / "artifacts" / "model")
        found = _write_topic_outputs(config, run, kept, fitted, model, metrics)
        if len(ks) > 1:
            from research.experiment.topic import _write_by_k
            _write_by_k(config, run, by_k, ks[best])
        run.background.wait()
    out = {k: v for k, v in metrics.items() if not k.endswith("_per_topic")}
    out.update(found)
    out.update({"model": f"{kind}.spark" if kind == "lda" else model.name, "best_k": ks[best],
                "best_by": config["topics"]["best_by"],
                "by_k": [{k: v for k, v in m.items() if not k.endswith("_per_topic")} for m in by_k],
                "documents_heldout": int(kept.count() - n_train)})
    if len(ks) > 1:
        names = [n for n in by_k[0] if isinstance(by_k[0][n], float) and all(isinstance(m.get(n), float) for m in by_k)]
        out["mean_over_k"] = {n: float(np.mean([m[n] for m in by_k])) for n in names}
    return out


def _write_topic_outputs(config: Config, run: RunFolder, kept, fitted, model, metrics: dict[str, Any]) -> dict[str, Any]:
    """doc_topics.parquet (the executors' shares of every kept document) + its CSV preview;
    prevalence, prevalence by group and label agreement from distributed aggregations; then the
    tables and figures of :func:`research.experiment.streamed.write_topic_tables`."""
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    k, scale = model.num_topics, config["scale"]
    columns = topic_columns(k)
    groups = list(config["topics"]["evaluate"]["group_by"])
    extra = [g for g in groups if g not in ("id", "title", "outlet", "date", "label", "month")]
    source = kept
    for g in extra:   # a kept column: in each document's meta JSON
        source = source.withColumn(g, F.get_json_object("meta", f"$.{g}"))
    shares = doc_topics_spark(source, fitted, model, ("id", "title", "outlet", "date", "label", *extra))
    shares = shares.persist(StorageLevel.MEMORY_AND_DISK)
    try:
        folder = run.path / "doc_topics.parquet"
        rounded = shares.orderBy("index").select("id", "title", "outlet", "date", "label",
                                                 *[F.round(c, 6).alias(c) for c in columns])
        rounded.write.parquet(str(folder), compression="zstd")
        tidy_parquet(folder)
        first = shares.orderBy("index").limit(max(int(scale["csv_preview_rows"]), HEATMAP_ROWS)).collect()
        write_csv(run.path / "doc_topics.csv",
                  [{**{c: r[c] for c in ("id", "title", "outlet", "date", "label")},
                    **{c: round(float(r[c]), 6) for c in columns}} for r in first[:scale["csv_preview_rows"]]])
        sample = np.array([[r[c] for c in columns] for r in first[:HEATMAP_ROWS]], dtype=np.float64)
        means = shares.select(*[F.avg(c).alias(c) for c in columns]).first()
        prevalence = np.array([means[c] for c in columns], dtype=np.float64)
        tables = {g: group_means_spark(shares, g, k) for g in groups}
        labels = LabelTable()
        if shares.filter(F.col("label").isNull()).limit(1).count():
            labels.missing = True
        else:
            dominant = F.array_position(F.array(*columns), F.array_max(F.array(*columns))) - 1
            for row in shares.groupBy("label", dominant.alias("topic")).count().collect():
                labels.counts[(str(row["label"]), int(row["topic"]))] = int(row["count"])
    finally:
        shares.unpersist()
    return write_topic_tables(config, run, model, metrics, prevalence, sample, [r["id"] for r in first[:HEATMAP_ROWS]],
                              tables, labels.scores())


def event_log_summary(folder: Path) -> dict[str, Any]:
    """Jobs, stages and tasks counted from Spark's event log in ``folder`` (JSON lines, zstd-
    compressed by Spark 4's default), and the executors' total run time."""
    import pyarrow as pa

    counts: dict[str, Any] = {"jobs": 0, "stages": 0, "tasks": 0, "failed_tasks": 0, "task_seconds": 0.0}
    for path in sorted(folder.rglob("events_*")):
        raw = pa.OSFile(str(path))
        stream = pa.CompressedInputStream(raw, "zstd") if path.suffix == ".zstd" else raw
        with stream, io.TextIOWrapper(stream, encoding="utf-8", errors="replace") as handle:
            for line in handle:
                head = line[:60]
                if '"SparkListenerJobEnd"' in head:
                    counts["jobs"] += 1
                elif '"SparkListenerStageCompleted"' in head:
                    counts["stages"] += 1
                elif '"SparkListenerTaskEnd"' in head:
                    event = json.loads(line)
                    counts["tasks"] += 1
                    if event.get("Task End Reason", {}).get("Reason") != "Success":
                        counts["failed_tasks"] += 1
                    counts["task_seconds"] += event.get("Task Metrics", {}).get("Executor Run Time", 0) / 1000
    counts["task_seconds"] = round(counts["task_seconds"], 3)
    return counts
