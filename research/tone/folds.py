"""Cross-validation folds for the tone models: stratified, grouped (by outlet) and
leave-one-group-out, with one-line errors when the folds cannot work (a class missing from a
training part, fewer groups than folds). Used by :mod:`research.tone.evaluation` (outer folds)
and :mod:`research.tone.threshold` (the inner folds that choose a decision threshold)."""

from __future__ import annotations

import numpy as np
from sklearn.model_selection import LeaveOneGroupOut, StratifiedGroupKFold, StratifiedKFold

from research.errors import ParameterError

__all__ = ["SCHEMES", "check_classes", "check_splits", "make_folds"]

SCHEMES = ("auto", "stratified", "group", "leave_one_group_out")


def check_classes(labels: np.ndarray) -> dict[str, int]:
    counts = dict(zip(*np.unique(labels, return_counts=True), strict=True))
    if len(counts) < 2:
        raise ParameterError("y", "labels of two classes or more (a classifier needs them)",
                             [str(c) for c in counts])
    return counts


def check_splits(n_splits: int, counts: dict[str, int]) -> None:
    """Stratified folds need every class in every fold."""
    if n_splits < 2 or min(counts.values()) < n_splits:
        sizes = ", ".join(f"{c}: {int(n)}" for c, n in counts.items())
        raise ParameterError("n_splits", f"an integer >= 2 and at most the documents of the smallest class ({sizes})",
                             n_splits)


def make_folds(labels, groups=None, n_splits=5, scheme="auto", seed=0) -> list:
    """(train indices, test indices) per fold; a ParameterError (a ModelError) when folds cannot work."""
    if scheme not in SCHEMES:
        raise ParameterError("scheme", f"one of {', '.join(SCHEMES)}", scheme)
    labels = np.asarray([str(v) for v in labels])
    counts = check_classes(labels)
    if scheme == "auto":
        scheme = "stratified" if groups is None else "group"
    if scheme != "stratified" and groups is None:
        raise ParameterError("groups", f"one group per document (e.g. its outlet) for scheme {scheme!r}",
                             None)
    dummy = np.zeros((len(labels), 1))
    if scheme == "stratified":
        check_splits(n_splits, counts)
        folds = StratifiedKFold(n_splits, shuffle=True, random_state=seed).split(dummy, labels)
    else:
        groups = np.asarray([str(g) for g in groups])
        n_groups = len(np.unique(groups))
        need = 2 if scheme == "leave_one_group_out" else max(n_splits, 2)
        if n_groups < need:
            raise ParameterError("n_splits", f"at most the number of groups ({n_groups}; or use more groups)",
                                 n_splits)
        splitter = LeaveOneGroupOut() if scheme == "leave_one_group_out" else \
            StratifiedGroupKFold(n_splits, shuffle=True, random_state=seed)
        folds = splitter.split(dummy, labels, groups)
    out = []
    for k, (train, test) in enumerate(folds):
        if len(np.unique(labels[train])) < 2:
            raise ParameterError("groups", "groups that leave two classes in every training fold "
                                 "(use more groups or stratified folds)", f"fold {k} trains on one class")
        out.append((train, test))
    return out
