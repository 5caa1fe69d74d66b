"""Run one experiment from a config: the front stages, the kind's runner, the run folder.

Each ``model.kind`` names a runner ``(config, run, prepared) -> metrics`` registered in
:mod:`research.experiment.kinds`; an unknown kind lists the valid ones. The front stages
(load, clean, vectorise) are shared (:mod:`research.experiment.stages`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import research.experiment.tfidf
import research.experiment.tone
import research.experiment.topic  # noqa: F401  (registers the lda and nmf kinds)
from research.config.load import Config
from research.errors import ConfigError
from research.experiment.kinds import LOADERS, PRECHECKS, RUNNERS, precheck, register_kind
from research.experiment.stages import prepare, read_with_warnings
from research.experiment.streamed import STREAMABLE, check_stream_settings, read_or_stream, run_streamed
from research.runs.folder import RunFolder
from research.util.gc import paused_gc
from research.util.workers import shutdown

__all__ = ["PRECHECKS", "RUNNERS", "register_kind", "run_experiment"]

def run_experiment(config: Config, results_dir: str | Path = "results",
                   command: list[str] | None = None) -> Path:
    """Run the experiment; return the run folder (complete), or raise (run left as failed)."""
    kind = config["model"]["kind"]
    runner = precheck(config)
    if config["engine"]["kind"] == "spark":   # imported only then: the local engine never loads research.spark
        from research.experiment.spark_run import check_spark_settings

        check_spark_settings(config)
    elif config["vectorizer"]["hashing"]:
        raise ConfigError("vectorizer.hashing runs on engine.kind: spark (for vocabularies too large to count on "
                          "one machine); set vectorizer.hashing: null or engine.kind: spark")
    check_stream_settings(config)
    run = RunFolder.create(results_dir, config.name, kind, config["seed"], command)
    with run, paused_gc():
        run.write_config(config.data)
        run.log.info("run %s: config %s", run.path, config.source)
        run.log.debug("process %s on %s, git %s; %s", run.record["pid"], run.record["host"]["hostname"],
                      run.record["git_commit"], ", ".join(f"{k} {v}" for k, v in run.record["versions"].items() if v))
        documents, stream, position = None, None, {}
        spark = config["engine"]["kind"] == "spark"
        if kind in STREAMABLE and kind not in LOADERS and not spark:
            with run.stage("load"):
                documents, stream, position = read_with_warnings(lambda: read_or_stream(config, run), run)
        if spark:
            from research.experiment.spark_run import run_spark

            metrics = run_spark(config, run)
        elif stream is not None:
            metrics = run_streamed(config, run, stream, position)
        else:
            prepared = prepare(config, run, LOADERS.get(kind), documents)
            metrics = dict(prepared.metrics)
            metrics.update(runner(config, run, prepared) or {})
        run.write_json("metrics.json", metrics)
        run.log.info("%s", headline(metrics))
        run.background.wait()
        if run.background.helpers:
            shutdown(wait=False)   # the helpers exit while the report is written
        _write_report(run)
    return run.path


HEADLINE = ("c_npmi", "c_v", "u_mass", "topic_diversity", "perplexity", "reconstruction_error", "centroid_distance", "nmi", "macro_f1",
            "roc_auc", "accuracy", "brier")


def headline(metrics: dict[str, Any]) -> str:
    """One line of the run's main numbers (with their intervals where the run has them), printed
    at the end of every kind of run."""
    intervals = metrics.get("intervals") or {}
    parts = [f"{metrics.get('documents_kept', '?')} of {metrics.get('documents_read', '?')} documents kept"]
    for key in HEADLINE:
        value = metrics.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            low_high = intervals.get(key)
            parts.append(f"{key} {value:.3f}" + (f" [{low_high[0]:.3f}, {low_high[1]:.3f}]" if low_high else ""))
    if len(parts) == 1 and "vocabulary_size" in metrics:
        parts.append(f"vocabulary {metrics['vocabulary_size']:,} words")
    how = f" ({metrics['evaluation'].replace('_', '-')})" if "evaluation" in metrics else ""
    return "headline: " + ", ".join(parts) + how


def _write_report(run: RunFolder) -> None:
    """report.html, from the files the run has written."""
    from research.runs.report import write_report

    with run.stage("html"):
        write_report(run.path)
