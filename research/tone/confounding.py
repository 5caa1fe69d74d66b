"""Which document features measure genre, and which measure the outlet?

A genre classifier trained on a few outlets learns whatever separates its training
groups: when all opinion comes from two outlets and all news from one, a feature of
house style (mean sentence length, word length) separates the classes in training and
fails on the next outlet. This module measures, for every document-level feature, how
far the groups of one genre spread around their genre's centre, against how far the
genre centres lie apart.

Definitions (one row per feature; cells = (group, label) pairs with at least
``min_documents`` documents; a group is an outlet, or a BBC section):

``genre_spread``
    range of the genre centres, where a genre centre is the unweighted mean of its
    cells' means (so a big outlet does not stand for its genre). For two genres it is
    the distance between their centres.
``outlet_spread``
    pooled within-genre standard deviation of the cell means around their genre centre:
    sqrt(sum (cell mean - genre centre)^2 / (cells - genres)). It estimates how far an
    unseen outlet's mean may sit from its genre's centre.
``ratio``
    ``outlet_spread / genre_spread``: the outlet-confounding ratio. Scale-free, so it
    needs no standardisation; the two spreads are reported in pooled standard
    deviations of the feature (over all documents) for reading. A ratio of 0.5 puts the
    decision midpoint one outlet-SD away from each genre centre; a ratio above 1 means
    outlets of one genre differ more than the genres do.

What to do with a confounded feature: per-outlet standardisation would remove the
outlet offset, but it needs the outlet's own documents at prediction time and an unseen
outlet has none (nor does a single document scored alone), so it is not used. A
confounded feature is dropped (:func:`select_features`): a feature is kept only when
its ratio is at most ``max_ratio``. With two genres and few groups the spreads are
themselves noisy; the ratio is a screening rule, checked by leave-one-outlet-out
(``experiments/bench_tone_outlets.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from research.errors import ModelError

__all__ = ["ConfoundingRow", "measure_confounding", "select_features"]


@dataclass(frozen=True)
class ConfoundingRow:
    """One feature's spreads (in pooled SDs of the feature), ratio and whether it is kept."""

    feature: str
    outlet_spread: float
    genre_spread: float
    ratio: float
    kept: bool = True

    def as_dict(self) -> dict[str, object]:
        return {"feature": self.feature, "outlet_spread": round(self.outlet_spread, 6),
                "genre_spread": round(self.genre_spread, 6), "ratio": round(self.ratio, 6),
                "kept": self.kept}


def _cells(labels: np.ndarray, groups: np.ndarray, min_documents: int) -> list[tuple[str, np.ndarray]]:
    """(label, row indices) of every (group, label) cell with enough documents."""
    out = []
    for g in np.unique(groups):
        for lab in np.unique(labels[groups == g]):
            rows = np.flatnonzero((groups == g) & (labels == lab))
            if len(rows) >= min_documents:
                out.append((str(lab), rows))
    return out


def _check_design(cells: list[tuple[str, np.ndarray]], min_documents: int) -> list[str]:
    genres = sorted({lab for lab, _ in cells})
    if len(genres) < 2 or len(cells) <= len(genres):
        raise ModelError(f"tone.confounding: needs two classes and a class with two groups or more of at least "
                         f"{min_documents} documents (found {len(cells)} group(s) over {genres}); set "
                         "tone.group_column / a source's group_column, or set tone.confounding.max_ratio: null")
    return genres


def _spreads(X: np.ndarray, cells: list[tuple[str, np.ndarray]], genres: list[str]):
    """(outlet spread, genre spread) per column, in pooled standard deviations."""
    means = np.vstack([X[rows].mean(axis=0) for _, rows in cells])
    cell_genre = np.array([genres.index(lab) for lab, _ in cells])
    centres = np.vstack([means[cell_genre == k].mean(axis=0) for k in range(len(genres))])
    sd = X.std(axis=0)
    sd = np.where(sd > 0, sd, 1.0)
    within = ((means - centres[cell_genre]) ** 2).sum(axis=0) / (len(cells) - len(genres))
    return np.sqrt(within) / sd, (centres.max(axis=0) - centres.min(axis=0)) / sd


def measure_confounding(X, labels: Sequence, groups: Sequence, names: Sequence[str],
                        min_documents: int = 5) -> list[ConfoundingRow]:
    """The confounding table of the columns of ``X`` (documents x features), sorted by
    falling ratio. ``labels``: each document's genre; ``groups``: its outlet / section."""
    X = np.asarray(X, dtype=float)
    y = np.asarray([str(v) for v in labels])
    g = np.asarray([str(v) for v in groups])
    if X.shape != (len(y), len(names)) or len(g) != len(y):
        raise ModelError(f"tone.confounding: {X.shape} feature matrix for {len(y)} labels, "
                         f"{len(g)} groups and {len(names)} names; pass one row per document")
    cells = _cells(y, g, min_documents)
    outlet, genre = _spreads(X, cells, _check_design(cells, min_documents))
    ratio = np.divide(outlet, genre, out=np.full(len(names), np.inf), where=genre > 0)
    rows = [ConfoundingRow(str(n), float(o), float(s), float(r))
            for n, o, s, r in zip(names, outlet, genre, ratio, strict=True)]
    return sorted(rows, key=lambda r: -r.ratio)


def select_features(table: Sequence[ConfoundingRow], max_ratio: float | None) -> list[ConfoundingRow]:
    """The table with ``kept`` set: a feature stays when its ratio is at most ``max_ratio``
    (``None`` keeps every feature). Refuses a threshold that would drop every feature."""
    if max_ratio is None:
        return [replace(r, kept=True) for r in table]
    out = [replace(r, kept=r.ratio <= max_ratio) for r in table]
    if not any(r.kept for r in out):
        best = min(r.ratio for r in table)
        raise ModelError(f"tone.confounding.max_ratio: {max_ratio} drops every feature (lowest ratio "
                         f"{best:.3f}); raise it or set it to null")
    return out
