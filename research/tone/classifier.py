"""The document tone classifier a tone run trains and saves."""

from __future__ import annotations

import numpy as np

from research.tone.features import split_paragraphs
from research.tone.model import explain

__all__ = ["DocumentToneModel"]


class DocumentToneModel:
    """What a tone run saves: the classifier, the promotional scorer and the unit.

    ``predict_proba(texts)`` gives class probabilities per text (columns ``classes_``); in
    paragraph mode each text's probability is the mean over its paragraphs, as in training.
    """

    def __init__(self, pipeline, promotional, positive: str, unit: str, paragraph_min_words: int):
        self.pipeline = pipeline
        self.promotional = promotional
        self.positive = positive
        self.unit = unit
        self.paragraph_min_words = paragraph_min_words

    @property
    def classes_(self) -> np.ndarray:
        return self.pipeline.classes_

    def _units(self, text: str) -> list[str]:
        if self.unit != "paragraph":
            return [text]
        return split_paragraphs(text, self.paragraph_min_words) or [text]

    def predict_proba(self, texts) -> np.ndarray:
        texts = [str(t) for t in texts]
        if self.unit != "paragraph":
            return self.pipeline.predict_proba(texts)
        return np.vstack([self.pipeline.predict_proba(self._units(t)).mean(axis=0) for t in texts])

    def predict(self, texts) -> np.ndarray:
        return self.classes_[np.argmax(self.predict_proba(texts), axis=1)]

    def positivity(self, texts) -> np.ndarray:
        return self.promotional.positivity([str(t) for t in texts])

    def promotional_score(self, texts, p_positive: np.ndarray | None = None) -> np.ndarray:
        """P(opinion) x positivity; ``p_positive`` lets a caller pass out-of-fold probabilities."""
        if p_positive is None:
            p_positive = self.predict_proba(texts)[:, list(self.classes_).index(self.positive)]
        return np.asarray(p_positive) * self.positivity(texts)

    def reasons(self, texts, top: int) -> list[str]:
        """The features that pushed each text towards its predicted class, most first."""
        found = explain(self.pipeline, [str(t) for t in texts], top=top)
        return ["; ".join(f"{name} ({value:+.2f})" for name, value, _ in e["towards"]) for e in found]
