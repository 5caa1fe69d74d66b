"""``apply`` on Spark: a trained tone run scores every document of a large corpus on the executors.

The corpus is read with Spark's readers (:func:`research.spark.read.read_frame`). Each executor
opens the trained run once (:func:`research.runs.reuse.load_run`: the same checksummed, code-free
artefacts as locally, so the run folder must be on storage the executors can read) and scores its
partitions exactly as a local ``apply`` does; predictions are written as Parquet parts
(``predictions.parquet``) and, for a corpus of at most ``scale.csv_preview_rows`` documents, also as
the usual ``predictions.csv``.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from research.corpus.documents import Document
from research.runs.folder import RunFolder
from research.runs.reuse import UnscorableWarning, load_run
from research.spark.read import read_frame, spark_errors, tidy_parquet
from research.spark.session import EngineError, owned_session, session_info
from research.util.batches import batched
from research.util.tables import write_csv

__all__ = ["score_on_spark"]

_LOADED: dict[str, Any] = {}   # per executor process: the trained run, loaded once
SCORE_BATCH = 500


def _trained(path: str, trusted: bool):
    if path not in _LOADED:
        _LOADED[path] = load_run(path, trusted=trusted)
    return _LOADED[path]


def _score_partition(rows: Iterator[Any], path: str, trusted: bool) -> Iterator[tuple[int, str]]:
    """(index, JSON of the predictions.csv row) of each document of one partition."""
    from research.experiment.tone import score_documents

    trained = _trained(path, trusted)
    tone = trained.config["tone"]
    for batch in batched(rows, SCORE_BATCH):
        docs = [Document(id=r["id"], text=r["text"], title=r["title"], outlet=r["outlet"], date=r["date"],
                         label=r["label"], source=r["source"], meta=json.loads(r["meta"] or "{}")) for r in batch]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UnscorableWarning)
            cleaned, proba = trained.clean_and_score([d.text for d in docs], empty="nan")
        scored = score_documents(trained.model, [d.with_text(t) for d, t in zip(docs, cleaned, strict=True)], proba,
                                 tone["explain_top"], tone["promotional"]["enabled"],
                                 threshold=trained.model.decision_threshold())
        for r, out in zip(batch, scored, strict=True):
            yield r["index"], json.dumps(out, ensure_ascii=False, default=_plain)


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return str(value)


def score_on_spark(trained, settings: dict[str, Any], engine: dict[str, Any], run: RunFolder,
                   trusted: bool) -> tuple[int, dict[str, int]]:
    """Score the corpus of ``settings`` on Spark; write predictions; return (documents, counts of
    each predicted class)."""
    with owned_session(engine, f"research-{run.path.name}", run.path / "spark-events") as spark:
        run.record["engine"] = {**session_info(spark), "partitions": engine["spark"]["partitions"]}
        with run.stage("load"):
            frame, n = read_frame(spark, settings, engine["spark"]["partitions"])
        with run.stage("score"), spark_errors(f"apply {trained.path}", EngineError):
            path = str(Path(trained.path).resolve())
            scored = frame.rdd.mapPartitions(lambda rows: _score_partition(rows, path, trusted))
            table = spark.read.json(scored.sortByKey().values())
            columns = list(json.loads(scored.first()[1])) if n else table.columns
            table = table.select(*columns)
            table.write.parquet(str(run.path / "predictions.parquet"), compression="zstd")
            counts = {r["predicted"]: int(r["count"]) for r in
                      table.filter("predicted IS NOT NULL AND predicted != ''").groupBy("predicted").count().collect()}
            unread = table.filter("predicted IS NULL OR predicted = ''").count()
            if unread:
                run.warn(f"{unread} of {n} document(s) have no text left after the run's cleaning; "
                         "their scores in predictions.parquet are empty")
            if n <= run_preview_rows(trained.config):
                rows = [json.loads(js) for _, js in scored.sortByKey().collect()]
                write_csv(run.path / "predictions.csv", rows)
        tidy_parquet(run.path / "predictions.parquet")
        return n, dict(sorted(counts.items()))


def run_preview_rows(config: dict[str, Any]) -> int:
    return int(config.get("scale", {}).get("csv_preview_rows", 10000))
