"""Figures of a tone evaluation, each written to the path it is given (PNG, SVG or PDF).

Figures are drawn on a ``matplotlib.figure.Figure`` without pyplot, so nothing depends on
a display or on global state, and each function returns the path it wrote.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from research.errors import ModelError

__all__ = ["calibration_table", "plot_calibration", "plot_confusion", "plot_top_features"]


def _save(fig: Figure, path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120, bbox_inches="tight")
    return path


def calibration_table(y_true, proba_positive, positive, n_bins=10) -> list[dict]:
    """The data of the reliability curve: per non-empty equal-width bin of P(``positive``)
    (bin ``b`` holds ``b/n_bins <= p < (b+1)/n_bins``, the last bin includes 1), the mean
    predicted probability, the observed share of ``positive`` among the labels and the
    number of documents."""
    y = np.asarray([str(v) == str(positive) for v in y_true], dtype=float)
    p = np.asarray(proba_positive, dtype=float)
    if len(y) == 0 or len(y) != len(p):
        raise ModelError("tone.figures: calibration needs one probability per label")
    bins = np.clip((p * n_bins).astype(int), 0, n_bins - 1)
    return [{"bin": int(b), "lower": b / n_bins, "upper": (b + 1) / n_bins,
             "mean_predicted": float(p[bins == b].mean()), "observed_share": float(y[bins == b].mean()),
             "documents": int((bins == b).sum())} for b in np.unique(bins)]


def plot_calibration(y_true, proba_positive, positive, path, n_bins=10,
                     title="Reliability of P({positive})") -> Path:
    """Reliability curve: mean predicted probability vs observed share of ``positive``
    per equal-width bin (marker size ~ documents in the bin), with the diagonal; the
    numbers are :func:`calibration_table`. ``y_true`` holds the labels themselves."""
    table = calibration_table(y_true, proba_positive, positive, n_bins)
    mean_p = np.array([r["mean_predicted"] for r in table])
    share = np.array([r["observed_share"] for r in table])
    sizes = np.array([r["documents"] for r in table])
    fig = Figure(figsize=(4.5, 4.5))
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1], ls="--", c="grey", lw=1, label="perfectly calibrated")
    ax.plot(mean_p, share, c="C0", lw=1)
    ax.scatter(mean_p, share, s=20 + 200 * sizes / sizes.max(), c="C0", zorder=3,
               label="bins (size = documents)")
    ax.set(xlim=(0, 1), ylim=(0, 1), xlabel=f"predicted P({positive})",
           ylabel=f"observed share of {positive}", title=title.format(positive=positive))
    ax.legend(loc="upper left", fontsize=8)
    return _save(fig, path)


def plot_confusion(confusion, classes, path, title="Confusion matrix") -> Path:
    """Counts with row-normalised shading (rows = true class, columns = predicted)."""
    cm = np.asarray(confusion)
    rows = cm.sum(axis=1, keepdims=True)
    share = np.divide(cm, rows, out=np.zeros(cm.shape), where=rows > 0)
    fig = Figure(figsize=(1.6 + 1.2 * len(classes), 1.2 + 1.1 * len(classes)))
    ax = fig.add_subplot()
    ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
    for i in range(cm.shape[0]):
        for j in range(cm.shape[1]):
            ax.text(j, i, f"{cm[i, j]}\n{share[i, j]:.0%}", ha="center", va="center",
                    color="white" if share[i, j] > 0.6 else "black", fontsize=9)
    ax.set_xticks(range(len(classes)), classes, rotation=30, ha="right")
    ax.set_yticks(range(len(classes)), classes)
    ax.set(xlabel="predicted", ylabel="true", title=title)
    return _save(fig, path)


def plot_top_features(top, path, title="Most weighted features per class") -> Path:
    """Horizontal bars per class from :func:`research.tone.model.top_features`."""
    if not top:
        raise ModelError("tone.figures: no feature weights to plot")
    n = max(len(v) for v in top.values()) or 1
    fig = Figure(figsize=(4.6 * len(top), 0.8 + 0.28 * n), layout="constrained")
    for k, (label, items) in enumerate(top.items()):
        ax = fig.add_subplot(1, len(top), k + 1)
        names = [name for name, _ in items][::-1]
        weights = [w for _, w in items][::-1]
        ax.barh(range(len(names)), weights, color=f"C{k}")
        ax.set_yticks(range(len(names)), names, fontsize=8)
        ax.set(title=str(label), xlabel="weight")
    fig.suptitle(title)
    return _save(fig, path)
