"""Apply a trained tone run to another corpus: ``research apply RUN CORPUS``.

The corpus is read with the training run's column settings (its ``source`` replaced),
cleaned with the run's saved per-text cleaning and scored exactly as
``load_run(run).predict_proba`` does (labels by the saved model's decision threshold: the
number of ``tone.threshold``, or the one ``auto`` chose in training);
``predictions.csv``, ``metrics.json`` and ``report.html`` go into a new run folder of kind
``apply`` whose path is printed last.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np

from research.corpus.read import read_corpus
from research.errors import ConfigError, RunError
from research.runs.folder import RunFolder
from research.runs.report import write_report
from research.runs.reuse import UnscorableWarning, load_run
from research.util.tables import write_csv

__all__ = ["apply_run"]


def _corpus_settings(run_config: dict[str, Any], corpus: str, overrides: list[str]) -> dict[str, Any]:
    """The training run's column settings for ``corpus``, with ``--set corpus.KEY=VALUE``
    overrides (a corpus whose columns have other names); every column is kept."""
    from research.config.load import load_config

    settings = {**run_config["corpus"], "source": corpus, "where": {}, "limit": None,
                "keep_columns": "all"}   # predictions.csv carries every column of the input
    if not Path(corpus).exists() and corpus != "sample":
        raise RunError(f"CORPUS: no such file or folder: {corpus}")
    sets = [o for o in overrides if o.strip().startswith("corpus.")]
    return load_config(data={"corpus": settings}, overrides=sets)["corpus"] if sets else settings


def _score(trained, docs: list, run: RunFolder) -> list[dict[str, Any]]:
    """predictions.csv rows: cleaned and scored as ``load_run(...).predict_proba`` does; a
    document with no text left after cleaning gets empty scores and a run warning."""
    from research.experiment.tone import score_documents

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnscorableWarning)   # reported below, with the ids
        cleaned, proba = trained.clean_and_score([d.text for d in docs], empty="nan")
    unread = [d.id for d, row in zip(docs, proba, strict=True) if np.isnan(row).any()]
    if unread:
        run.warn(f"{len(unread)} of {len(docs)} document(s) have no text left after the run's cleaning "
                 f"(e.g. '{unread[0]}'); their scores in predictions.csv are empty")
    tone = trained.config["tone"]
    return score_documents(trained.model, [d.with_text(t) for d, t in zip(docs, cleaned, strict=True)], proba,
                           tone["explain_top"], tone["promotional"]["enabled"],
                           threshold=trained.model.decision_threshold())


def _engine(config: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """The engine to score with: the run's own ``engine:`` section (the default for runs written
    before it existed) with ``--set engine.KEY=VALUE`` overrides; other keys are refused."""
    from research.config.load import load_config

    other = [o for o in overrides if not o.strip().startswith(("engine.", "corpus."))]
    if other:
        raise ConfigError(f"apply --set {other[0]!r}: only engine.* and corpus.* keys can be set for apply (e.g. "
                          "engine.kind=spark, corpus.text_column=body); the rest of the settings are the trained run's")
    base = {"engine": config["engine"]} if "engine" in config else {}
    return load_config(data=base, overrides=[o for o in overrides if o.strip().startswith("engine.")])["engine"]


def apply_run(run_path: str | Path, corpus: str, results_dir: str | Path = "results",
              command: list[str] | None = None, trusted: bool = False, overrides: list[str] | None = None) -> Path:
    """Score ``corpus`` with the tone run at ``run_path``; returns the new run folder.
    ``trusted=True`` is needed for a run written by research 0.1.0 (pickled artefacts).
    ``overrides`` (``engine.KEY=VALUE``) choose the engine: with ``engine.kind=spark`` every
    document is scored on Spark's executors and predictions are written as Parquet;
    ``corpus.KEY=VALUE`` map the corpus's columns (``corpus.text_column=body``)."""
    trained = load_run(run_path, trusted=trusted)
    if trained.kind != "tone":
        raise RunError(f"{run_path}: a '{trained.kind}' run, not a tone run; apply needs a run of model.kind: tone")
    config = trained.config
    engine = _engine(config, overrides or [])
    settings = _corpus_settings(config, str(corpus), overrides or [])
    _ = trained.model, trained.cleaner   # verified and loaded (or refused) before any folder exists
    if engine["kind"] == "spark":
        from research.spark.session import require_pyspark

        require_pyspark()
    name = f"apply-{Path(str(run_path)).name.split('-', 2)[-1]}"
    run = RunFolder.create(results_dir, name, "apply", config["seed"], command)
    with run:
        run.record["source_run"] = str(Path(run_path).resolve())
        run.record["corpus"] = str(corpus)
        if engine["kind"] == "spark":
            from research.experiment.spark_apply import score_on_spark

            n, counts = score_on_spark(trained, settings, engine, run, trusted)
        else:
            with run.stage("load"):
                docs = read_corpus(settings)
            with run.stage("score"):
                rows = _score(trained, docs, run)
                write_csv(run.path / "predictions.csv", rows)
            n = len(rows)
            scored = [r["predicted"] for r in rows if r["predicted"]]
            counts = {c: int(k) for c, k in zip(*np.unique(scored, return_counts=True), strict=True)}
        metrics = {"documents": n, "predicted": counts, "unscored": n - sum(counts.values()),
                   "threshold": trained.model.decision_threshold(), "source_run": run.record["source_run"]}
        spark = engine["kind"] == "spark"   # a local apply writes what it always wrote
        run.write_json("metrics.json", {**metrics, "engine": "spark"} if spark else metrics)
        run.write_config({**config, "corpus": settings, **({"engine": engine} if spark else {})})
        with run.stage("html"):
            write_report(run.path)
    return run.path
