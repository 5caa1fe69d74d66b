"""A streamed ``lda`` or ``nmf`` run: every stage in chunks, for corpora that do not fit in memory.

:func:`read_or_stream` reads the corpus up to ``scale.stream_above_documents`` documents; a
corpus that ends before is run in memory as always (same results as before), a longer one (or
any with ``scale.stream: true``) is run here (:mod:`research.stream`): cleaned into the token
store, vectorised in two passes into matrix parts on disk, fitted by the family's online
back-end (``scale.online_backends``) over a number of epochs set by ``scale.document_visits``,
evaluated from counts accumulated chunk by chunk, and written as Parquet tables with capped CSV
previews. What stays in memory is the vocabulary, the model and small per-document summaries.
"""

from __future__ import annotations

import gc
import hashlib
import json
import warnings
from collections.abc import Iterable, Iterator
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from research.clean.cleaner import TOKEN_PATTERN
from research.config.load import Config
from research.corpus.documents import Document
from research.corpus.read import iter_documents, reading
from research.errors import ConfigError, CorpusError, ModelError
from research.evaluate import heldout_fit, month_of, topic_diversity, topic_similarity
from research.experiment.topic import _best, _distinctive, _draw, _ks, build_model
from research.experiment.topic_reduce import labels_of
from research.runs.artifacts import save_artifact
from research.runs.folder import RunFolder
from research.stream.clean import StreamedCleaning, clean_stream
from research.stream.progress import Progress
from research.stream.topics import (
    GroupMeans,
    LabelTable,
    coherence_scores,
    epochs_for,
    fit_online,
    heldout_masks,
    heldout_sample,
)
from research.stream.vectorise import MatrixParts, fit_vocabulary, transform_tokens
from research.topics import TOPIC_BACKENDS
from research.topics._base import TopicResult
from research.util.tables import write_csv
from research.util.workers import helpers_for

__all__ = ["STREAMABLE", "check_stream_settings", "metrics_by_k", "read_or_stream", "run_streamed", "stream_blockers",
           "write_topic_tables"]

STREAMABLE = ("lda", "nmf")
HEATMAP_ROWS = 40


def check_stream_settings(config: Config) -> None:
    """Settings a streamed run cannot honour, refused before any run folder exists."""
    scale = config["scale"]
    kind = config["model"]["kind"]
    if scale["stream"] is True and kind not in STREAMABLE:
        raise ConfigError(f"scale.stream: true works for model.kind lda and nmf, not {kind!r}; "
                          "set scale.stream: auto or false")
    if kind not in STREAMABLE or scale["stream"] is False:
        return
    if kind not in scale["online_backends"]:
        raise ConfigError(f"scale.online_backends: no back-end for {kind}; add '{kind}: <back-end>'")
    name = f"{kind}.{scale['online_backends'][kind]}"
    if name not in TOPIC_BACKENDS or not TOPIC_BACKENDS.get(name).online:
        raise ConfigError(f"scale.online_backends.{kind}: {scale['online_backends'][kind]!r} is not a registered "
                          f"back-end that learns from a stream (online: {_online_names(kind)})")


def _online_names(kind: str) -> str:
    return ", ".join(n.split(".", 1)[1] for n in TOPIC_BACKENDS.names(f"{kind}.") if TOPIC_BACKENDS.get(n).online)


def stream_blockers(config: Config) -> list[str]:
    """Why this config cannot stream (each a config key and what to do), if anything."""
    out = []
    if config["corpus"]["unit"] != "document":
        out.append("corpus.unit: paragraph (use document)")
    if config["topics"]["evaluate"]["stability_seeds"]:
        out.append("topics.evaluate.stability_seeds (leave it empty)")
    if tuple(config["vectorizer"]["ngram_range"]) != (1, 1):
        out.append("vectorizer.ngram_range (use [1, 1])")
    out += [f"topics.{key} (leave it null)" for key in ("reduce_to", "merge_threshold")
            if config["topics"][key] is not None]
    if config["topics"]["seed_words"]:
        out.append("topics.seed_words (guided topics are fitted in memory; leave it empty)")
    if config["topics"]["by_group"]["compare"] is not None:
        out.append("topics.by_group.compare (the difference test resamples every document's shares; leave it null)")
    return out


def read_or_stream(config: Config, run: RunFolder) -> tuple[list[Document] | None, Iterator[Document] | None, dict]:
    """``(documents, None, position)`` for a corpus run in memory, ``(None, stream, position)``
    for a streamed one (see the module docstring). The stream yields every document once and
    refuses a repeated id."""
    scale = config["scale"]
    position: dict[str, int] = {}
    counted = reading(iter_documents(config["corpus"], position), position)
    documents = _unique_ids(counted, config["corpus"]["source"])
    if scale["stream"] is False:
        return _all(documents, config), None, position
    head: list[Document] = []
    if scale["stream"] == "auto":
        for doc in documents:
            head.append(doc)
            if len(head) > scale["stream_above_documents"]:
                break
        else:
            return _all(head, config), None, position
    blockers = stream_blockers(config)
    if blockers:
        raise ConfigError(f"scale.stream: this corpus is streamed (more than scale.stream_above_documents="
                          f"{scale['stream_above_documents']} documents) but {'; '.join(blockers)} needs it in "
                          "memory; change that or set scale.stream: false")
    run.log.info("streaming the corpus in chunks of %d documents (scale.stream: %s)", scale["chunk_documents"],
                 scale["stream"])
    counted.close()        # the streamed stages show their own progress
    return None, chain(_drain(head), documents), position


def _all(documents: Iterable[Document], config: Config) -> list[Document]:
    docs = list(documents)
    if not docs:
        source = config["corpus"]["source"]
        raise CorpusError(f"corpus.source {source}: no documents read"
                          + (" after corpus.where" if config["corpus"].get("where") else "")
                          + "; check the path, format and filters")
    return docs


def _drain(items: list) -> Iterator:
    """The items of a list, released as they are taken (the head of a streamed corpus)."""
    items.reverse()
    while items:
        yield items.pop()


def _unique_ids(documents: Iterable[Document], source: str) -> Iterator[Document]:
    seen: set[bytes] = set()
    for doc in documents:
        key = hashlib.blake2b(doc.id.encode("utf-8", "surrogatepass"), digest_size=10).digest()
        if key in seen:
            raise CorpusError(f"corpus.source {source}: duplicate document id '{doc.id}'; "
                              "set corpus.id_column to a column with unique values (or null for row numbers)")
        seen.add(key)
        yield doc


# -- the run ---------------------------------------------------------------------------------

def run_streamed(config: Config, run: RunFolder, documents: Iterator[Document], position: dict) -> dict[str, Any]:
    """Clean, vectorise, fit, evaluate and write a streamed run; returns its metrics. The
    cyclic garbage collector runs (a batch run pauses it: there, millions of objects live to
    the end; here few do, and cycles left by each chunk must not pile up)."""
    paused = not gc.isenabled()
    gc.enable()
    try:
        return _run_streamed(config, run, documents, position)
    finally:
        if paused:
            gc.disable()


def _run_streamed(config: Config, run: RunFolder, documents: Iterator[Document], position: dict) -> dict[str, Any]:
    kind = config["model"]["kind"]
    scale = config["scale"]
    config = _online_config(config, run)
    store_root = Path(scale["store_dir"] or run.path.parent / ".store")
    helpers = helpers_for(config["clean"]["workers"], 10**9)
    run.background.helpers = helpers
    every = float(scale["progress_seconds"])

    def log(message: str) -> None:
        run.log.info("%s", message)

    def fraction() -> float | None:
        return position["read"] / position["total"] if position.get("total") else None

    with run.stage("clean"), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        cleaning = clean_stream(documents, config["clean"], store_root, scale["chunk_documents"], helpers,
                                log, fraction)
        for item in caught:
            run.warn(str(item.message))
        run.record["clean_cache"] = {"status": "stream", "store": str(cleaning.store.folder), **cleaning.reused}
        save_artifact(cleaning.pipeline, run.path / "artifacts" / "cleaner")
        _write_cleaning(run, cleaning, config)
        run.log.info("kept %d of %d documents after cleaning", cleaning.documents_kept, cleaning.documents_in)
    parts = MatrixParts(store_root / "work")
    try:
        with run.stage("vectorise"):
            lowercase = config["clean"]["tokens"]["lowercase"]
            vectorizer = fit_vocabulary(cleaning.token_chunks(), config["vectorizer"], TOKEN_PATTERN, lowercase)
            save_artifact(vectorizer, run.path / "artifacts" / "vectorizer")
            vocabulary = vectorizer.get_feature_names_out()
            progress = Progress(log, "vectorise", total=cleaning.documents_kept, every=every)
            lengths = 0
            for chunk in cleaning.token_chunks():
                parts.add(transform_tokens(vectorizer, chunk))
                lengths += sum(map(len, chunk))
                progress.update(parts.n_documents)
            progress.finish()
        metrics = _front_metrics(cleaning, parts, len(vocabulary), lengths)
        metrics.update(_topics(config, run, kind, cleaning, parts, list(vocabulary), log))
    finally:
        parts.remove()
    return metrics


def _online_config(config: Config, run: RunFolder) -> Config:
    """The config with the family's online back-end (``scale.online_backends``), rewritten into
    the run's config.yaml when it changed, so the run records what it fitted."""
    kind = config["model"]["kind"]
    chosen = config["scale"]["online_backends"][kind]
    if config["topics"][f"{kind}_backend"] == chosen:
        return config
    run.log.info("topics.%s_backend: %s cannot learn from a stream; using %s (scale.online_backends)", kind,
                 config["topics"][f"{kind}_backend"], chosen)
    data = json.loads(json.dumps(config.data))
    data["topics"][f"{kind}_backend"] = chosen
    run.write_config(data)
    return Config(data, config.source, config.overrides)


def _front_metrics(cleaning: StreamedCleaning, parts: MatrixParts, n_words: int, lengths: int) -> dict[str, Any]:
    n = parts.n_documents
    return {"documents_read": cleaning.documents_in, "documents_kept": cleaning.documents_kept,
            "duplicate_pairs": len(cleaning.duplicate_pairs), "vocabulary_size": n_words,
            "matrix_nnz": parts.nnz, "matrix_density": round(parts.nnz / max(1, n * n_words), 6),
            "tokens_per_document_mean": round(lengths / max(n, 1), 3), "unit": "document", "units_modelled": n,
            "streamed": True}


def _topics(config: Config, run: RunFolder, kind: str, cleaning: StreamedCleaning, parts: MatrixParts,
            vocabulary: list[str], log) -> dict[str, Any]:
    ev, scale = config["topics"]["evaluate"], config["scale"]
    ks = _ks(config)
    for k in ks:
        if k > len(vocabulary):
            raise ModelError(f"topics.num_topics={k} is more than the vocabulary ({len(vocabulary)} words); lower it")
    masks = heldout_masks(parts, ev["heldout"], config["seed"], max(ks))
    n_train = parts.n_documents - sum(int(m.sum()) for m in masks)
    backend = config["topics"][f"{kind}_backend"]
    params = config["topics"][f"{kind}_{backend}"]
    max_epochs = int(params.get("max_iter", params.get("passes", 1)))
    epochs = epochs_for(max_epochs, scale["document_visits"], n_train)
    batch = int(params.get("batch_size", params.get("chunksize", 1024)))
    with run.stage("fit+evaluate"):
        log(f"fitting {kind}.{backend} on {n_train:,} documents: {epochs} epoch(s) of mini-batches of {batch} "
            f"(scale.document_visits={scale['document_visits']:,})")
        models = []
        for k in ks:
            model = fit_online(build_model(config, k), parts, masks, epochs, batch, vocabulary, config["seed"], log,
                               float(scale["progress_seconds"]))
            models.append(model)
        held = heldout_sample(parts, masks, scale["heldout_max_documents"])
        topic_sets = [m.result().topics(ev["coherence_top_n"]) for m in models]
        log("coherence: counting co-occurrences over the kept documents")
        scores = coherence_scores(cleaning.token_chunks(), topic_sets, ev["coherence"], ev["coherence_top_n"])
        by_k = metrics_by_k(models, scores, ks, {"epochs": epochs}, ev, held, log)
    best = _best(by_k, config["topics"]["best_by"]) if len(ks) > 1 else 0
    model, metrics = models[best], by_k[best]
    with run.stage("outputs"):
        save_artifact(model, run.path / "artifacts" / "model")
        extra = _write_topic_outputs(config, run, cleaning, parts, model, metrics, log)
        if len(ks) > 1:
            from research.experiment.topic import _write_by_k
            _write_by_k(config, run, by_k, ks[best])
        run.background.wait()
    out = {k: v for k, v in metrics.items() if not k.endswith("_per_topic")}
    out.update(extra)
    out.update({"model": model.name, "best_k": ks[best], "best_by": config["topics"]["best_by"],
                "by_k": [{k: v for k, v in m.items() if not k.endswith("_per_topic")} for m in by_k],
                "documents_heldout": int(sum(int(m.sum()) for m in masks))})
    if len(ks) > 1:
        names = [n for n in by_k[0] if isinstance(by_k[0][n], float) and all(isinstance(m.get(n), float) for m in by_k)]
        out["mean_over_k"] = {n: float(np.mean([m[n] for m in by_k])) for n in names}
    return out


def metrics_by_k(models: list, scores: list[dict[str, Any]], ks: list[int], extra: dict[str, Any],
                 ev: dict[str, Any], held, log) -> list[dict[str, Any]]:
    """Each fitted K's metrics: its coherence ``scores``, ``extra``, diversity, similarity and,
    with a held-out sample, perplexity or reconstruction error (one log line per K)."""
    by_k = []
    for model, score, k in zip(models, scores, ks, strict=True):
        m: dict[str, Any] = {"num_topics": k, **score, **extra}
        m["topic_diversity"] = topic_diversity(model.result().topics(ev["diversity_top_n"]), ev["diversity_top_n"])
        m["topic_similarity"] = float(topic_similarity(model.result().topics(ev["coherence_top_n"]),
                                                       ev["similarity"], ev["coherence_top_n"]).mean)
        if held is not None:
            m.update(heldout_fit(model, held))
            m["heldout_documents"] = int(held.shape[0])
        by_k.append(m)
        log(f"K={k}: " + ", ".join(f"{n}={m[n]:.4f}" for n in ev["coherence"]) +
            f", diversity={m['topic_diversity']:.3f}")
    return by_k


def _write_topic_outputs(config: Config, run: RunFolder, cleaning: StreamedCleaning, parts: MatrixParts, model,
                         metrics: dict[str, Any], log) -> dict[str, Any]:
    """The transform pass: doc_topics.parquet (+ CSV preview), prevalence by group, label
    agreement, topic prevalence; then topics.csv, topic_metrics.csv and the figures."""
    scale, k = config["scale"], model.num_topics
    groups = [g for g in config["topics"]["evaluate"]["group_by"]]
    means = {g: GroupMeans(k) for g in groups}
    labels = LabelTable()
    totals = np.zeros(k)
    sample_rows: list[np.ndarray] = []
    sample_ids: list[str] = []
    preview: list[dict[str, Any]] = []
    writer = None
    progress = Progress(lambda m: log(m), "transform", total=parts.n_documents, every=float(scale["progress_seconds"]))
    done = 0
    columns = ["id", "title", "outlet", "date", "label", "meta"]
    for i, table in enumerate(cleaning.tables(columns)):
        doc_topic = model.transform(parts.part(i))
        totals += doc_topic.sum(axis=0)
        meta = table.to_pydict()
        extra = [json.loads(m) for m in meta.pop("meta")]
        for g, acc in means.items():
            values = month_of(meta["date"]) if g == "month" else meta[g] if g in meta else [e.get(g) for e in extra]
            acc.add(doc_topic, values)
        labels.add(doc_topic, meta["label"])
        shares = {f"topic_{t}": np.round(doc_topic[:, t], 6) for t in range(k)}
        out = pa.table({**meta, **{key: pa.array(v) for key, v in shares.items()}})
        if writer is None:
            writer = pq.ParquetWriter(run.path / "doc_topics.parquet", out.schema, compression="zstd")
        writer.write_table(out)
        if len(preview) < scale["csv_preview_rows"]:
            rows = out.slice(0, scale["csv_preview_rows"] - len(preview)).to_pylist()
            preview.extend(rows)
        if len(sample_ids) < HEATMAP_ROWS:
            take = min(HEATMAP_ROWS - len(sample_ids), doc_topic.shape[0])
            sample_rows.append(doc_topic[:take])
            sample_ids.extend(meta["id"][:take])
        done += doc_topic.shape[0]
        progress.update(done)
    if writer is not None:
        writer.close()
    progress.finish()
    write_csv(run.path / "doc_topics.csv", preview)
    tables = {g: acc.table() for g, acc in means.items()}
    return write_topic_tables(config, run, model, metrics, totals / max(done, 1), np.vstack(sample_rows), sample_ids,
                              tables, labels.scores())


def write_topic_tables(config: Config, run: RunFolder, model, metrics: dict[str, Any], prevalence: np.ndarray,
                       sample_rows: np.ndarray, sample_ids: list[str], tables: dict[str, Any],
                       label_scores: dict[str, float]) -> dict[str, Any]:
    """topics.csv, topic_metrics.csv, prevalence_by_<group>.csv and the figures of a run whose
    documents were never in memory at once (streamed or on Spark): from the model, the mean
    topic shares, the first documents' shares (the heatmap) and the group tables."""
    k = model.num_topics
    result = model.result()
    if config["topics"]["over_time"]["freq"] != "none":
        run.log.info("topics over time and topic shares by group with intervals are not computed when the "
                     "documents are never all in memory (streamed or Spark runs); prevalence_by_<group>.csv is")
    sample = TopicResult(result.topic_word, sample_rows, result.vocabulary, tuple(sample_ids),
                         result.model, result.params)
    top_n = config["topics"]["top_n"]
    labels = labels_of(config, result)
    write_csv(run.path / "topics.csv", [{"topic": t, "label": labels[t], "rank": r + 1, "word": w,
                                         "weight": round(x, 8)}
                                        for t, words in enumerate(result.top_words(top_n))
                                        for r, (w, x) in enumerate(words)])
    rows = []
    for t, words in enumerate(result.topics(top_n)):
        row = {"topic": t, "label": labels[t], "prevalence": round(float(prevalence[t]), 6),
               "top_words": " ".join(words)}
        for key, values in metrics.items():
            if key.endswith("_per_topic"):
                row[key.removesuffix("_per_topic")] = round(values[t], 6)
        rows.append(row)
    write_csv(run.path / "topic_metrics.csv", rows)
    figures = run.path / "figures"
    _draw(run, "plot_top_words", sample, figures / "top_words.png", n=top_n)
    _draw(run, "plot_doc_topic_heatmap", sample, figures / "doc_topic_heatmap.png")
    _draw(run, "plot_intertopic_map", TopicResult(result.topic_word, np.tile(prevalence, (1, 1)), result.vocabulary,
                                                  None, result.model, result.params), figures / "intertopic_map.png")
    found: dict[str, Any] = dict(label_scores)
    distinctive = {}
    for g, table in tables.items():
        if len(table) < 2:
            continue
        table.to_csv(run.path / f"prevalence_by_{g}.csv", float_format="%.6f")
        _draw(run, "plot_prevalence_table", table, k, figures / f"prevalence_by_{g}.png",
              kind="lines" if g == "month" else "heatmap")
        distinctive[g] = _distinctive(table)
    if distinctive:
        found["distinctive_topics"] = distinctive
    return found


# -- the cleaning tables ------------------------------------------------------------------------

CLEANING_COLUMNS = ["id", "kept", "drop_reason", "chars_before", "chars_after", "lines_removed", "paragraphs_removed",
                    "duplicate_of", "duplicate_similarity", "n_tokens"]


def _write_cleaning(run: RunFolder, cleaning: StreamedCleaning, config: Config) -> None:
    """cleaning.parquet (every document) + cleaning.csv (the first rows), data.parquet (every
    document's metadata, source, content hash and removed lines) and data.json (the summary,
    the duplicate pairs and a seeded sample of documents, which the report lists)."""
    scale = config["scale"]
    limit = scale["csv_preview_rows"]
    rng = np.random.default_rng(config["seed"])
    want = scale["sample_documents"]
    keep_share = min(1.0, want / max(cleaning.documents_in, 1))
    preview: list[dict[str, Any]] = []
    sample: list[dict[str, Any]] = []
    cleaning_writer = data_writer = None
    data_columns = ["id", "title", "outlet", "date", "label", "meta", "source", "sha256", "removed", "found"]
    for table in cleaning.tables(kept_only=False):
        part = table.select(CLEANING_COLUMNS)
        data = table.select(data_columns)
        if cleaning_writer is None:
            cleaning_writer = pq.ParquetWriter(run.path / "cleaning.parquet", part.schema, compression="zstd")
            data_writer = pq.ParquetWriter(run.path / "data.parquet", data.schema, compression="zstd")
        cleaning_writer.write_table(part)
        data_writer.write_table(data)   # type: ignore[union-attr]
        if len(preview) < limit:
            preview.extend(part.slice(0, limit - len(preview)).to_pylist())
        chosen = np.flatnonzero(rng.random(table.num_rows) < keep_share)
        if chosen.size and len(sample) < want:
            rows = table.take(pa.array(chosen[:want - len(sample)]))
            sample.extend(_sample_entry(r) for r in rows.to_pylist())
    for writer in (cleaning_writer, data_writer):
        if writer is not None:
            writer.close()
    write_csv(run.path / "cleaning.csv", preview)
    pairs = cleaning.duplicate_pairs
    data = {"summary": cleaning.summary, "duplicate_pairs": pairs[:10000],
            "duplicate_pairs_total": len(pairs), "documents_total": cleaning.documents_in,
            "documents_sampled": True, "documents": sample}
    from research.runs.folder import write_json
    write_json(run.path / "data.json", data, rows="documents")


def _sample_entry(row: dict[str, Any]) -> dict[str, Any]:
    meta = json.loads(row["meta"])
    record = {"id": row["id"], "chars_before": row["chars_before"], "chars_after": row["chars_after"],
              "lines_removed": json.loads(row["removed"]),
              "paragraphs_removed": json.loads(row["found"]) if row["paragraphs_removed"] else [],
              "junk_removed": row["junk"], "links_removed": row["links"], "duplicate_of": row["duplicate_of"],
              "duplicate_similarity": row["duplicate_similarity"], "kept": row["kept"],
              "drop_reason": row["drop_reason"], "n_tokens": row["n_tokens"]}
    return {"id": row["id"], "title": row["title"], "outlet": row["outlet"], "date": row["date"],
            "label": row["label"], **meta, "source": row["source"], "sha256": row["sha256"], "cleaning": record}
