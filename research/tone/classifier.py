"""``ToneClassifier``: the document tone classifier a tone run trains and saves, as a
scikit-learn classifier of texts.

    from research.tone import ToneClassifier, build_classifier
    clf = ToneClassifier(build_classifier(features=("tone",), C=0.1)).fit(texts, labels)
    clf.predict_proba(new_texts)            # columns: clf.classes_
    clf.promotional_score(new_texts)        # P(opinion) x positivity

``classifier`` is any scikit-learn classifier of texts with ``predict_proba`` (default: the
one :func:`~research.tone.model.build_classifier` builds from its defaults); it is cloned at
``fit``, so ``GridSearchCV(ToneClassifier(...), {"classifier__clf__C": [...]})`` works. With
``unit="paragraph"`` the model trains on paragraphs that inherit their document's label and
a text's probability is the mean over its paragraphs. ``score`` is macro-F1 (higher is
better), the headline metric of a tone run.

Decision threshold and calibration (binary models): ``threshold`` is a number in (0, 1) or
``"auto"`` (chosen by inner cross-validation on the training texts, grouped by the ``groups``
given to ``fit``: :mod:`research.tone.threshold`); ``calibration`` is ``"none"``,
``"sigmoid"`` or ``"isotonic"`` (fitted on the same grouped inner out-of-fold probabilities:
:mod:`research.tone.calibration`). Fitted: ``threshold_`` (what :meth:`predict` uses),
``calibrator_`` (None, or what :meth:`predict_proba` applies) and ``threshold_choice_``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.frozen import FrozenEstimator
from sklearn.metrics import f1_score
from sklearn.utils.validation import check_is_fitted

from research.errors import ParameterError
from research.text.paragraphs import split_paragraphs
from research.tone.calibration import Calibrator, check_calibration
from research.tone.model import PromotionalScorer, build_classifier, explain
from research.tone.threshold import AUTO, check_threshold, choose, inner_folds

__all__ = ["ToneClassifier"]

UNITS = ("document", "paragraph")


class ToneClassifier(ClassifierMixin, BaseEstimator):
    """Opinion vs reported news (or any label pair), plus the promotional score.

    Parameters: ``classifier`` (see the module), ``positive`` (the class scored on the
    opinion axis), ``unit`` (document | paragraph), ``paragraph_min_words`` (shorter
    paragraphs are left out in paragraph mode), ``promotional_prior`` (the positivity prior
    of :class:`PromotionalScorer`), ``threshold`` and ``calibration`` (see the module),
    ``inner_folds`` and ``random_state`` (the inner cross-validation of both). Fitted:
    ``pipeline_``, ``promotional_``, ``classes_``, ``threshold_``, ``calibrator_``.
    """

    def __init__(self, classifier: Any = None, positive: str = "opinion", unit: str = "document",
                 paragraph_min_words: int = 5, promotional_prior: float = 4.0, threshold: float | str = 0.5,
                 calibration: str = "none", inner_folds: int = 5, random_state: int = 42):
        self.classifier = classifier
        self.positive = positive
        self.unit = unit
        self.paragraph_min_words = paragraph_min_words
        self.promotional_prior = promotional_prior
        self.threshold = threshold
        self.calibration = calibration
        self.inner_folds = inner_folds
        self.random_state = random_state

    def fit(self, X, y, groups=None):
        """Fit on texts ``X`` and their labels ``y``; returns self. ``groups`` (e.g. each
        text's outlet) group the inner folds of ``threshold="auto"`` and of calibration."""
        if self.unit not in UNITS:
            raise ParameterError("unit", f"one of {', '.join(UNITS)}", self.unit)
        threshold, calibration = check_threshold(self.threshold), check_calibration(self.calibration)
        texts, labels = [str(t) for t in X], [str(v) for v in y]
        if len(texts) != len(labels):
            raise ParameterError("y", f"one label per text ({len(texts)})", f"{len(labels)} labels")
        self.calibrator_, self.threshold_choice_ = None, None
        self.threshold_ = 0.5 if threshold == AUTO else float(threshold)
        if threshold == AUTO or calibration != "none":
            self._tune(texts, labels, groups, threshold, calibration)
        units, unit_labels = texts, labels
        if self.unit == "paragraph":
            pairs = [(p, lab) for t, lab in zip(texts, labels, strict=True) for p in self._units(t)]
            units, unit_labels = [p for p, _ in pairs], [lab for _, lab in pairs]
        base = build_classifier() if self.classifier is None else self.classifier
        pipeline = clone(base).fit(units, unit_labels)
        promotional = PromotionalScorer(FrozenEstimator(pipeline), positive=self.positive,
                                        prior=self.promotional_prior).fit(units, unit_labels)
        return self._fitted(pipeline, promotional)

    def _tune(self, texts, labels, groups, threshold, calibration) -> None:
        """Calibrator and threshold from grouped inner out-of-fold probabilities."""
        from research.tone.evaluation import _fold_predict

        if len(set(labels)) != 2:
            raise ParameterError("threshold", "a number, and calibration 'none', for more than two classes "
                                 "(both act on P(positive))", threshold)
        folds, scheme = inner_folds(labels, groups, self.inner_folds, self.random_state)
        base = clone(self).set_params(threshold=0.5, calibration="none")
        proba, classes, _ = _fold_predict(base, texts, np.asarray(labels), folds)
        if self.positive not in classes:
            raise ParameterError("positive", f"one of the classes ({', '.join(classes)})", self.positive)
        p = proba[:, classes.index(self.positive)]
        is_positive = np.asarray(labels) == self.positive
        if calibration != "none":
            self.calibrator_ = Calibrator(calibration).fit(p, is_positive)
            p = self.calibrator_.transform(p)
        choice = choose(is_positive, p, scheme, len(folds))
        self.threshold_choice_ = choice.to_dict()
        if threshold == AUTO:
            self.threshold_ = choice.threshold

    def _fitted(self, pipeline, promotional) -> ToneClassifier:
        """Set the fitted state (``fit``, and loading a saved run)."""
        self.pipeline_, self.promotional_ = pipeline, promotional
        if hasattr(pipeline, "classes_"):
            self.classes_ = np.asarray(pipeline.classes_)
        return self

    def _units(self, text: str) -> list[str]:
        if self.unit != "paragraph":
            return [text]
        return split_paragraphs(text, self.paragraph_min_words) or [text]

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities per text (columns ``classes_``)."""
        check_is_fitted(self, "pipeline_")
        texts = [str(t) for t in X]
        if self.unit != "paragraph":
            proba = self.pipeline_.predict_proba(texts)
        else:
            proba = np.vstack([self.pipeline_.predict_proba(self._units(t)).mean(axis=0) for t in texts])
        calibrator = getattr(self, "calibrator_", None)
        if calibrator is None or len(proba) == 0:
            return proba
        pos = list(self.classes_).index(self.positive)
        p = calibrator.transform(proba[:, pos])
        out = np.empty_like(proba)
        out[:, pos], out[:, 1 - pos] = p, 1 - p
        return out

    def decision_threshold(self) -> float:
        """The threshold on P(positive) that :meth:`predict` uses (``threshold_``; a model
        saved before thresholds were stored: its ``threshold`` if a number, else 0.5)."""
        if hasattr(self, "threshold_"):
            return float(self.threshold_)
        return float(self.threshold) if isinstance(self.threshold, (int, float)) else 0.5

    def predict(self, X) -> np.ndarray:
        """Labels by :meth:`decision_threshold` on P(positive) (arg-max for more classes)."""
        from research.tone.evaluation import decide

        check_is_fitted(self, "pipeline_")
        return np.asarray(decide(self.predict_proba(X), self.classes_, self.positive, self.decision_threshold()))

    def score(self, X, y, sample_weight=None) -> float:
        """Macro-F1 of :meth:`predict` against ``y`` (higher is better)."""
        return float(f1_score([str(v) for v in y], self.predict(X), average="macro",
                              sample_weight=sample_weight))

    def positivity(self, X) -> np.ndarray:
        check_is_fitted(self, "promotional_")
        return self.promotional_.positivity([str(t) for t in X])

    def promotional_score(self, X, p_positive: np.ndarray | None = None) -> np.ndarray:
        """P(opinion) x positivity; ``p_positive`` lets a caller pass out-of-fold probabilities."""
        if p_positive is None:
            p_positive = self.predict_proba(X)[:, list(self.classes_).index(self.positive)]
        return np.asarray(p_positive) * self.positivity(X)

    def reasons(self, X, top: int) -> list[str]:
        """The features that pushed each text towards its predicted class (by
        :meth:`decision_threshold` for two classes), most first."""
        check_is_fitted(self, "pipeline_")
        texts = [str(t) for t in X]
        found = explain(self.pipeline_, texts, top=top)
        binary = len(self.classes_) == 2
        second = self.predict(texts) == self.classes_[-1] if binary and texts else [True] * len(found)
        return ["; ".join(f"{name} ({value:+.2f})" for name, value in _towards_predicted(e, binary, s))
                for e, s in zip(found, second, strict=True)]

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Unpickle, also a ``DocumentToneModel`` of research 0.1 (``research._compat``),
        whose fitted state was ``pipeline`` and ``promotional``."""
        if "pipeline" in state and "pipeline_" not in state:
            state = dict(state)
            state["pipeline_"] = state.pop("pipeline")
            state["promotional_"] = state.pop("promotional")
            state.setdefault("classifier", state["pipeline_"])
            state.setdefault("promotional_prior", getattr(state["promotional_"], "prior", 4.0))
            state["classes_"] = np.asarray(state["pipeline_"].classes_)
        state = {"threshold": 0.5, "calibration": "none", "inner_folds": 5, "random_state": 42, **state}
        super().__setstate__(state)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        return tags


def _towards_predicted(explained: dict[str, Any], binary: bool, second: bool = True) -> list[tuple[str, float]]:
    """The features that pushed a text towards its predicted class. A binary model's
    explanation is of its second class; when the first is predicted (``second`` False), the
    features that pushed against the second are the ones that pushed towards the first (sign
    flipped)."""
    if not binary or second:
        return [(name, value) for name, value, _ in explained["towards"]]
    return [(name, -value) for name, value, _ in explained["against"]]
