"""The decision threshold on P(positive), chosen by inner cross-validation on training data.

``tone.threshold: auto`` (:class:`~research.tone.classifier.ToneClassifier` with
``threshold="auto"``): the training documents are split into inner folds -- grouped by
``tone.group_column`` (the training outlets) when groups are given, so that the threshold is
the one that works on an outlet the inner model did not see -- a fresh model is fit on each
inner training part, and the threshold is the one that maximises macro-F1 of the pooled inner
out-of-fold probabilities (after calibration, when ``tone.calibration`` is set). The final
model, fit on all training documents, keeps it as ``threshold_``.

Because the choice is made inside ``fit``, a cross-validated run chooses one threshold per
outer fold on that fold's training part only: the outer test documents never take part.

Rule: a document is positive when P(positive) > threshold. The candidates are the midpoints
between consecutive distinct out-of-fold probabilities (and 0.5); among equally good ones the
nearest to 0.5 wins, so a flat optimum does not drift to an extreme.

Inner folds: ``min(n_splits, groups)`` stratified group folds. When grouped folds cannot work
(fewer than two groups, or a fold whose training part holds one class, as when the training
part has a single opinion outlet) the inner folds are stratified by label instead, and
``scheme`` in :class:`ThresholdChoice` says so.
"""

from __future__ import annotations

import inspect
from dataclasses import asdict, dataclass

import numpy as np

from research.errors import ParameterError
from research.tone.folds import make_folds

__all__ = ["AUTO", "ThresholdChoice", "best_threshold", "check_threshold", "choose", "inner_folds", "is_auto",
           "macro_f1_by_threshold", "model_threshold", "takes_groups"]

AUTO = "auto"


@dataclass(frozen=True)
class ThresholdChoice:
    """The chosen ``threshold``, the inner folds' ``scheme`` and count, and the pooled inner
    out-of-fold macro-F1 at the chosen threshold and at 0.5."""

    threshold: float
    scheme: str
    n_splits: int
    macro_f1: float
    macro_f1_at_half: float

    def to_dict(self) -> dict:
        return {k: (round(v, 6) if isinstance(v, float) else v) for k, v in asdict(self).items()}


def is_auto(threshold) -> bool:
    """True for "auto" (the fitted models' own thresholds); a ParameterError for other text."""
    if isinstance(threshold, str) and threshold != AUTO:
        raise ParameterError("threshold", "'auto' or a number strictly between 0 and 1", threshold)
    return isinstance(threshold, str)


def model_threshold(model) -> float:
    """A fitted model's own threshold (``decision_threshold()``, as ToneClassifier has)."""
    found = getattr(model, "decision_threshold", None)
    if found is None:
        raise ParameterError("threshold", "a number for a model without decision_threshold() (only "
                             "research.tone.ToneClassifier chooses its own)", AUTO)
    return float(found())


def takes_groups(estimator) -> bool:
    """Whether ``estimator.fit`` takes ``groups`` (the inner folds of a ToneClassifier)."""
    try:
        return "groups" in inspect.signature(estimator.fit).parameters
    except (TypeError, ValueError):
        return False


def check_threshold(value) -> float | str:
    """``"auto"`` or a number strictly between 0 and 1; else a ParameterError('threshold')."""
    if isinstance(value, str) and value == AUTO:
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 1:
        raise ParameterError("threshold", "'auto' or a number strictly between 0 and 1", value)
    return float(value)


def _f1_pair(tp, fp, fn, tn) -> np.ndarray:
    """Macro-F1 of the two classes from confusion counts (arrays)."""
    f1_pos = np.divide(2 * tp, 2 * tp + fp + fn, out=np.zeros(np.shape(tp)), where=(2 * tp + fp + fn) > 0)
    f1_neg = np.divide(2 * tn, 2 * tn + fn + fp, out=np.zeros(np.shape(tn)), where=(2 * tn + fn + fp) > 0)
    return (f1_pos + f1_neg) / 2


def macro_f1_by_threshold(is_positive, p_positive) -> tuple[np.ndarray, np.ndarray]:
    """(candidate thresholds, macro-F1 of the rule p > threshold at each), candidates sorted."""
    y = np.asarray(is_positive, dtype=bool)
    p = np.asarray(p_positive, dtype=float)
    values = np.unique(p)
    cuts = (values[:-1] + values[1:]) / 2
    candidates = np.unique(np.r_[cuts, 0.5])
    candidates = candidates[(candidates > 0) & (candidates < 1)]
    # positives predicted at each candidate: p > t  <=> not (p <= t)
    order = np.sort(p)
    pos_sorted = np.sort(p[y])
    n_pos, n = int(y.sum()), len(y)
    above = n - np.searchsorted(order, candidates, side="right")
    tp = n_pos - np.searchsorted(pos_sorted, candidates, side="right")
    fp = above - tp
    fn = n_pos - tp
    tn = (n - n_pos) - fp
    return candidates, _f1_pair(tp, fp, fn, tn)


def best_threshold(is_positive, p_positive) -> tuple[float, float]:
    """(threshold, macro-F1) maximising macro-F1 of ``p > threshold``; ties: nearest 0.5."""
    candidates, f1 = macro_f1_by_threshold(is_positive, p_positive)
    if len(candidates) == 0:
        return 0.5, float(_f1_at(is_positive, p_positive, 0.5))
    best = np.flatnonzero(np.isclose(f1, f1.max(), rtol=0, atol=1e-12))
    pick = best[np.argmin(np.abs(candidates[best] - 0.5))]
    return float(candidates[pick]), float(f1[pick])


def _f1_at(is_positive, p_positive, threshold: float) -> float:
    y = np.asarray(is_positive, dtype=bool)
    pred = np.asarray(p_positive, dtype=float) > threshold
    tp, fp = int((pred & y).sum()), int((pred & ~y).sum())
    fn, tn = int((~pred & y).sum()), int((~pred & ~y).sum())
    return float(_f1_pair(np.array(tp), np.array(fp), np.array(fn), np.array(tn)))


def inner_folds(labels, groups, n_splits: int, seed: int) -> tuple[list, str]:
    """(folds, scheme): grouped folds when ``groups`` allow them, else stratified ones."""

    labels = np.asarray([str(v) for v in labels])
    if groups is not None:
        groups = np.asarray([str(g) for g in groups])
        k = min(int(n_splits), len(np.unique(groups)))
        if k >= 2:
            try:
                return make_folds(labels, groups, k, "group", seed), "group"
            except ParameterError:
                pass      # e.g. a single opinion outlet: no grouped fold can train on both classes
    smallest = min(np.unique(labels, return_counts=True)[1])
    k = min(int(n_splits), int(smallest))
    if k < 2:
        raise ParameterError("threshold", "a number (not 'auto', not a calibration): inner cross-validation "
                             "needs two documents of each class", f"{int(smallest)} of the smallest class")
    return make_folds(labels, None, k, "stratified", seed), "stratified"


def choose(is_positive, p_positive, scheme: str, n_splits: int) -> ThresholdChoice:
    """The :class:`ThresholdChoice` of pooled inner out-of-fold probabilities."""
    threshold, f1 = best_threshold(is_positive, p_positive)
    return ThresholdChoice(threshold=threshold, scheme=scheme, n_splits=n_splits, macro_f1=f1,
                           macro_f1_at_half=_f1_at(is_positive, p_positive, 0.5))
