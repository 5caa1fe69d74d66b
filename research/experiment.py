"""Run one experiment from a config: the stages, the run folder, the model-kind registry.

Each ``model.kind`` names a runner ``(config, run, prepared) -> metrics``; an unknown kind
lists the valid ones. The front stages (load, clean, vectorise) are shared.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from ._gc import paused_gc
from ._workers import shutdown
from .config import Config
from .errors import ConfigError
from .pipeline import Prepared, prepare, write_top_terms
from .runs import RunFolder

__all__ = ["run_experiment", "register_kind", "RUNNERS", "PRECHECKS"]

Runner = Callable[[Config, RunFolder, Prepared], dict[str, Any]]
Precheck = Callable[[Config], None]
RUNNERS: dict[str, Runner] = {}
PRECHECKS: dict[str, Precheck] = {}
LOADERS: dict[str, Callable[[Config], list]] = {}


def register_kind(name: str, precheck: Precheck | None = None,
                  loader: Callable[[Config], list] | None = None) -> Callable[[Runner], Runner]:
    """Register a runner for ``model.kind: name``; ``precheck`` validates the config's
    model settings before any run folder exists or any data is read; ``loader`` replaces
    the reading of ``corpus`` (a kind that combines several corpora)."""
    def wrap(func: Runner) -> Runner:
        RUNNERS[name] = func
        if precheck is not None:
            PRECHECKS[name] = precheck
        if loader is not None:
            LOADERS[name] = loader
        return func
    return wrap


@register_kind("tfidf")
def _run_tfidf(config: Config, run: RunFolder, prepared: Prepared) -> dict[str, Any]:
    """Vectorise only: top terms per document and per outlet, and their figure."""
    from .figures import plot_term_panels

    with run.stage("report"):
        by_outlet = write_top_terms(run, prepared, config["report"]["top_terms"])
        plot_term_panels(by_outlet, run.path / "figures" / "top_terms_by_outlet.png",
                         title=f"Top TF-IDF terms by outlet ({config.name})")
    return {}


def run_experiment(config: Config, results_dir: str | Path = "results",
                   command: list[str] | None = None) -> Path:
    """Run the experiment; return the run folder (complete), or raise (run left as failed)."""
    kind = config["model"]["kind"]
    runner = RUNNERS.get(kind)
    if runner is None:
        raise ConfigError(f"model.kind: unknown kind '{kind}'; valid: {', '.join(sorted(RUNNERS))}")
    if kind in PRECHECKS:
        PRECHECKS[kind](config)
    run = RunFolder.create(results_dir, config.name, kind, config["seed"], command)
    with run, paused_gc():
        run.write_config(config.data)
        run.log.info("run %s: config %s", run.path, config.source)
        prepared = prepare(config, run, LOADERS.get(kind))
        metrics = dict(prepared.metrics)
        metrics.update(runner(config, run, prepared) or {})
        run.write_json("metrics.json", metrics)
        run.background.wait()
        if run.background.helpers:
            shutdown(wait=False)   # the helpers exit while the report is written
        _write_report(run)
    return run.path


def _write_report(run: RunFolder) -> None:
    """report.html, from the files the run has written."""
    from .report import write_report

    with run.stage("html"):
        write_report(run.path)


from . import tone_run, topic_run  # noqa: E402,F401  (register the lda, nmf and tone kinds)
