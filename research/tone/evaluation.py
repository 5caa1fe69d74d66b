"""Evaluation of tone classifiers: folds, held-out data sets, metrics with bootstrap CIs.

Schemes
-------
``stratified``            stratified k-fold over documents (no groups).
``group``                 stratified group k-fold: a group (outlet, source, article)
                          never straddles train and test.
``leave_one_group_out``   each group is the test set once: the cross-outlet question
                          "does it work on an outlet it never saw?".
``auto``                  ``group`` when groups are given, else ``stratified``.
holdout                   :func:`evaluate_holdout`: train on one data set, test on another.
paragraph                 :func:`paragraph_cross_validate`, for corpora of a handful of
                          documents: paragraphs inherit their document's label, folds are
                          grouped by document, a document's score is the mean of its
                          paragraphs' probabilities, and metrics are per document.

Metrics (all from out-of-fold or test probabilities; a binary prediction is "positive"
when P(positive) > ``threshold``, a multi-class one is the arg-max; ``threshold="auto"``
takes each fitted model's own ``decision_threshold()`` -- in cross-validation, the threshold
each fold's model chose on its training part, :mod:`research.tone.threshold`): macro-F1, accuracy,
ROC-AUC and PR-AUC (average precision; one-vs-rest macro averages for more than two
classes), Brier score (binary: mean squared error of P(positive); multi-class: mean
squared distance to the one-hot label) and the confusion matrix. Each metric has a
percentile bootstrap 95% interval from ``n_boot`` seeded resamples of documents, or of
whole groups when groups are given (documents of one outlet are not independent).
A metric that is undefined (ROC-AUC when the test set holds one class) is ``None``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.stats import rankdata
from sklearn.base import clone
from sklearn.model_selection import StratifiedKFold

from research.errors import ParameterError
from research.text.paragraphs import split_paragraphs
from research.tone.folds import SCHEMES, check_classes, check_splits, make_folds
from research.tone.threshold import is_auto, model_threshold, takes_groups

__all__ = [
    "SCHEMES",
    "ToneEvaluation",
    "bootstrap_intervals",
    "classification_metrics",
    "cross_validate",
    "decide",
    "evaluate_holdout",
    "make_folds",
    "paragraph_cross_validate",
]

METRICS = ("macro_f1", "accuracy", "roc_auc", "pr_auc", "brier")


@dataclass(frozen=True)
class Scoring:
    """How predictions are scored: ``positive`` (the class of ROC-AUC, PR-AUC and Brier;
    None = the second of two), the decision ``threshold`` on P(positive), ``n_boot``
    bootstrap resamples (0 = no intervals), their ``seed`` (also the folds'), and the
    interval ``level``. The evaluation functions take these as keywords."""

    positive: str | None = None
    threshold: float | str | np.ndarray = 0.5   # "auto": the fitted models' own; an array: one per document
    n_boot: int = 1000
    seed: int = 0
    level: float = 0.95


@dataclass
class ToneEvaluation:
    """Scores of one evaluation; ``proba`` columns follow ``classes``."""

    scheme: str
    classes: list[str]
    positive: str | None
    threshold: float | np.ndarray          # one per document when each fold chose its own
    y_true: np.ndarray
    proba: np.ndarray
    metrics: dict[str, float | None]
    intervals: dict[str, tuple[float, float] | None]
    confusion: np.ndarray
    folds: list[dict] = field(default_factory=list)
    fold_of: np.ndarray | None = None

    def summary(self) -> dict:
        """JSON-friendly: metrics, intervals, confusion matrix and per-fold metrics (and
        ``threshold`` "per fold" when each fold's model chose its own: see ``folds``)."""
        threshold = float(self.threshold) if np.ndim(self.threshold) == 0 else "per fold"
        return {"scheme": self.scheme, "classes": list(self.classes),
                "positive": self.positive, "threshold": threshold,
                "n": len(self.y_true), "metrics": self.metrics,
                "intervals": {k: (list(v) if v else None) for k, v in self.intervals.items()},
                "confusion": self.confusion.tolist(), "folds": self.folds}


# -- metrics ---------------------------------------------------------------------------

def _auc(y: np.ndarray, s: np.ndarray) -> float:
    n1 = int(y.sum())
    n0 = len(y) - n1
    if n1 == 0 or n0 == 0:
        return float("nan")
    ranks = rankdata(s)
    return float((ranks[y].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def _average_precision(y: np.ndarray, s: np.ndarray) -> float:
    if not y.any():
        return float("nan")
    order = np.argsort(-s, kind="mergesort")
    s, y = s[order], y[order]
    last = np.r_[np.flatnonzero(np.diff(s)), len(s) - 1]
    tps = np.cumsum(y)[last]
    precision = tps / (last + 1)
    recall = tps / tps[-1]
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def _predict(proba: np.ndarray, pos: int | None, threshold: float | np.ndarray) -> np.ndarray:
    if pos is None:
        return proba.argmax(axis=1)
    return np.where(proba[:, pos] > threshold, pos, 1 - pos)


def decide(proba, classes, positive=None, threshold=0.5) -> list[str | None]:
    """The predicted label of each row, by the rule the metrics use: with two classes
    ``positive`` when P(positive) > ``threshold``, else the arg-max. A row holding NaN (a
    text the model could not read) gets None."""
    classes = [str(c) for c in classes]
    proba = np.asarray(proba, dtype=float).reshape(-1, len(classes))
    pos = None
    if len(classes) == 2:
        pos = classes.index(str(positive)) if positive is not None else 1
    blank = np.isnan(proba).any(axis=1)
    picked = _predict(np.where(blank[:, None], 0.0, proba), pos, np.asarray(threshold, dtype=float))
    return [None if b else classes[int(k)] for b, k in zip(blank, picked, strict=True)]


def _metrics(y: np.ndarray, proba: np.ndarray, pos: int | None, threshold: float):
    """y: class indices; returns (metrics dict with NaN for undefined, confusion)."""
    k = proba.shape[1]
    pred = _predict(proba, pos, threshold)
    cm = np.bincount(y * k + pred, minlength=k * k).reshape(k, k)
    tp = np.diag(cm).astype(float)
    denom = cm.sum(axis=0) + cm.sum(axis=1)
    f1 = np.divide(2 * tp, denom, out=np.zeros(k), where=denom > 0)
    onehot = np.eye(k, dtype=bool)[y]
    if pos is not None:
        auc = _auc(onehot[:, pos], proba[:, pos])
        ap = _average_precision(onehot[:, pos], proba[:, pos])
        brier = float(np.mean((proba[:, pos] - onehot[:, pos]) ** 2))
    else:
        auc = float(np.mean([_auc(onehot[:, j], proba[:, j]) for j in range(k)]))
        ap = float(np.mean([_average_precision(onehot[:, j], proba[:, j]) for j in range(k)]))
        brier = float(np.mean(np.sum((proba - onehot) ** 2, axis=1)))
    return {"macro_f1": float(f1.mean()), "accuracy": float(tp.sum() / max(len(y), 1)),
            "roc_auc": auc, "pr_auc": ap, "brier": brier}, cm


def _none_if_nan(d: dict) -> dict:
    return {k: (None if v is None or np.isnan(v) else float(v)) for k, v in d.items()}


def _encode(y_true, classes, positive):
    classes = [str(c) for c in classes]
    y = np.array([str(v) for v in y_true], dtype=object)
    unknown = sorted(set(y.tolist()) - set(classes))
    if unknown:
        raise ParameterError("y_true", f"labels seen in training ({', '.join(classes)})", unknown)
    if positive is not None and str(positive) not in classes:
        raise ParameterError("positive", f"one of the classes ({', '.join(classes)})", positive)
    idx = np.array([classes.index(v) for v in y], dtype=int)
    pos = None
    if len(classes) == 2:
        pos = classes.index(str(positive)) if positive is not None else 1
    return classes, idx, pos


def _fixed(threshold):
    """A number, or one number per document; "auto" must have been resolved by then."""
    if isinstance(threshold, str):
        raise ParameterError("threshold", "a number, or 'auto' with fitted models that chose theirs", threshold)
    return np.asarray(threshold, dtype=float) if np.ndim(threshold) else float(threshold)


def classification_metrics(y_true, proba, classes, positive=None, threshold=0.5) -> dict:
    """Macro-F1, accuracy, ROC-AUC, PR-AUC, Brier (``None`` where undefined) and the
    confusion matrix (rows = true class, columns = predicted, in ``classes`` order).
    ``threshold``: a number, or one per row."""
    classes, y, pos = _encode(y_true, classes, positive)
    values, cm = _metrics(y, np.asarray(proba, dtype=float), pos, _fixed(threshold))
    return {**_none_if_nan(values), "confusion": cm}


def bootstrap_intervals(y_true, proba, classes, positive=None, groups=None, **scoring) -> dict:
    """Percentile bootstrap intervals of every metric; resamples groups when given.
    ``scoring``: the other fields of :class:`Scoring` (threshold, n_boot, seed, level)."""
    sc = Scoring(positive=positive, **scoring)
    threshold, n_boot, seed, level = _fixed(sc.threshold), sc.n_boot, sc.seed, sc.level
    classes, y, pos = _encode(y_true, classes, positive)
    proba = np.asarray(proba, dtype=float)
    rng = np.random.default_rng(seed)
    if groups is None:
        units = [np.array([i]) for i in range(len(y))]
    else:
        g = np.asarray([str(v) for v in groups])
        units = [np.flatnonzero(g == u) for u in np.unique(g)]
    draws = {m: [] for m in METRICS}  # type: ignore[var-annotated]
    for _ in range(int(n_boot)):
        pick = rng.integers(0, len(units), len(units))
        idx = np.concatenate([units[j] for j in pick])
        values, _ = _metrics(y[idx], proba[idx], pos, threshold[idx] if np.ndim(threshold) else threshold)
        for m in METRICS:
            draws[m].append(values[m])
    lo, hi = 100 * (1 - level) / 2, 100 * (1 + level) / 2
    out = {}
    for m, vals in draws.items():
        vals = np.asarray(vals)  # type: ignore[assignment]
        vals = vals[~np.isnan(vals)]
        out[m] = (float(np.percentile(vals, lo)), float(np.percentile(vals, hi))) \
            if vals.size else None
    return out


def _evaluation(scheme, y_true, proba, classes, sc: Scoring, groups=None,
                cv: tuple[list, np.ndarray] | None = None) -> ToneEvaluation:
    """The pooled evaluation; ``cv`` = (per-fold metrics, fold of each document)."""
    positive, threshold = sc.positive, _fixed(sc.threshold)
    folds, fold_of = cv if cv is not None else ((), None)
    classes, _, pos = _encode(y_true, classes, positive)
    found = classification_metrics(y_true, proba, classes, positive, threshold)
    intervals = bootstrap_intervals(y_true, proba, classes, positive, groups, threshold=threshold,
                                    n_boot=sc.n_boot, seed=sc.seed, level=sc.level) if sc.n_boot else {}
    return ToneEvaluation(scheme=scheme, classes=classes,
                          positive=classes[pos] if pos is not None else None,
                          threshold=threshold, y_true=np.asarray([str(v) for v in y_true]),
                          proba=np.asarray(proba, dtype=float),
                          metrics={m: found[m] for m in METRICS}, intervals=intervals,
                          confusion=found["confusion"], folds=list(folds), fold_of=fold_of)


def _fold_predict(estimator, texts, labels, folds, groups=None,
                  thresholds: list | None = None) -> tuple[np.ndarray, list[str], np.ndarray]:
    """Out-of-fold probabilities; each fold's model gets its training part's ``groups`` when
    its ``fit`` takes them, and appends its (``decision_threshold()``, inner folds' scheme) to
    ``thresholds``."""
    classes = sorted(set(labels.tolist()))
    proba = np.zeros((len(texts), len(classes)))
    fold_of = np.full(len(texts), -1)
    routed = groups is not None and takes_groups(estimator)
    for k, (train, test) in enumerate(folds):
        extra = {"groups": np.asarray(groups)[train]} if routed else {}
        model = clone(estimator).fit([texts[i] for i in train], labels[train], **extra)
        cols = [classes.index(str(c)) for c in model.classes_]
        proba[np.ix_(test, cols)] = model.predict_proba([texts[i] for i in test])
        fold_of[test] = k
        if thresholds is not None:
            inner = getattr(model, "threshold_choice_", None) or {}
            thresholds.append((model_threshold(model), inner.get("scheme")))
    return proba, classes, fold_of


def _per_fold(labels, proba, classes, positive, threshold, folds) -> list[dict]:
    """Metrics per test fold (``threshold``: a number or one per document; a fold's own is
    listed when they differ). A fold holding one class (leave-one-outlet-out) has no
    macro-F1, ROC-AUC or PR-AUC of its own: those are ``None``; accuracy there is the
    recall of that class."""
    out = []
    for k, (_, test) in enumerate(folds):
        own = threshold[test] if np.ndim(threshold) else threshold
        found = classification_metrics(labels[test], proba[test], classes, positive, own)
        row = {"fold": k, "n": len(test), **{m: found[m] for m in METRICS}}
        if np.ndim(threshold):
            row["threshold"] = round(float(own[0]), 6) if len(test) else None
        if len(np.unique(labels[test])) < 2:
            row.update(macro_f1=None, roc_auc=None, pr_auc=None,
                       only_class=str(labels[test][0]))
        out.append(row)
    return out


def cross_validate(estimator, texts, labels, groups=None, n_splits=5, scheme="auto",
                   **scoring) -> ToneEvaluation:
    """Out-of-fold probabilities of a fresh clone per fold, pooled metrics with bootstrap
    intervals (resampling groups when given) and per-fold metrics; ``scoring``: the fields
    of :class:`Scoring` (positive, threshold, n_boot, seed). ``threshold="auto"``: each
    document is decided by the threshold its fold's model chose (``decision_threshold()``),
    on that fold's training part only; models whose ``fit`` takes ``groups`` get them."""
    sc = Scoring(**scoring)
    positive, seed = sc.positive, sc.seed
    texts = [str(t) for t in texts]
    labels = np.asarray([str(v) for v in labels])
    _encode([], sorted(set(labels.tolist())), positive)      # a bad `positive` fails first
    folds = make_folds(labels, groups, n_splits, scheme, seed)
    chosen: list[tuple] | None = [] if is_auto(sc.threshold) else None
    proba, classes, fold_of = _fold_predict(estimator, texts, labels, folds, groups, chosen)
    if chosen is not None:
        sc = Scoring(**{**scoring, "threshold": np.asarray([t for t, _ in chosen])[fold_of]})
    per_fold = _per_fold(labels, proba, classes, positive, sc.threshold, folds)
    for row, (_, inner) in zip(per_fold, chosen or [], strict=False):
        row["inner_folds"] = inner        # "group", or "stratified" when grouped inner folds could not work
    used = scheme if scheme != "auto" else ("stratified" if groups is None else "group")
    return _evaluation(used, labels, proba, classes, sc, groups, (per_fold, fold_of))


def evaluate_holdout(estimator, train_texts, train_labels, test_texts, test_labels,
                     test_groups=None, **scoring):
    """Fit a clone on one data set, score another; returns (fitted model, evaluation).
    ``scoring``: the fields of :class:`Scoring`."""
    sc = Scoring(**scoring)
    train_labels = np.asarray([str(v) for v in train_labels])
    check_classes(train_labels)
    model = clone(estimator).fit([str(t) for t in train_texts], train_labels)
    if is_auto(sc.threshold):
        sc = Scoring(**{**scoring, "threshold": model_threshold(model)})
    proba = model.predict_proba([str(t) for t in test_texts])
    classes = [str(c) for c in model.classes_]
    return model, _evaluation("holdout", test_labels, proba, classes, sc, test_groups)


def paragraph_cross_validate(estimator, texts, labels, n_splits=5, min_words=5, **scoring):
    """Paragraph-level folds grouped by document; per-document probability = mean of its
    paragraphs' out-of-fold probabilities. Metrics are per document. ``scoring``: the fields
    of :class:`Scoring`."""
    sc = Scoring(**scoring)
    if is_auto(sc.threshold):
        raise ParameterError("threshold", "a number with paragraph units (tone.unit: paragraph)", "auto")
    positive, threshold, seed = sc.positive, sc.threshold, sc.seed
    labels = np.asarray([str(v) for v in labels])
    counts = check_classes(labels)
    check_splits(n_splits, counts)
    paras, owner = [], []
    for i, text in enumerate(texts):
        found = split_paragraphs(str(text), min_words) or [str(text)]
        paras.extend(found)
        owner.extend([i] * len(found))
    owner = np.asarray(owner)  # type: ignore[assignment]
    doc_folds = StratifiedKFold(n_splits, shuffle=True, random_state=seed).split(
        np.zeros((len(labels), 1)), labels)
    folds = [(np.flatnonzero(np.isin(owner, tr)), np.flatnonzero(np.isin(owner, te)))
             for tr, te in doc_folds]
    proba_p, classes, _ = _fold_predict(estimator, paras, labels[owner], folds)
    proba = np.vstack([proba_p[owner == i].mean(axis=0) for i in range(len(labels))])
    fold_of = np.empty(len(labels), dtype=int)
    for k, (_, test) in enumerate(folds):
        fold_of[np.unique(owner[test])] = k
    doc_folds = [(np.flatnonzero(fold_of != k), np.flatnonzero(fold_of == k))
                 for k in range(len(folds))]
    return _evaluation("paragraph", labels, proba, classes, sc, None,
                       (_per_fold(labels, proba, classes, positive, threshold, doc_folds), fold_of))
