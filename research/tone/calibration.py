"""Calibrated P(positive) across outlets, and calibration measured per outlet.

``tone.calibration: sigmoid | isotonic | none``. The calibrator is fitted on the *grouped
inner out-of-fold* probabilities of the training data (the same inner folds as
``tone.threshold: auto``, :mod:`research.tone.threshold`: grouped by ``tone.group_column``
when set), then applied to the final model fit on all training documents, as scikit-learn's
``CalibratedClassifierCV(ensemble=False)`` does but with folds that keep an outlet on one
side. Each probability the calibrator sees comes from a model that never saw that outlet,
so the map learns how over-confident the model is on a new outlet -- the situation of a
held-out test -- and not how confident it is on outlets it was trained on.

* ``sigmoid``: Platt scaling of the log-odds, ``p' = 1 / (1 + exp(a * logit(p) + b))``,
  with Platt's smoothed targets (two numbers; monotone, so it keeps the ranking and ROC-AUC).
* ``isotonic``: a non-decreasing step map (interpolated between its knots), more flexible,
  needs more documents, and ties documents it merges into one step.

Both are stored as plain numbers in ``model.json`` (no pickle). Inside an outer CV fold the
calibrator is fitted on that fold's training part only.

Per-outlet measurement (:func:`group_calibration`): the Brier score per group of the
out-of-fold (``cv``) and held-out (``test``) probabilities, in ``metrics.json``
(``calibration_by_group``) and ``calibration_by_group.csv``, and a reliability panel per
group in ``figures/reliability_by_group.png``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from research.errors import ParameterError, RunError
from research.util.tables import write_csv

__all__ = ["CALIBRATIONS", "Calibrator", "brier_by_group", "check_calibration", "group_calibration",
           "plot_reliability_by_group", "write_group_calibration"]

CALIBRATIONS = ("none", "sigmoid", "isotonic")
EPS = 1e-6


def check_calibration(value) -> str:
    if value not in CALIBRATIONS:
        raise ParameterError("calibration", f"one of {', '.join(CALIBRATIONS)}", value)
    return value


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=float), EPS, 1 - EPS)
    return np.log(p / (1 - p))


class Calibrator:
    """A monotone map of P(positive), fitted on out-of-fold probabilities; JSON state."""

    def __init__(self, method: str):
        self.method = check_calibration(method)
        self.state: dict[str, Any] = {}

    def fit(self, p_positive, is_positive) -> Calibrator:
        p = np.asarray(p_positive, dtype=float)
        y = np.asarray(is_positive, dtype=bool)
        if self.method == "sigmoid":
            from sklearn.calibration import _sigmoid_calibration

            a, b = _sigmoid_calibration(_logit(p), y.astype(float))
            self.state = {"a": float(a), "b": float(b)}
        elif self.method == "isotonic":
            from sklearn.isotonic import IsotonicRegression

            iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(p, y.astype(float))
            self.state = {"x": [float(v) for v in iso.X_thresholds_], "y": [float(v) for v in iso.y_thresholds_]}
        return self

    def transform(self, p_positive) -> np.ndarray:
        p = np.asarray(p_positive, dtype=float)
        if self.method == "sigmoid":
            return 1.0 / (1.0 + np.exp(self.state["a"] * _logit(p) + self.state["b"]))
        if self.method == "isotonic":
            return np.interp(p, self.state["x"], self.state["y"])
        return p

    def to_state(self) -> dict[str, Any]:
        return {"method": self.method, **self.state}

    @classmethod
    def from_state(cls, state: dict[str, Any], where: str = "model.json") -> Calibrator:
        """Rebuild from :meth:`to_state`; a RunError for anything else."""
        try:
            out = cls(state["method"])
            if out.method == "sigmoid":
                out.state = {"a": float(state["a"]), "b": float(state["b"])}
            elif out.method == "isotonic":
                x, y = [float(v) for v in state["x"]], [float(v) for v in state["y"]]
                if len(x) != len(y) or not x or np.any(np.diff(x) < 0):
                    raise ValueError("isotonic knots")
                out.state = {"x": x, "y": y}
        except (KeyError, TypeError, ValueError) as exc:
            raise RunError(f"{where}: damaged calibration state ({type(exc).__name__}: {exc})") from None
        return out


# -- measured per group ---------------------------------------------------------------------
def brier_by_group(y_true, p_positive, positive, groups) -> list[dict[str, Any]]:
    """Per group (sorted by name): documents, share of ``positive``, mean P(positive), Brier."""
    y = np.asarray([str(v) == str(positive) for v in y_true], dtype=float)
    p = np.asarray(p_positive, dtype=float)
    g = np.asarray([str(v) for v in groups])
    rows = []
    for name in np.unique(g):
        m = g == name
        rows.append({"group": str(name), "documents": int(m.sum()), "share_positive": float(y[m].mean()),
                     "mean_predicted": float(p[m].mean()), "brier": float(np.mean((p[m] - y[m]) ** 2))})
    return rows


def group_calibration(splits: dict[str, tuple[Any, Any, Any]], positive: str, folder: Path) -> dict[str, Any]:
    """For each split (``{"cv": (y_true, p_positive, groups), "test": ...}``): Brier per group.
    Writes ``calibration_by_group.csv`` and ``figures/reliability_by_group.png`` in ``folder``
    and returns ``{split: {group: {documents, brier, ...}}}`` for metrics.json."""
    rows, panels, out = [], [], {}
    for split, (y_true, p, groups) in splits.items():
        found = brier_by_group(y_true, p, positive, groups)
        out[split] = {r["group"]: {k: (round(v, 6) if isinstance(v, float) else v) for k, v in r.items()
                                   if k != "group"} for r in found}
        rows += [{"split": split, **{k: (round(v, 6) if isinstance(v, float) else v) for k, v in r.items()}}
                 for r in found]
        g = np.asarray([str(v) for v in groups])
        panels += [(f"{r['group']} ({split})", np.asarray(y_true)[g == r["group"]], np.asarray(p)[g == r["group"]],
                    r["brier"]) for r in found]
    write_csv(folder / "calibration_by_group.csv", rows)
    plot_reliability_by_group(panels, positive, folder / "figures" / "reliability_by_group.png")
    return out


def write_group_calibration(folder: Path, evaluations: dict[str, Any], rows: list[dict[str, Any]],
                            positive: str) -> dict[str, Any]:
    """:func:`group_calibration` of a tone run: each split's evaluation (``cv``, ``test``),
    grouped by the documents' ``group`` in ``rows`` (predictions.csv, same order), else outlet,
    else one group "all"."""
    splits = {}
    for split, evaluation in evaluations.items():
        part = [r for r in rows if r.get("split") == split]
        groups = [str(r.get("group") or r.get("outlet") or "all") for r in part]
        classes = [str(c) for c in evaluation.classes]
        if len(classes) != 2 or len(groups) != len(evaluation.y_true):
            continue                                  # multi-class, or paragraph rows: no per-group Brier
        splits[split] = (evaluation.y_true, np.asarray(evaluation.proba)[:, classes.index(positive)], groups)
    return group_calibration(splits, positive, folder) if splits else {}


def plot_reliability_by_group(panels, positive: str, path, n_bins: int = 10, columns: int = 4) -> Path:
    """Small multiples: one reliability panel per (title, y_true, p_positive, brier), shared
    axes, about 1,200 px wide at four panels a row."""
    from matplotlib.figure import Figure

    from research.tone.figures import _save, calibration_table

    cols = max(1, min(columns, len(panels)))
    rows = max(1, -(-len(panels) // cols))
    fig = Figure(figsize=(2.5 * cols, 2.55 * rows + 0.5), layout="constrained")
    axes = fig.subplots(rows, cols, sharex=True, sharey=True, squeeze=False)
    for ax in axes.ravel()[len(panels):]:
        ax.set_visible(False)
    for ax, (title, y_true, p, brier) in zip(axes.ravel(), panels, strict=False):
        table = calibration_table(y_true, p, positive, n_bins)
        mean_p = np.array([r["mean_predicted"] for r in table])
        share = np.array([r["observed_share"] for r in table])
        sizes = np.array([r["documents"] for r in table])
        ax.plot([0, 1], [0, 1], ls="--", c="grey", lw=0.8)
        ax.plot(mean_p, share, c="C0", lw=1)
        ax.scatter(mean_p, share, s=8 + 80 * sizes / sizes.max(), c="C0", zorder=3)
        ax.set_title(f"{title}\nn={len(p)}, Brier {brier:.3f}", fontsize=9)
        ax.set(xlim=(0, 1), ylim=(-0.02, 1.02))
        ax.tick_params(labelsize=8)
    for ax in axes[-1]:
        ax.set_xlabel(f"predicted P({positive})", fontsize=8)
    for ax in axes[:, 0]:
        ax.set_ylabel("observed share", fontsize=8)
    fig.suptitle(f"Reliability of P({positive}) per group (marker size = documents in the bin)", fontsize=10)
    return _save(fig, path)
