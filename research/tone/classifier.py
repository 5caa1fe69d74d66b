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
from research.tone.model import PromotionalScorer, build_classifier, explain

__all__ = ["ToneClassifier"]

UNITS = ("document", "paragraph")


class ToneClassifier(ClassifierMixin, BaseEstimator):
    """Opinion vs reported news (or any label pair), plus the promotional score.

    Parameters: ``classifier`` (see the module), ``positive`` (the class scored on the
    opinion axis), ``unit`` (document | paragraph), ``paragraph_min_words`` (shorter
    paragraphs are left out in paragraph mode), ``promotional_prior`` (the positivity prior
    of :class:`PromotionalScorer`). Fitted: ``pipeline_``, ``promotional_``, ``classes_``.
    """

    def __init__(self, classifier: Any = None, positive: str = "opinion", unit: str = "document",
                 paragraph_min_words: int = 5, promotional_prior: float = 4.0):
        self.classifier = classifier
        self.positive = positive
        self.unit = unit
        self.paragraph_min_words = paragraph_min_words
        self.promotional_prior = promotional_prior

    def fit(self, X, y):
        """Fit on texts ``X`` and their labels ``y``; returns self."""
        if self.unit not in UNITS:
            raise ParameterError("unit", f"one of {', '.join(UNITS)}", self.unit)
        texts, labels = [str(t) for t in X], [str(v) for v in y]
        if len(texts) != len(labels):
            raise ParameterError("y", f"one label per text ({len(texts)})", f"{len(labels)} labels")
        units, unit_labels = texts, labels
        if self.unit == "paragraph":
            pairs = [(p, lab) for t, lab in zip(texts, labels, strict=True) for p in self._units(t)]
            units, unit_labels = [p for p, _ in pairs], [lab for _, lab in pairs]
        base = build_classifier() if self.classifier is None else self.classifier
        pipeline = clone(base).fit(units, unit_labels)
        promotional = PromotionalScorer(FrozenEstimator(pipeline), positive=self.positive,
                                        prior=self.promotional_prior).fit(units, unit_labels)
        return self._fitted(pipeline, promotional)

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
            return self.pipeline_.predict_proba(texts)
        return np.vstack([self.pipeline_.predict_proba(self._units(t)).mean(axis=0) for t in texts])

    def predict(self, X) -> np.ndarray:
        check_is_fitted(self, "pipeline_")
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

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
        """The features that pushed each text towards its predicted class, most first."""
        check_is_fitted(self, "pipeline_")
        found = explain(self.pipeline_, [str(t) for t in X], top=top)
        binary = len(self.classes_) == 2
        return ["; ".join(f"{name} ({value:+.2f})" for name, value in _towards_predicted(e, binary))
                for e in found]

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
        super().__setstate__(state)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        return tags


def _towards_predicted(explained: dict[str, Any], binary: bool) -> list[tuple[str, float]]:
    """The features that pushed a text towards its most probable class. A binary model's
    explanation is of its second class; when the first is more probable, the features that
    pushed against the second are the ones that pushed towards the first (sign flipped)."""
    if not binary or explained["probability"] >= 0.5:
        return [(name, value) for name, value, _ in explained["towards"]]
    return [(name, -value) for name, value, _ in explained["against"]]
