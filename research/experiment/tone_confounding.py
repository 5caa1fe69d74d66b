"""``tone.confounding`` in a tone run: measure which features tell outlets apart more than
genres, drop the confounded tone features, and write ``feature_confounding.csv``.

The table is measured on the run's training documents and their groups only (never on
``tone.test_sources``). Tone features are dropped through the classifier's
``tone_features``; the sentence shares (``features: [sentences]``) are measured and
reported but always kept (a run warns when one fails the test).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from research.config.load import Config
from research.errors import ConfigError, ModelError
from research.runs.folder import RunFolder
from research.tone import FEATURE_NAMES, ToneFeatures, ToneSettings, linear_weights
from research.tone.confounding import ConfoundingRow, measure_confounding, select_features
from research.util.tables import write_csv

__all__ = ["Confounding", "check_confounding", "measure_run_confounding", "write_confounding"]


@dataclass(frozen=True)
class Confounding:
    """The measured table (``kept`` set) and the tone features the classifier keeps (None = as configured)."""

    rows: tuple[ConfoundingRow, ...]
    tone_features: tuple[str, ...] | None


def _matrix(model: ToneSettings, texts: list[str], scorers) -> tuple[np.ndarray, list[str]]:
    """The tone and sentence feature columns ``model`` builds, unscaled."""
    names = list(model.tone_features or FEATURE_NAMES) if "tone" in model.features else []
    blocks = [ToneFeatures(features=names).fit(texts).transform(texts)] if names else []
    if scorers and "sentences" in model.features:
        shares = model.sentence_shares(scorers).fit()
        blocks.append(shares.transform(texts))
        names += [str(n) for n in shares.get_feature_names_out()]
    return np.hstack(blocks), names


def check_confounding(config: Config) -> None:
    """Before the run: ``max_ratio`` needs groups (document unit) and tone or sentence features."""
    tone = config["tone"]
    if tone["confounding"]["max_ratio"] is None:
        return
    grouped = tone["group_column"] or any(s["group_column"] for s in tone["extra_sources"])
    if tone["unit"] == "paragraph" or not grouped or not {"tone", "sentences"} & set(tone["features"]):
        raise ConfigError("tone.confounding.max_ratio: needs tone or sentences features, tone.unit: document and "
                          "training groups (tone.group_column or a source's group_column); set it to null")


def measure_run_confounding(config: Config, run: RunFolder, texts: list[str], labels: list[str],
                            groups: list[str] | None, scorers, model: ToneSettings) -> Confounding | None:
    """The confounding table of the training documents over the features ``model`` (the run's
    classifier settings) builds, or None when it cannot be measured (no tone or sentence
    features, no groups; an error instead when ``max_ratio`` asks for it)."""
    settings, tone = config["tone"]["confounding"], config["tone"]
    wanted = settings["max_ratio"] is not None
    if not {"tone", "sentences"} & set(tone["features"]) or groups is None:
        if wanted:
            raise ModelError("tone.confounding.max_ratio: needs tone or sentences features and training groups "
                             "(tone.group_column or a source's group_column); set it to null")
        return None
    X, names = _matrix(model, texts, scorers)
    try:
        table = measure_confounding(X, labels, groups, names, settings["min_documents"])
    except ModelError:
        if wanted:
            raise
        run.log.info("feature confounding not measured: fewer than two groups in a class")
        return None
    rows = _keep_sentence_shares(select_features(table, settings["max_ratio"]), run)
    dropped = {r.feature for r in rows if not r.kept}
    tone_names = [n for n in names if n in FEATURE_NAMES]
    if tone_names and not set(tone_names) - dropped:
        raise ModelError(f"tone.confounding.max_ratio: {settings['max_ratio']} drops every tone feature; raise it")
    if dropped:
        run.log.info("tone.confounding: dropped %s", ", ".join(sorted(dropped)))
    kept = tuple(n for n in tone_names if n not in dropped) if wanted and tone_names else None
    return Confounding(tuple(rows), kept)


def _keep_sentence_shares(rows: list[ConfoundingRow], run: RunFolder) -> list[ConfoundingRow]:
    """Sentence shares cannot be dropped: a failing one stays in the model, with a warning."""
    stuck = [r for r in rows if not r.kept and r.feature not in FEATURE_NAMES]
    if stuck:
        run.warn(f"tone.confounding: sentence features {', '.join(r.feature for r in stuck)} fail max_ratio "
                 "but are kept (only tone features can be dropped)")
    return [replace(r, kept=True) if r in stuck else r for r in rows]


def write_confounding(path: Path, confounding: Confounding | None, pipeline: Any, positive: str) -> None:
    """``feature_confounding.csv``: feature, weight (in the fitted model, towards ``positive``
    for two classes; blank when dropped), outlet_spread, genre_spread, ratio, kept."""
    if confounding is None:
        return
    names, w, classes = linear_weights(pipeline)
    row = w[0] if w.shape[0] > 1 or str(classes[1]) == str(positive) else -w[0]
    weights = {str(n).split("__", 1)[1]: float(v) for n, v in zip(names, row, strict=True)
               if str(n).startswith(("tone__", "sentences__"))}
    rows = []
    for row in confounding.rows:
        found = weights.get(row.feature) if row.kept else None
        rows.append({"feature": row.feature, "weight": "" if found is None else round(found, 6),
                     **{k: v for k, v in row.as_dict().items() if k != "feature"}})
    write_csv(path, rows)
