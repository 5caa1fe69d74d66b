"""Apply a trained tone run to another corpus: ``research apply RUN CORPUS``.

The corpus is read with the training run's column settings (its ``source`` replaced),
cleaned with the run's saved per-text cleaning, and scored; ``predictions.csv`` goes into
a new run folder of kind ``apply`` whose path is printed last.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from .corpus import read_corpus
from .errors import RunError
from .reuse import load_run
from .runs import RunFolder
from .pipeline import write_csv

__all__ = ["apply_run"]


def _corpus_settings(run_config: dict[str, Any], corpus: str) -> dict[str, Any]:
    settings = {**run_config["corpus"], "source": corpus, "where": {}, "limit": None}
    if not Path(corpus).exists() and corpus != "sample":
        raise RunError(f"CORPUS: no such file or folder: {corpus}")
    return settings


def apply_run(run_path: str | Path, corpus: str, results_dir: str | Path = "results",
              command: list[str] | None = None) -> Path:
    """Score ``corpus`` with the tone run at ``run_path``; returns the new run folder."""
    trained = load_run(run_path)
    if trained.kind != "tone":
        raise RunError(f"{run_path}: a '{trained.kind}' run, not a tone run; apply needs a run of model.kind: tone")
    model, cleaner, config = trained.model, trained.cleaner, trained.config
    settings = _corpus_settings(config, str(corpus))
    name = f"apply-{Path(str(run_path)).name.split('-', 2)[-1]}"
    run = RunFolder.create(results_dir, name, "apply", config["seed"], command)
    with run:
        run.record["source_run"] = str(Path(run_path).resolve())
        run.record["corpus"] = str(corpus)
        with run.stage("load"):
            docs = read_corpus(settings)
        with run.stage("score"):
            docs = [d.with_text(cleaner.clean_text(d.text).text()) for d in docs]
            proba = model.predict_proba([d.text for d in docs])
            from .tone_run import score_documents
            rows = score_documents(model, docs, proba, config["tone"]["explain_top"],
                                   config["tone"]["promotional"]["enabled"])
            write_csv(run.path / "predictions.csv", rows)
        counts = {c: int(n) for c, n in zip(*np.unique([r["predicted"] for r in rows], return_counts=True))}
        run.write_json("metrics.json", {"documents": len(rows), "predicted": counts,
                                        "source_run": run.record["source_run"]})
        run.write_config({**config, "corpus": settings})
    return run.path
